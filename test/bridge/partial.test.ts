import { afterAll, describe, expect, it } from "vitest";
import { type Postgres, requirePostgres, startPostgres } from "../support/postgres.js";
import {
  accountStatus,
  alert,
  bridgeFixture,
  fixedStatusSource,
  payload,
  post,
  quotaAnnotations,
  waitFor,
} from "./support.js";

/** A mail continuing a conversation about several problems, of which only some are solved. */
describe("partial resolutions", () => {
  const bridges = bridgeFixture();

  let server: Postgres | undefined;
  afterAll(() => server?.dispose());
  const postgres = requirePostgres();

  /** The bridge's outbox: SQLite, or this PostgreSQL database. */
  async function partialResolution(database?: string) {
    const { url, sink } = await bridges.start({
      ...(database ? { bridge: { outbox: database } } : {}),
      parts: { status: fixedStatusSource([accountStatus("3723707")]) },
    });
    const to = "anna@example.co.uk";
    const quota = alert({
      account: "3723707",
      task: "quota",
      annotations: quotaAnnotations,
      fingerprint: "p1",
    });
    const failed = alert({
      account: "3723707",
      task: "unsuccessful",
      labels: { host: "pc" },
      annotations: { consecutive_failures: "3", threshold: "1" },
      fingerprint: "p2",
    });
    await post(url, payload([quota, failed]));
    await waitFor("the warning about both", () => sink.to(to).length === 1);
    expect(sink.to(to)[0]?.parsed.subject).toBe("2 backup problems");

    // Alertmanager lists the group's firing alert again: a duplicate, not a new warning.
    await post(url, payload([{ ...quota, status: "resolved", endsAt: "2026-11-26T11:30:00Z" }, failed]));
    await waitFor("the partial resolution", () => sink.to(to).length === 2);
    const mail = sink.to(to)[1]?.parsed;
    expect(mail?.subject).toBe("Re: 2 backup problems");
    const text = mail?.text ?? "";
    expect(text.split("\n")[0]).toBe("1 solved, 1 still open.");
    expect(text).toContain("* Storage back below the warning level (account 3723707)");
    // What is still open is named without its old figures: those were true when it was mailed.
    expect(text).toContain("Still open:\n* Backup failed (account 3723707, computer pc)");
    // The HTML preheader (the hidden first text of the body) is what mail clients show as its preview.
    const html = String(mail?.html);
    const body = html.slice(html.indexOf("<body"));
    expect(/<div style="display:none[^>]*>([^<&]*)/.exec(body)?.[1]).toBe("1 solved, 1 still open.");
    const visible = body.replace(/<div style="display:none.*?<\/div>/s, "").replace(/<[^>]+>/g, " ");
    expect(visible.replace(/\s+/g, " ")).toMatch(
      /^ ?1 solved, 1 still open\. .*Still open: Backup failed \(account 3723707, computer pc\)/,
    );

    await post(url, payload([{ ...failed, status: "resolved", endsAt: "2026-11-26T12:00:00Z" }]));
    await waitFor("the last resolution", () => sink.to(to).length === 3);
    const last = sink.to(to)[2]?.parsed.text ?? "";
    expect(last).not.toContain("still open");
    expect(last).toContain("Backups successful again (account 3723707, computer pc)");
  }

  it("say how many are solved and still open first, and list what is still open (SQLite outbox)", () =>
    partialResolution());

  it.skipIf(!postgres)("do the same with the PostgreSQL outbox", async () => {
    server = await startPostgres();
    await partialResolution(await server.createDatabase("partial"));
  });
});
