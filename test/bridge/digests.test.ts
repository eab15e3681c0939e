import path from "node:path";
import { describe, expect, it } from "vitest";
import { queueDueDigests } from "../../src/bridge/digests/scheduler.js";
import { directoryResolver } from "../../src/bridge/index.js";
import { SqliteOutbox } from "../../src/bridge/outbox.js";
import { checkClaim } from "../../src/bridge/unsubscribe.js";
import type { Config } from "../../src/config/index.js";
import { openDirectory } from "../../src/directory/index.js";
import { startExporter } from "../../src/exporter/index.js";
import { SqliteSelfcareStore } from "../../src/selfcare/store.js";
import { bridgeFixture, captureLogger, exampleDigestConfig, waitFor } from "./support.js";

/** The example tree as the exporter sees it on this day; the digests are composed five days later. */
const COLLECTED = new Date("2026-11-26T12:00:00Z");
const DUE = Date.parse("2026-12-01T07:00:00Z");

const secret = "a test key of the one-click unsubscribe links, 48 chars";

/** The stream and address a digest's one-click link names. */
const linkClaim = (headers: Map<string, unknown> | undefined) => {
  const url = (headers?.get("list") as { unsubscribe?: { url: string } } | undefined)?.unsubscribe?.url ?? "";
  const check = checkClaim(
    secret,
    url.replace("https://selfcare.stoney.example/unsubscribe/", ""),
    Date.now(),
  );
  return check.ok ? { address: check.claim.address, stream: check.claim.stream } : check;
};

/** The example directory, where Anna (3723707) and Jürg (3723702) asked for the monthly digest. */
const fixture = (dir: string, smtp: string): Config =>
  exampleDigestConfig(dir, ["3723707", "3723702"], {
    smtp: { url: smtp, from: "Backup <backup@stoney.example>" },
    templates: { selfCareUrl: "https://selfcare.stoney.example" },
    unsubscribe: { secret },
    replyTo: "support@stoney.example",
  });

