import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { countMissed, nextPlanned, plannedTimes, type Schedule } from "../../src/backup/index.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

type Custom = Extract<Schedule, { type: "custom" }>;
const custom = (hour: number, minute: number, weekdays: number[], utcOffsetMinutes: number): Custom => ({
  type: "custom",
  hour,
  minute,
  weekdays,
  utcOffsetMinutes,
});

const weekdaysSample = custom(19, 30, [1, 3, 5], 60);
const perlDaily = custom(2, 15, [1, 2, 3, 4, 5, 6, 7], 60);

/** Reference: walk minute by minute and ask the wall clock at the schedule's fixed offset. */
function bruteForceMissed(schedule: Custom, from: number, until: number): number {
  let count = 0;
  for (let t = Math.floor(from / MINUTE) * MINUTE; t <= until; t += MINUTE) {
    if (t <= from) continue;
    const wall = new Date(t + schedule.utcOffsetMinutes * MINUTE);
    const isoWeekday = wall.getUTCDay() === 0 ? 7 : wall.getUTCDay();
    if (
      wall.getUTCHours() === schedule.hour &&
      wall.getUTCMinutes() === schedule.minute &&
      schedule.weekdays.includes(isoWeekday)
    )
      count += 1;
  }
  return count;
}

const scheduleArbitrary = fc
  .record({
    hour: fc.integer({ min: 0, max: 23 }),
    minute: fc.integer({ min: 0, max: 59 }),
    weekdays: fc.uniqueArray(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 7 }),
    offset: fc.integer({ min: -12 * 60, max: 14 * 60 }),
  })
  .map(({ hour, minute, weekdays, offset }) => custom(hour, minute, weekdays.sort(), offset));
const instantArbitrary = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) });

describe("planned times", () => {
  it("plans Mon/Wed/Fri 19:30 at +01:00", () => {
    const week = plannedTimes(
      weekdaysSample,
      new Date("2026-11-22T23:00:00Z"),
      new Date("2026-11-29T23:00:00Z"),
    );
    expect(week.map((d) => d.toISOString())).toEqual([
      "2026-11-23T18:30:00.000Z",
      "2026-11-25T18:30:00.000Z",
      "2026-11-27T18:30:00.000Z",
    ]);
    expect(nextPlanned(weekdaysSample, new Date("2026-11-25T18:47:45Z"))).toEqual(
      new Date("2026-11-27T18:30:00Z"),
    );
  });

  it("keeps a schedule written at +01:00 at 18:30 UTC in July (no daylight saving time)", () => {
    const july = plannedTimes(
      weekdaysSample,
      new Date("2026-07-05T00:00:00Z"),
      new Date("2026-07-12T00:00:00Z"),
    );
    expect(july.map((d) => d.toISOString())).toEqual([
      "2026-07-06T18:30:00.000Z",
      "2026-07-08T18:30:00.000Z",
      "2026-07-10T18:30:00.000Z",
    ]);
    // Missed in July counts the same fixed-offset slots: Mon 6 and Wed 8, with Fri 10 not yet an hour past.
    expect(
      countMissed(
        weekdaysSample,
        new Date("2026-07-03T18:30:05Z"),
        new Date("2026-07-10T19:00:00Z"),
        3600,
        1000,
      ),
    ).toBe(2);
  });

  it("plans the Perl client's daily 02:15 at +01:00, across the end of the year", () => {
    const days = plannedTimes(perlDaily, new Date("2026-12-30T00:00:00Z"), new Date("2027-01-02T12:00:00Z"));
    expect(days.map((d) => d.toISOString())).toEqual([
      "2026-12-30T01:15:00.000Z",
      "2026-12-31T01:15:00.000Z",
      "2027-01-01T01:15:00.000Z",
      "2027-01-02T01:15:00.000Z",
    ]);
    expect(
      countMissed(perlDaily, new Date("2026-11-25T01:15:04Z"), new Date("2026-11-26T12:00:00Z"), 3600, 1000),
    ).toBe(1);
  });

  it("plans at offsets west of UTC and at -00:00", () => {
    expect(nextPlanned(custom(23, 0, [7], -300), new Date("2026-11-29T12:00:00Z"))).toEqual(
      new Date("2026-11-30T04:00:00Z"),
    );
    expect(nextPlanned(custom(18, 0, [1, 2, 3, 4, 5, 6, 7], 0), new Date("2026-11-26T12:00:00Z"))).toEqual(
      new Date("2026-11-26T18:00:00Z"),
    );
  });

  it("has no planned times without a fixed schedule", () => {
    const now = new Date("2026-11-26T12:00:00Z");
    for (const schedule of [
      { type: "none" },
      { type: "after_startup", minutesAfterStartup: 15 },
    ] as Schedule[]) {
      expect(nextPlanned(schedule, now)).toBeUndefined();
      expect(plannedTimes(schedule, new Date(0), now)).toEqual([]);
      expect(countMissed(schedule, new Date(0), now, 0, 1000)).toBe(0);
    }
  });

  it("counts decades of silence by arithmetic and caps the count", () => {
    const since = new Date("1990-01-01T00:00:00Z");
    const now = new Date("2026-11-26T12:00:00Z");
    expect(countMissed(perlDaily, since, now, 3600, 1000)).toBe(1000);
    expect(countMissed(perlDaily, since, now, 3600, Number.MAX_SAFE_INTEGER)).toBe(13479);
    expect(countMissed(perlDaily, undefined, now, 3600, 1000)).toBe(0);
  });
});

