import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { JournalRun, UsageDay } from "../../src/journal/index.js";
import { JournalRecorder, type JournalSink } from "../../src/journal/recorder.js";
import { capturingLogger } from "../backup/support.js";

/**
 * A store that keeps what it is given and fails while `down`: the recorder's queue, batching and
 * back-off are its own logic, tested here alone; the dialects are tested against SQLite and PostgreSQL
 * in journal.test.ts.
 */
class MemorySink implements JournalSink {
  down = false;
  readonly batches: { runs: readonly JournalRun[]; usage: readonly UsageDay[] }[] = [];
  attempts = 0;

  async write(runs: readonly JournalRun[], usage: readonly UsageDay[]): Promise<void> {
    this.attempts += 1;
    if (this.down) throw new Error("connection refused");
    this.batches.push({ runs, usage });
  }
  async pruneBatch(): Promise<number> {
    return 0;
  }
  async sizeBytes(): Promise<number> {
    return 0;
  }
  async close(): Promise<void> {}

  get runIds(): string[] {
    return this.batches.flatMap((batch) => batch.runs.map((run) => run.runId));
  }
}

const run = (id: number): JournalRun => ({
  account: "3723701",
  host: "pc",
  runId: String(id),
  endedMs: id,
  success: true,
});

/** Let the recorder's promise chain (a flush waits for the write before it) run to its end. */
const settle = () => vi.advanceTimersByTimeAsync(0);

describe("JournalRecorder", () => {
  let sink: MemorySink;
  let log: ReturnType<typeof capturingLogger>;
  let recorder: JournalRecorder;
  beforeEach(() => {
    vi.useFakeTimers();
    sink = new MemorySink();
    log = capturingLogger();
    recorder = new JournalRecorder(sink, 400, log.logger);
  });
  afterEach(() => vi.useRealTimers());

  it("writes 5,000 queued rows at once, and fewer 250 ms after the first of them", async () => {
    for (let id = 0; id < 4_999; id++) recorder.recordRun(run(id));
    await settle();
    expect(sink.attempts).toBe(0);
    recorder.recordRun(run(4_999));
    await settle();
    expect(sink.batches.map((batch) => batch.runs.length)).toEqual([5_000]);
    recorder.recordRun(run(5_000));
    await vi.advanceTimersByTimeAsync(249);
    expect(sink.batches).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sink.batches.map((batch) => batch.runs.length)).toEqual([5_000, 1]);
  });

  it("keeps a failed batch in front of what came meanwhile and tries again after 5 s, not at every full batch", async () => {
    sink.down = true;
    for (let id = 0; id < 5_000; id++) recorder.recordRun(run(id));
    await settle();
    expect(sink.attempts).toBe(1);
    for (let id = 5_000; id < 12_000; id++) recorder.recordRun(run(id));
    await vi.advanceTimersByTimeAsync(4_900);
    expect(sink.attempts).toBe(1);
    sink.down = false;
    await vi.advanceTimersByTimeAsync(100);
    expect(sink.attempts).toBe(2);
    expect(sink.runIds).toEqual(Array.from({ length: 12_000 }, (_, id) => String(id)));
    expect(
      log.lines().filter((line) => line.msg === "cannot write the run journal; will retry"),
    ).toHaveLength(1);
  });

  it("drops the oldest 5,000 rows beyond 200,000 while the store is unreachable, and says how many once it is back", async () => {
    sink.down = true;
    for (let id = 0; id < 200_000 + 7; id++) recorder.recordRun(run(id));
    recorder.recordUsage("3723701", { usedBytes: 1 }, new Date("2026-12-06T12:00:00Z"));
    await settle();
    sink.down = false;
    await vi.advanceTimersByTimeAsync(5_000);
    const ids = sink.runIds;
    expect(ids).toHaveLength(200_007 - 5_001);
    expect(ids[0]).toBe("5001");
    expect(sink.batches.flatMap((batch) => batch.usage)).toHaveLength(1);
    expect(log.lines().find((line) => String(line.msg).includes("dropped"))).toMatchObject({
      dropped: 5_001,
    });
  });

  it("queues an account's usage once a day, and again that day only when it learns the used bytes", async () => {
    const morning = new Date("2026-12-06T06:00:00Z");
    recorder.recordUsage("3723701", { quotaBytes: 100 }, morning);
    recorder.recordUsage("3723701", { quotaBytes: 100 }, new Date("2026-12-06T07:00:00Z"));
    recorder.recordUsage("3723701", { usedBytes: 5, quotaBytes: 100 }, new Date("2026-12-06T08:00:00Z"));
    recorder.recordUsage("3723701", { usedBytes: 6, quotaBytes: 100 }, new Date("2026-12-06T09:00:00Z"));
    recorder.recordUsage("3723701", { usedBytes: 7, quotaBytes: 100 }, new Date("2026-12-07T00:30:00Z"));
    await recorder.flush();
    expect(sink.batches.flatMap((batch) => batch.usage.map((day) => day.usedBytes))).toEqual([
      undefined,
      5,
      7,
    ]);
  });
});
