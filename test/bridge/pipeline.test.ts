import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { SqliteOutbox } from "../../src/bridge/outbox.js";
import { backoffMs, reasonLabel } from "../../src/bridge/pipeline.js";
import {
  alert,
  bridgeFixture,
  captureLogger,
  freePort,
  operatorMail,
  payload,
  post,
  quotaAnnotations,
  sleep,
  sqliteOf,
  testConfig,
  waitFor,
} from "./support.js";

const bridges = bridgeFixture();

/** These tests use the LDIF directory backend (examples/directory.ldif): real code, no server needed. */
describe("bridge pipeline", () => {
  it("dead-letters a mail that cannot be delivered within maxAgeHours", async () => {
    const config = testConfig({
      dir: bridges.temp(),
      bridge: {
        smtp: { url: `smtp://127.0.0.1:${await freePort()}`, timeoutMs: 1000 },
        retry: { maxAgeHours: 0.5 / 3600 },
      },
    });
    const bridge = await bridges.startWith(config);
    await post(
      `${bridge.url}/webhook`,
      payload([alert({ task: "monitoring", labels: { audience: "operator" } })]),
    );
    const running = bridge;
    await waitFor("a dead letter", async () => (await running.outbox.stats()).deadLetters === 1);
    const metrics = await (await fetch(`${bridge.url}/metrics`)).text();
    expect(metrics).toContain("stoney_backup_bridge_dead_letters 1");
    expect(metrics).toContain("stoney_backup_bridge_dead_letters_total 1");
    expect(metrics).toContain("stoney_backup_bridge_outbox_pending 0");
  });

  it("sends mails that were in flight at a crash again, with the same Message-ID", async () => {
    const sink = await bridges.sink();
    const config = testConfig({ dir: bridges.temp(), bridge: { smtp: { url: sink.url } } });
    const outbox = new SqliteOutbox(config.bridge.outbox, { messageDomain: "backup.example" });
    const [id] = outbox.createMails([operatorMail("ops@backup.example", "in flight")], Date.now());
    const [claimed] = await outbox.claimMails(Date.now(), 10);
    expect(claimed?.id).toBe(id);
    await outbox.close();

    await bridges.startWith(config);
    const received = sink;
    await waitFor("the resent mail", () => received.mails.length === 1);
    expect(received.mails[0]?.parsed.messageId).toBe(claimed?.messageId);
  });

  it("sends with a broken override using the built-in template, and logs it", async () => {
    const dir = bridges.temp();
    const overrides = path.join(dir, "templates");
    mkdirSync(overrides);
    writeFileSync(
      path.join(overrides, "en.yaml"),
      'subject.quota.firing: "Quota {{usedPercent}} {{unknownThing}"\n',
    );
    const sink = await bridges.sink();
    const config = testConfig({
      dir,
      bridge: { smtp: { url: sink.url }, templates: { overrideDir: overrides } },
    });
    const log = captureLogger("warn");
    const bridge = await bridges.startWith(config, log.logger);
    await post(
      `${bridge.url}/webhook`,
      payload([alert({ account: "3723707", task: "quota", annotations: quotaAnnotations })]),
    );
    const received = sink;
    await waitFor("mails", () => received.to("anna@example.co.uk").length === 1);
    expect(received.to("anna@example.co.uk")[0]?.parsed.subject).toBe("Backup 3723707: storage 97% full");
    expect(log.lines.some((l) => l.key === "subject.quota.firing")).toBe(true);
  });

  it("speaks STARTTLS (requireTLS) with authentication, and smtps://", async () => {
    for (const tls of ["starttls", "implicit"] as const) {
      const { bridge, sink } = await bridges.start({
        sink: { tls, auth: { username: "bridge", password: "mail-secret" } },
        bridge: {
          smtp: {
            requireTLS: tls === "starttls",
            username: "bridge",
            password: "mail-secret",
            tls: { rejectUnauthorized: false },
          },
        },
      });
      await post(
        `${bridge.url}/webhook`,
        payload([alert({ task: "monitoring", labels: { audience: "operator" } })]),
      );
      const received = sink;
      await waitFor(`a mail over ${tls}`, () => received.mails.length === 1);
      expect(received.mails[0]).toMatchObject({ secure: true, user: "bridge" });
      await bridges.close();
    }
  });

  it("delivers hostile label values harmlessly: no injected headers, escaped HTML", async () => {
    const { bridge, sink } = await bridges.start();
    const hostile = alert({
      task: "monitoring\r\nBcc: victim@example.org",
      labels: { audience: "operator", host: '<img src=x onerror="alert(1)">' },
      annotations: {
        summary: "evil\r\nBcc: victim@example.org\r\n\r\n<b>body</b>",
        description: "<script>x()</script>",
      },
    });
    expect((await post(`${bridge.url}/webhook`, payload([hostile]))).status).toBe(200);
    const received = sink;
    await waitFor("the operator mail", () => received.mails.length === 1);
    await sleep(200);
    const [mail] = received.mails;
    expect(received.mails).toHaveLength(1);
    expect(mail?.envelopeTo).toEqual(["ops@backup.example"]);
    expect(mail?.parsed.bcc).toBeUndefined();
    expect(mail?.parsed.headers.has("bcc")).toBe(false);
    expect(mail?.parsed.subject).toBe("Backup monitoring: evil Bcc: victim@example.org <b>body</b>");
    expect(mail?.parsed.html).not.toMatch(/<script|<img|<b>/);
    expect(mail?.parsed.html).toContain("&#60;script&#62;");
  });

  it("records operator alerts as suppressed when no operator address is configured", async () => {
    const bridge = await bridges.startWith(testConfig({ dir: bridges.temp(), bridge: { operators: [] } }));
    await post(
      `${bridge.url}/webhook`,
      payload([alert({ task: "monitoring", labels: { audience: "operator" } })]),
    );
    const running = bridge;
    await waitFor("routing", async () => (await running.outbox.stats()).pendingAlerts === 0);
    await sleep(300);
    const rows = sqliteOf(bridge).prepare("SELECT state, reason FROM items").all();
    expect(rows).toEqual([{ state: "suppressed", reason: "no operator address configured" }]);
    expect((await bridge.outbox.stats()).pendingMails).toBe(0);
  });
});

