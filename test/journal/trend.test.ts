import { describe, expect, it } from "vitest";
import { createSelfMetrics } from "../../src/exporter/self-metrics.js";
import { DAY_MS, dayOf, type JournalStats, type UsageDay } from "../../src/journal/index.js";
import { forecastFull, hostTimeline, scheduleFromLabels } from "../../src/journal/trend.js";

const now = Date.parse("2026-12-06T12:00:00Z");
const today = dayOf(now);
const GB = 1_000_000_000;

/** Usage of the last `days` days by `usedOn(daysAgo)`. */
const usage = (days: number, usedOn: (daysAgo: number) => number | undefined): UsageDay[] =>
  Array.from({ length: days }, (_, i) => days - 1 - i).map((ago) => {
    const used = usedOn(ago);
    return used === undefined
      ? { account: "a", day: today - ago }
      : { account: "a", day: today - ago, usedBytes: used };
  });

describe("forecastFull (least squares over the last 30 days)", () => {
  it("extends a steady growth to the day the quota is reached", () => {
    // 1 GB a day, 20 GB today, quota 34 GB: full in 14 days, at midnight UTC of that day.
    const forecast = forecastFull(
      usage(30, (ago) => (20 - ago) * GB),
      34 * GB,
      now,
    );
    expect(forecast?.bytesPerDay).toBeCloseTo(GB, 0);
    expect(forecast?.fullAtMs).toBe((today + 14) * DAY_MS);
  });

  it("fits a line through noisy days and ignores those older than 30 days", () => {
    const noisy = usage(60, (ago) =>
      ago >= 30 ? 100 * GB : 10 * GB + (29 - ago) * 0.5 * GB + (ago % 2 ? 0.2 : -0.2) * GB,
    );
    const forecast = forecastFull(noisy, 30 * GB, now);
    expect(forecast?.bytesPerDay).toBeGreaterThan(0.45 * GB);
    expect(forecast?.bytesPerDay).toBeLessThan(0.55 * GB);
    // 24.5 GB today, 5.5 GB to go at about half a GB a day: around 11 days.
    const days = ((forecast?.fullAtMs ?? 0) - now) / DAY_MS;
    expect(days).toBeGreaterThan(9.5);
    expect(days).toBeLessThan(12.5);
  });

  it("gives none when usage is flat or falling, or the quota unknown, or too few days are known", () => {
    expect(
      forecastFull(
        usage(30, () => 5 * GB),
        10 * GB,
        now,
      ),
    ).toBeUndefined();
    expect(
      forecastFull(
        usage(30, (ago) => (5 + ago * 0.1) * GB),
        10 * GB,
        now,
      ),
    ).toBeUndefined();
    expect(
      forecastFull(
        usage(30, (ago) => (20 - ago) * GB),
        undefined,
        now,
      ),
    ).toBeUndefined();
    expect(
      forecastFull(
        usage(30, (ago) => (ago < 2 ? (20 - ago) * GB : undefined)),
        34 * GB,
        now,
      ),
    ).toBeUndefined();
  });

  it("gives none when the quota is more than two years away, and now when it is already reached", () => {
    expect(
      forecastFull(
        usage(30, (ago) => 1 * GB - ago * 1000),
        1000 * GB,
        now,
      ),
    ).toBeUndefined();
    expect(
      forecastFull(
        usage(30, (ago) => (40 - ago) * GB),
        34 * GB,
        now,
      )?.fullAtMs,
    ).toBe(now);
  });
});

describe("hostTimeline", () => {
  const schedule = scheduleFromLabels({ type: "custom", cron: "30 19 * * *", utcOffset: "+01:00" });
  const run = (daysAgo: number, success: boolean) => ({
    account: "a",
    host: "pc",
    runId: String(daysAgo),
    startedMs: (today - daysAgo) * DAY_MS + 18.5 * 3_600_000,
    endedMs: (today - daysAgo) * DAY_MS + 19 * 3_600_000,
    success,
  });

  it("tells succeeded, failed, missed and unknown days apart, and today's run ahead is not missed", () => {
    const seen = new Set([today - 4, today - 3, today - 2, today]);
    const days = hostTimeline({
      runs: [run(4, true), run(3, false)],
      schedule,
      seenDays: seen,
      running: false,
      nowMs: now,
      days: 5,
    });
    expect(days.map((d) => d.state)).toEqual(["succeeded", "failed", "missed", "unknown", "idle"]);
  });

  it("shows a run in progress today, and a day with a run even when the exporter saw it only later", () => {
    const days = hostTimeline({
      runs: [run(1, true)],
      schedule,
      seenDays: new Set([today]),
      running: true,
      nowMs: now,
      days: 2,
    });
    expect(days.map((d) => d.state)).toEqual(["succeeded", "running"]);
  });

  it("never counts a day as missed without fixed backup times", () => {
    const days = hostTimeline({
      runs: [],
      schedule: scheduleFromLabels({ type: "after_startup", cron: "", utcOffset: "" }),
      seenDays: new Set([today - 2, today - 1]),
      running: false,
      nowMs: now,
      days: 3,
    });
    expect(days.map((d) => d.state)).toEqual(["idle", "idle", "unknown"]);
  });

  it("reads weekdays from the exporter's cron labels (Sunday is 0)", () => {
    expect(scheduleFromLabels({ type: "custom", cron: "30 19 * * 0,1,3", utcOffset: "+01:00" })).toEqual({
      type: "custom",
      minute: 30,
      hour: 19,
      weekdays: [7, 1, 3],
      utcOffsetMinutes: 60,
    });
  });
});

describe("the journal's own metrics", () => {
  it("are its last measured size (0 before the first measurement) and the time spent writing it", async () => {
    const stats: JournalStats = { bytes: undefined, writeSeconds: 0 };
    const metrics = createSelfMetrics(() => stats);
    const before = await metrics.registry.metrics();
    expect(before).toMatch(/^stoney_backup_journal_bytes 0$/m);
    expect(before).toMatch(/^stoney_backup_journal_write_seconds_total 0$/m);
    stats.bytes = 178_600_000;
    stats.writeSeconds = 1.25;
    const after = await metrics.registry.metrics();
    expect(after).toMatch(/^stoney_backup_journal_bytes 178600000$/m);
    expect(after).toMatch(/^stoney_backup_journal_write_seconds_total 1.25$/m);
  });
});
