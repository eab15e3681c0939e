import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteOutbox } from "../../src/bridge/outbox.js";
import { parseNotification } from "../../src/bridge/payload.js";
import { alert, operatorMail, operatorRecipient, payload, tempDir } from "./support.js";

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

  it("coalesces in slices: what waits for the event loop runs between recipients whose mails take long to render", async () => {
    const temp = tempDir();
    remove = temp.remove;
    const outbox = new SqliteOutbox(path.join(temp.dir, "outbox.sqlite"));
    const now = Date.now();
    await outbox.accept(notification("slow"), now, 0);
    const [stored] = await outbox.claimAlerts(now, 10);
    if (!stored) throw new Error("no alert stored");
    const entry = {
      task: stored.task,
      status: stored.status,
      labels: stored.labels,
      annotations: {},
      startsAt: stored.startsAt,
    };
    const addresses = ["a@backup.example", "b@backup.example", "c@backup.example"];
    await outbox.route(
      [
        {
          alert: stored,
          items: addresses.map((address) => ({
            kind: "queued" as const,
            recipient: operatorRecipient(address),
            entry,
          })),
        },
      ],
      now,
    );
    let composed = 0;
    let composedWhenTheLoopTurned: number | undefined;
    setImmediate(() => {
      composedWhenTheLoopTurned = composed;
    });
    const created = await outbox.coalesce(
      { quietMs: 0, maxHoldMs: 0 },
      100,
      (items) => {
        // Rendering a long mail: longer than a slice.
        const until = performance.now() + 30;
        while (performance.now() < until);
        composed++;
        const [item] = items;
        return {
          mail: operatorMail(item?.recipient.address ?? "", "slow").mail,
          itemIds: items.map((i) => i.id),
          dead: [],
        };
      },
      now + 1,
    );
    expect(created).toBe(3);
    expect(composedWhenTheLoopTurned).toBe(1);
    const mailed = outbox.db.prepare("SELECT recipient FROM mails ORDER BY recipient").all();
    expect(mailed).toEqual(addresses.map((recipient) => ({ recipient })));
    await outbox.close();
  });
});
