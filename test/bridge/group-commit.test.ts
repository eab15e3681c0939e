import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteOutbox } from "../../src/bridge/outbox.js";
import { parseNotification } from "../../src/bridge/payload.js";
import { alert, operatorMail, payload, tempDir } from "./support.js";

const notification = (fingerprint: string) => {
  const parsed = parseNotification(payload([alert({ task: "monitoring", fingerprint })]));
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
};

describe("SQLite outbox group commit", () => {
  let remove = () => {};
  afterEach(() => remove());

  it("stores every payload of one burst, dedupes within the burst, and a failing write fails alone", async () => {
    const temp = tempDir();
    remove = temp.remove;
    const outbox = new SqliteOutbox(path.join(temp.dir, "outbox.sqlite"));
    const now = Date.now();
    const broken = { ...notification("broken"), groupKey: null as unknown as string };
    const results = await Promise.allSettled([
      outbox.accept(notification("a"), now, 3_600_000),
      outbox.accept(notification("a"), now, 3_600_000),
      outbox.accept(broken, now, 3_600_000),
      outbox.accept(notification("b"), now, 3_600_000),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    expect(results.map((r) => (r.status === "fulfilled" ? r.value.duplicates : undefined))).toEqual([
      0,
      1,
      undefined,
      0,
    ]);
    // The rejected payload left nothing behind; the others are all there.
    const alerts = outbox.db.prepare("SELECT fingerprint, state FROM alerts ORDER BY id").all();
    expect(alerts).toEqual([
      { fingerprint: "a", state: "pending" },
      { fingerprint: "a", state: "duplicate" },
      { fingerprint: "b", state: "pending" },
    ]);
    await outbox.close();
  });

  it("keeps every other commit synced: the writes that skip their fsync leave the outbox at synchronous FULL", async () => {
    const temp = tempDir();
    remove = temp.remove;
    const outbox = new SqliteOutbox(path.join(temp.dir, "outbox.sqlite"));
    const now = Date.now();
    await Promise.all([outbox.accept(notification("a"), now, 0), outbox.accept(notification("b"), now, 0)]);
    const due = await outbox.claimAlerts(now, 10);
    await outbox.route(
      due.map((a) => ({ alert: a, items: [] })),
      now,
    );
    outbox.createMails([operatorMail("ops@backup.example", "disk full")], now);
    expect(await outbox.claimMails(now, 10)).toHaveLength(1);
    // 2 is FULL: every commit but those of the group commit and of the two cheap writes syncs at once.
    expect(outbox.db.pragma("synchronous", { simple: true })).toBe(2);
    await outbox.close();
  });

  it("closes only after the sync of the last accepted payloads, which are all there at the next start", async () => {
    const temp = tempDir();
    remove = temp.remove;
    const file = path.join(temp.dir, "outbox.sqlite");
    const outbox = new SqliteOutbox(file);
    const accepted = ["a", "b", "c"].map((f) => outbox.accept(notification(f), Date.now(), 0));
    await new Promise((resolve) => setImmediate(resolve));
    await outbox.close();
    expect((await Promise.all(accepted)).map((r) => r.alerts)).toEqual([1, 1, 1]);
    const reopened = new SqliteOutbox(file);
    expect(reopened.db.prepare("SELECT COUNT(*) AS n FROM alerts").get()).toEqual({ n: 3 });
    await reopened.close();
  });
});
