import { describe, expect, it } from "vitest";
import { parseClientDate, parseUtcOffset } from "../../src/backup/index.js";

const instant = (text: string, mtime?: Date, now?: Date) => {
  const result = parseClientDate(text, mtime, now ? { now } : {});
  if (!result.ok) throw new Error(result.error);
  return result.value;
};

describe("client dates", () => {
  it("reads local time plus offset", () => {
    expect(instant("2026-11-23T19:30:02+01:00")).toMatchObject({
      at: new Date("2026-11-23T18:30:02Z"),
      offsetMinutes: 60,
      corrections: [],
      clockSkewed: false,
    });
    expect(instant("2026-07-01T10:00:00+05:45").at).toEqual(new Date("2026-07-01T04:15:00Z"));
    expect(instant("2026-07-01T10:00:00Z").at).toEqual(new Date("2026-07-01T10:00:00Z"));
  });

  it("reads Sepiola's -00:00 as UTC", () => {
    expect(instant("2026-11-25T18:00:04-00:00")).toMatchObject({
      at: new Date("2026-11-25T18:00:04Z"),
      offsetMinutes: 0,
      corrections: ["zero-offset"],
    });
  });

  it("recovers Sepiola's wrapped offsets west of UTC", () => {
    // 2^32 s − 5 h = 4294949296 s = 1193041 h 28 min (rounded to minutes).
    expect(instant("2026-11-23T14:30:00+1193041:28")).toMatchObject({
      at: new Date("2026-11-23T19:30:00Z"),
      offsetMinutes: -300,
      corrections: ["wrapped-offset"],
    });
    // UTC−3:30 (Newfoundland): 2^32 s − 12600 s = 1193042 h 58 min.
    expect(instant("2026-11-23T16:00:00+1193042:58").offsetMinutes).toBe(-210);
    // UTC−12 is the westernmost offset; anything beyond cannot be recovered.
    expect(instant("2026-11-23T00:00:00+1193034:28").offsetMinutes).toBe(-720);
    expect(parseClientDate("2026-11-23T00:00:00+1193000:00").ok).toBe(false);
    expect(parseClientDate("2026-11-23T00:00:00+99:00").ok).toBe(false);
  });

  it("recovers the Perl client's midnight offsets by ±24 h", () => {
    // 00:30 in UTC+1 is 23:30 UTC the day before: the Perl client writes 0 − 23 = −23 h.
    expect(instant("2026-11-26T00:30:05-23:00")).toMatchObject({
      at: new Date("2026-11-25T23:30:05Z"),
      offsetMinutes: 60,
      corrections: ["midnight-offset"],
    });
    // 21:00 in UTC−5 is 02:00 UTC the next day: 21 − 2 = +19 h.
    expect(instant("2026-11-25T21:00:00+19:00")).toMatchObject({
      at: new Date("2026-11-26T02:00:00Z"),
      offsetMinutes: -300,
    });
    // 00:30 in UTC+2 (summer): −22 h.
    expect(instant("2026-07-01T00:30:00-22:00").at).toEqual(new Date("2026-06-30T22:30:00Z"));
  });

  it("uses the mtime to choose between a plausible offset and its ±24 h twin", () => {
    // −10:00 is Hawaii, or UTC+14 written around midnight; the arrival time tells which.
    const written = "2026-11-26T00:20:00-10:00";
    expect(instant(written).at).toEqual(new Date("2026-11-26T10:20:00Z"));
    const arrivedEarly = new Date("2026-11-25T10:25:00Z");
    expect(instant(written, arrivedEarly)).toMatchObject({
      at: new Date("2026-11-25T10:20:00Z"),
      offsetMinutes: 14 * 60,
      clockSkewed: false,
    });
    expect(instant(written, new Date("2026-11-26T10:25:00Z")).offsetMinutes).toBe(-600);
    // 21:00 in UTC−10 is 07:00 UTC the next day: 21 − 7 = +14 h, a plausible offset too.
    expect(instant("2026-11-25T21:00:00+14:00", new Date("2026-11-26T07:05:00Z"))).toMatchObject({
      at: new Date("2026-11-26T07:00:00Z"),
      offsetMinutes: -600,
      corrections: ["midnight-offset"],
    });
    // A file copied long after it was written fits neither reading: the written offset stands.
    expect(instant(written, new Date("2026-12-20T00:00:00Z")).offsetMinutes).toBe(-600);
  });

  it("flags a client date later than the file's arrival and uses the mtime instead", () => {
    const mtime = new Date("2026-11-26T09:00:00Z");
    expect(instant("2027-03-14T21:00:02+01:00", mtime)).toMatchObject({
      at: mtime,
      clientAt: new Date("2027-03-14T20:00:02Z"),
      clockSkewed: true,
    });
    // Within the tolerance (6 h by default) the client's own date stands.
    expect(instant("2026-11-26T14:59:00Z", mtime)).toMatchObject({ clockSkewed: false });
    expect(instant("2026-11-26T15:01:00Z", mtime, undefined).clockSkewed).toBe(true);
    expect(parseClientDate("2026-11-26T11:00:00Z", mtime, { toleranceSeconds: 60 })).toMatchObject({
      ok: true,
      value: { clockSkewed: true, at: mtime },
    });
  });

  it("accepts a client date earlier than the mtime (a file copied later, a fresh git checkout)", () => {
    expect(instant("2026-11-20T20:00:03+01:00", new Date("2026-11-26T09:00:00Z"))).toMatchObject({
      at: new Date("2026-11-20T19:00:03Z"),
      clockSkewed: false,
    });
  });

  it("flags dates in the future even without an mtime, and never moves them past now", () => {
    const now = new Date("2026-11-26T12:00:00Z");
    expect(instant("2027-01-01T00:00:00+01:00", undefined, now)).toMatchObject({
      clockSkewed: true,
      at: now,
    });
    expect(instant("2027-01-01T00:00:00+01:00", new Date("2028-01-01T00:00:00Z"), now)).toMatchObject({
      at: now,
    });
    expect(instant("2026-11-26T12:30:00Z", undefined, now).clockSkewed).toBe(false);
  });

  it("rejects what is not a date", () => {
    for (const text of [
      "",
      "2026-11-23",
      "2026-11-23T19:30:02",
      "2026-02-30T10:00:00+01:00",
      "2026-11-23T25:00:00Z",
      "2026-11-23T19:30:02+01:60",
      "x2026-11-23T19:30:02+01:00",
      42,
      null,
    ])
      expect(parseClientDate(text as string).ok).toBe(false);
  });
});

describe("schedule offsets", () => {
  it("reads the offsets the clients write, with the same recoveries", () => {
    expect(parseUtcOffset("+01:00")).toEqual({ ok: true, value: 60 });
    expect(parseUtcOffset("-00:00")).toEqual({ ok: true, value: 0 });
    expect(parseUtcOffset("-05:00")).toEqual({ ok: true, value: -300 });
    expect(parseUtcOffset("+1193041:28")).toEqual({ ok: true, value: -300 });
    expect(parseUtcOffset("-23:00")).toEqual({ ok: true, value: 60 });
    expect(parseUtcOffset("Europe/Zurich").ok).toBe(false);
  });
});
