import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteOutbox } from "../../src/bridge/outbox.js";
import { parseNotification } from "../../src/bridge/payload.js";
import { alert, payload, tempDir } from "./support.js";

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
});