describe("missed schedules (properties)", () => {
  it("counts exactly the planned slots passed, like a minute-by-minute walk", () => {
    fc.assert(
      fc.property(
        scheduleArbitrary,
        instantArbitrary,
        fc.integer({ min: 0, max: 21 * DAY }),
        fc.integer({ min: 0, max: 3 * 3600 }),
        (schedule, from, span, grace) => {
          const now = from + span;
          expect(countMissed(schedule, new Date(from), new Date(now), grace, 10_000)).toBe(
            bruteForceMissed(schedule, from, now - grace * 1000),
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  it("is zero right after a run, until a planned time is more than the grace period past", () => {
    fc.assert(
      fc.property(
        scheduleArbitrary,
        instantArbitrary,
        fc.integer({ min: 0, max: 3 * 3600 }),
        (schedule, start, grace) => {
          const next = nextPlanned(schedule, new Date(start)) as Date;
          expect(countMissed(schedule, new Date(start), new Date(start), grace, 1000)).toBe(0);
          expect(
            countMissed(schedule, new Date(start), new Date(next.getTime() + grace * 1000 - 1), grace, 1000),
          ).toBe(0);
          expect(
            countMissed(schedule, new Date(start), new Date(next.getTime() + grace * 1000), grace, 1000),
          ).toBe(1);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("never decreases while no run happens, and never exceeds the cap", () => {
    fc.assert(
      fc.property(
        scheduleArbitrary,
        instantArbitrary,
        fc.array(fc.integer({ min: 0, max: 400 * DAY }), { minLength: 2, maxLength: 8 }),
        fc.integer({ min: 1, max: 50 }),
        (schedule, start, offsets, cap) => {
          const counts = offsets
            .sort((a, b) => a - b)
            .map((offset) => countMissed(schedule, new Date(start), new Date(start + offset), 3600, cap));
          for (let i = 1; i < counts.length; i += 1)
            expect(counts[i]).toBeGreaterThanOrEqual(counts[i - 1] as number);
          for (const count of counts) expect(count).toBeLessThanOrEqual(cap);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("lists planned times that agree with the count and with nextPlanned", () => {
    fc.assert(
      fc.property(
        scheduleArbitrary,
        instantArbitrary,
        fc.integer({ min: 0, max: 60 * DAY }),
        (schedule, from, span) => {
          const times = plannedTimes(schedule, new Date(from), new Date(from + span));
          expect(times.length).toBe(countMissed(schedule, new Date(from), new Date(from + span), 0, 10_000));
          if (times[0]) expect(times[0]).toEqual(nextPlanned(schedule, new Date(from)));
          for (const time of times) expect(time.getTime()).toBeGreaterThan(from);
        },
      ),
      { numRuns: 200 },
    );
  });
});
