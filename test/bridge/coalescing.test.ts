import path from "node:path";
import { describe, expect, it } from "vitest";
import { SqliteOutbox } from "../../src/bridge/outbox.js";
import { parseNotification } from "../../src/bridge/payload.js";
import { alert, bridgeFixture, operatorRecipient, payload, post, sleep, waitFor } from "./support.js";

const bridges = bridgeFixture();

const window = { quietMs: 5000, maxHoldMs: 20_000 };

/** The coalescing stage's view of the outbox, with the clock in the test's hand. */
function queue(dir: string) {
  const outbox = new SqliteOutbox(path.join(dir, "outbox.sqlite"), { messageDomain: "backup.example" });
  let fingerprint = 0;
  /** One routed item for `address`, created at `at` (ms). */
  const item = async (address: string, at: number) => {
    const parsed = parseNotification(
      payload([alert({ task: "monitoring", fingerprint: `f${++fingerprint}` })]),
    );
    if (!parsed.ok) throw new Error(parsed.error);
    await outbox.accept(parsed.value, at, 0);
    const due = await outbox.claimAlerts(at, 10);
    await outbox.route(
      due.map((a) => ({
        alert: a,
        items: [
          {
            kind: "queued" as const,
            recipient: operatorRecipient(address),
            entry: {
              task: a.task,
              status: a.status,
              labels: a.labels,
              annotations: a.annotations,
              startsAt: a.startsAt,
            },
          },
        ],
      })),
      at,
    );
  };
  const ready = (now: number) =>
    [...outbox.readyItems(now, window, 100).keys()].map((key) => key.slice(0, key.indexOf("|")));
  return { outbox, item, ready };
}

describe("coalescing window", () => {
  it("slides with each new item for the recipient: a burst is one mail", async () => {
    const { outbox, item, ready } = queue(bridges.temp());
    await item("a@example.org", 0);
    await item("b@example.org", 1000);
    await item("a@example.org", 4000);
    await item("a@example.org", 8000);
    // b's window closed 5 s after its only item; a's started at 0 but slid to 8 s + 5 s.
    expect(ready(5999)).toEqual([]);
    expect(ready(6000)).toEqual(["b@example.org"]);
    expect(ready(12_999)).toEqual(["b@example.org"]);
    expect(ready(13_000).sort()).toEqual(["a@example.org", "b@example.org"]);
    expect(await outbox.nextPreparation(window)).toBe(6000);
    const items = outbox.readyItems(13_000, window, 100).get("a@example.org|operator|en") ?? [];
    expect(items.map((i) => i.createdAt)).toEqual([0, 4000, 8000]);
    await outbox.close();
  });

  it("holds no recipient longer than the maximum hold while items keep coming", async () => {
    const { outbox, item, ready } = queue(bridges.temp());
    for (let at = 0; at <= 24_000; at += 4000) await item("a@example.org", at);
    // Never 5 s without a new item, so only the hold (20 s after the first) closes the window.
    expect(ready(19_999)).toEqual([]);
    expect(ready(20_000)).toEqual(["a@example.org"]);
    expect(await outbox.nextPreparation(window)).toBe(20_000);
    await outbox.close();
  });

  it("never holds less than the window when the hold is configured shorter", async () => {
    const { outbox, item } = queue(bridges.temp());
    await item("a@example.org", 0);
    await item("a@example.org", 3000);
    const short = { quietMs: 5000, maxHoldMs: 5000 };
    expect(outbox.readyItems(4999, short, 10).size).toBe(0);
    expect(outbox.readyItems(5000, short, 10).size).toBe(1);
    await outbox.close();
  });
});

describe("coalescing through the bridge (real SMTP server)", () => {
  it("mails alerts that keep arriving within the window as one mail, even when they span more than one window", async () => {
    const { bridge, sink } = await bridges.start({ bridge: { coalesceSeconds: 5, coalesceMaxSeconds: 60 } });
    // Four alerts 2 s apart: 6 s from the first to the last, longer than the 5 s window.
    for (let i = 0; i < 4; i++) {
      if (i > 0) await sleep(2000);
      await post(
        `${bridge.url}/webhook`,
        payload([
          alert({
            task: "monitoring",
            labels: { audience: "operator", instance: `host-${i}` },
            annotations: { summary: `host-${i} is down` },
          }),
        ]),
      );
    }
    const received = sink;
    const running = bridge;
    await waitFor("the coalesced mail", () => received.to("ops@backup.example").length > 0, 60_000);
    await waitFor(
      "nothing left to mail",
      async () => (await running.outbox.stats()).queuedItems === 0,
      60_000,
    );
    const mails = received.to("ops@backup.example");
    expect(mails).toHaveLength(1);
    for (let i = 0; i < 4; i++) expect(mails[0]?.parsed.text).toContain(`host-${i}`);
  }, 90_000);
});
