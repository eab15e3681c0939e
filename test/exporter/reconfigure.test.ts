import pino from "pino";
import { describe, expect, it } from "vitest";
import type { Account } from "../../src/directory/model.js";
import { Collector } from "../../src/exporter/collector.js";
import { createSelfMetrics } from "../../src/exporter/self-metrics.js";
import { account, FakeDirectory, FakeReader, settings } from "./fakes.js";

/** A directory whose listing waits until `release()`. */
class HeldDirectory extends FakeDirectory {
  #release: () => void = () => {};
  #held = new Promise<void>((resolve) => {
    this.#release = resolve;
  });

  release(): void {
    this.#release();
  }

  override async listAccounts(): Promise<Account[]> {
    await this.#held;
    return super.listAccounts();
  }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

const setUp = () => {
  const first = new HeldDirectory();
  first.accounts = [account("1")];
  const second = new FakeDirectory();
  second.accounts = [account("2"), account("3")];
  const collector = new Collector({
    directory: first,
    reader: new FakeReader(),
    settings,
    metrics: createSelfMetrics(),
    logger: pino({ level: "silent" }),
    concurrency: 2,
  });
  return { first, second, collector };
};

describe("Collector.reconfigure", () => {
  it("waits for the collection in progress, which completes on the old sources, and the next one uses the new", async () => {
    const { first, second, collector } = setUp();
    const events: string[] = [];
    const collecting = collector.collect().then((ok) => events.push(`collected ${ok}`));
    await tick();
    const reconfigured = collector
      .reconfigure(async () => {
        events.push("reconfigured");
        return { directory: second };
      })
      .then(() => events.push("done"));
    await tick();
    expect(events).toEqual([]);

    first.release();
    await Promise.all([collecting, reconfigured]);
    expect(events).toEqual(["collected true", "reconfigured", "done"]);
    expect(collector.snapshot?.accounts).toBe(1);

    expect(await collector.collect()).toBe(true);
    expect(collector.snapshot?.accounts).toBe(2);
    expect(first.listCalls).toBe(1);
  });

  it("holds a collection asked for during a reconfiguration until it is done", async () => {
    const { second, collector } = setUp();
    let finish: () => void = () => {};
    const reconfigured = collector.reconfigure(
      () =>
        new Promise((resolve) => {
          finish = () => resolve({ directory: second });
        }),
    );
    const collecting = collector.collect();
    await tick();
    expect(second.listCalls).toBe(0);
    finish();
    await reconfigured;
    expect(await collecting).toBe(true);
    expect(second.listCalls).toBe(1);
    expect(collector.snapshot?.accounts).toBe(2);
  });

  it("keeps the sources when the change fails, and collects on", async () => {
    const { first, collector } = setUp();
    first.release();
    await expect(
      collector.reconfigure(async () => {
        throw new Error("history not writable");
      }),
    ).rejects.toThrow("history not writable");
    expect(await collector.collect()).toBe(true);
    expect(collector.snapshot?.accounts).toBe(1);
  });
});