describe("digests from the exporter's state (example directory and tree)", () => {
  const bridges = bridgeFixture();

  it("queues one digest per recipient and period, also when a run died in the middle, and sends each once", async () => {
    const dir = bridges.temp();
    const mails = await bridges.sink();
    const config = fixture(dir, mails.url);
    const { logger } = captureLogger("fatal");
    const running = await startExporter(config, logger, { now: () => COLLECTED });
    bridges.defer(() => running.close());
    await running.collect();
    const directory = openDirectory(config.directory, logger);
    bridges.defer(() => directory.close());
    const resolver = directoryResolver(directory, config.directory);
    const options = (store: SqliteOutbox) => ({
      config: config.bridge,
      store,
      status: running.status,
      resolver,
      logger,
    });

    // The first run dies after its first digest.
    let outbox = new SqliteOutbox(config.bridge.outbox);
    const dying = {
      createDigests: async (digests: Parameters<SqliteOutbox["createDigests"]>[0], now: number) => {
        await outbox.createDigests(digests.slice(0, 1), now);
        throw new Error("killed");
      },
      previousDigest: outbox.previousDigest.bind(outbox),
    };
    await expect(queueDueDigests({ ...options(outbox), store: dying }, DUE)).rejects.toThrow("killed");
    await outbox.close();

    outbox = new SqliteOutbox(config.bridge.outbox);
    expect(await queueDueDigests(options(outbox), DUE)).toBe(4);
    expect(await queueDueDigests(options(outbox), DUE)).toBe(0);
    expect(await queueDueDigests(options(outbox), DUE - 2 * 3_600_000)).toBe(0);
    const keys = outbox.db
      .prepare("SELECT kind, recipient, period FROM digests ORDER BY kind, recipient")
      .all();
    expect(keys).toEqual([
      { kind: "customer-month", recipient: "anna.smith@example.org", period: "2026-11" },
      { kind: "customer-month", recipient: "anna@example.co.uk", period: "2026-11" },
      { kind: "customer-month", recipient: "juerg.mueller@example.ch", period: "2026-11" },
      { kind: "reseller-week", recipient: "support@eclair.example", period: "2026-W48" },
      { kind: "reseller-week", recipient: "support@muster-reseller.example", period: "2026-W48" },
    ]);
    await outbox.close();

    await bridges.startWith(config, logger, { status: running.status });
    await waitFor("the digests", () => mails.mails.length === 5);
    const mail = (to: string) => mails.to(to)[0]?.parsed;

    const muster = mail("support@muster-reseller.example");
    expect(muster?.subject).toBe(
      "Wöchentlicher Backup-Bericht 23.–29. November 2026: 4 Konten, 1 mit Fehlern",
    );
    expect(muster?.text).toContain("Guten Tag,");
    // The week it covers, and when the facts it tells were true: the state collected on the 26th.
    expect(muster?.text).toContain(
      "so standen die Sicherungen der Konten Ihrer Kundinnen und Kunden in der Woche vom 23.–29. November 2026, Stand 26. November 2026 um 13:00 MEZ.",
    );
    expect(muster?.text).toContain("1 in Ordnung, 1 mit Warnung, 1 mit Fehlern, 1 nie benutzt.");
    const rows = (muster?.text ?? "").split("\n").filter((l) => /^\d{7} /.test(l));
    expect(rows.map((r) => r.split(/\s{2,}/).slice(0, 5))).toEqual([
      ["3723703", "Zoë Lefèvre", "1", "keine", "Fehler"],
      ["3723702", "Jürg Müller", "1", "26. November 2026", "Warnung"],
      ["3723706", "0", "keine", "nie benutzt"],
      ["3723701", "Jürg Müller", "1", "25. November 2026", "in Ordnung"],
    ]);
    expect(muster?.html).toContain("<th");
    expect(muster?.headers.get("content-language")).toBe("de");
    expect(muster?.replyTo?.value.map((v) => v.address)).toEqual(["support@stoney.example"]);
    expect(muster?.headers.get("list")).toMatchObject({ id: { id: "digest.stoney-backup.stoney.example" } });

    const eclair = mail("support@eclair.example");
    expect(eclair?.subject).toBe(
      "Rapport hebdomadaire des sauvegardes 23–29 novembre 2026\u202f: 4 comptes, 2 en échec",
    );
    expect(eclair?.text).toContain("mac-mini: Sepiola Online Backup Client 2.4.0");
    expect(eclair?.html).toContain('href="https://selfcare.stoney.example/accounts/3723709">3723709</a>');

    const anna = mail("anna@example.co.uk");
    expect(anna?.subject).toBe("Your online backup in November 2026");
    expect(anna?.text).toContain("Hello Anna Smith,");
    expect(anna?.text).toContain(
      "Here is how your online backup did in November 2026, as of 26 November 2026 at 12:00 (UTC+00:00).",
    );
    expect(anna?.text).toContain("Your 2 computers were last backed up on 25 November 2026.");
    expect(anna?.text).toContain("* Account 3723707: all backups fine.");
    expect(linkClaim(anna?.headers)).toEqual({ address: "anna@example.co.uk", stream: "digest" });
    expect(linkClaim(muster?.headers)).toEqual({
      address: "support@muster-reseller.example",
      stream: "digest",
    });
    expect(mail("juerg.mueller@example.ch")?.subject).toBe("Ihr Online-Backup im November 2026");
  });

  it("sends no digest to an address that unsubscribed from digests, and says so in the log", async () => {
    const dir = bridges.temp();
    const config = fixture(dir, `file:${path.join(dir, "mail")}`);
    const { logger, lines } = captureLogger("info");
    const running = await startExporter(config, logger, { now: () => COLLECTED });
    bridges.defer(() => running.close());
    await running.collect();
    const directory = openDirectory(config.directory, logger);
    bridges.defer(() => directory.close());
    const selfcare = new SqliteSelfcareStore(config.bridge.outbox);
    bridges.defer(() => selfcare.close());
    await selfcare.unsubscribe("Anna@Example.co.uk", "digest", "anna@example.co.uk", DUE - 86_400_000);
    // Unsubscribing from an account's alerts leaves the digests alone.
    await selfcare.unsubscribe("juerg.mueller@example.ch", "alerts:3723702", "juerg.mueller@example.ch", DUE);
    const outbox = new SqliteOutbox(config.bridge.outbox);
    bridges.defer(() => outbox.close());
    const queued = await queueDueDigests(
      {
        config: config.bridge,
        store: outbox,
        status: running.status,
        resolver: directoryResolver(directory, config.directory),
        logger,
        unsubscriptions: (addresses) => selfcare.activeUnsubscriptions(addresses),
      },
      DUE,
    );
    expect(queued).toBe(4);
    const recipients = outbox.db.prepare("SELECT recipient FROM digests ORDER BY recipient").pluck().all();
    expect(recipients).not.toContain("anna@example.co.uk");
    expect(recipients).toContain("juerg.mueller@example.ch");
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: "digest not sent: its recipient unsubscribed",
        reason: "unsubscribed: anna@example.co.uk from digests on 2026-11-30",
      }),
    );
  });
});