describe("outbox retention", () => {
  it("prunes finished records after retentionDays in small batches, keeps what still waits, and reports the size", async () => {
    const operators = Array.from({ length: 3 }, (_, i) => `ops${i}@backup.example`);
    const { bridge, sink } = await bridges.start({ bridge: { operators, retentionDays: 90 } });
    const alerts = Array.from({ length: 700 }, () =>
      alert({ task: "monitoring", labels: { audience: "operator" } }),
    );
    await post(`${bridge.url}/webhook`, payload(alerts));
    await waitFor("the operators' mails", () => sink.mails.length === 3);
    const db = sqliteOf(bridge);
    await waitFor(
      "mails recorded",
      () => db.prepare("SELECT 1 FROM mails WHERE state != 'sent'").get() === undefined,
    );
    // Waiting work is never pruned, however old: an alert still waiting for the directory.
    db.prepare("UPDATE alerts SET state = 'pending', next_attempt_at = ? WHERE id = 1").run(
      Date.now() + 3600_000,
    );
    db.prepare("DELETE FROM items WHERE alert_id = 1").run();
    const count = (table: string) =>
      (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    const metrics = await (await fetch(`${bridge.url}/metrics`)).text();
    expect(Number(/stoney_backup_bridge_outbox_size_bytes (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(0);

    expect(await bridge.pipeline.prune(Date.now() + 89 * 86_400_000)).toBe(0);
    const deleted = await bridge.pipeline.prune(Date.now() + 91 * 86_400_000);
    // 3 attempts, 699 × 3 items, 3 mails, 699 alerts: batches of at most 500 rows.
    expect(deleted).toBe(3 + 699 * 3 + 3 + 699);
    expect(["attempts", "items", "mails"].map(count)).toEqual([0, 0, 0]);
    expect(count("alerts")).toBe(1);
    expect(count("notifications")).toBe(1);
  });
});

describe("pipeline helpers", () => {
  it("back off exponentially up to the maximum", () => {
    const retry = { initialBackoffSeconds: 30, maxBackoffSeconds: 3600, maxAgeHours: 24 };
    expect([0, 1, 2, 3, 10].map((n) => backoffMs(n, retry))).toEqual([
      30_000, 60_000, 120_000, 240_000, 3_600_000,
    ]);
  });

  it("keep reason labels free of uids", () => {
    expect(reasonLabel("person 5999999 not found")).toBe("person not found");
    expect(reasonLabel('mail "a@example.org, b@example.org" ignored: not exactly one address')).toBe(
      "mail ignored: not exactly one address",
    );
    expect(reasonLabel("warnings off (account)")).toBe("warnings off (account)");
  });
});
