import { PassThrough } from "node:stream";
import { text } from "node:stream/consumers";
import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { compressBody, gzipParts, publicSegmentInflater, writePlain } from "../../src/exporter/body.js";
import { exportedFamilies, families } from "../../src/exporter/families.js";
import { renderText } from "../../src/exporter/render-text.js";
import { type AccountSample, accountSample, scheduleLabels } from "../../src/exporter/sample.js";
import { requireBinaries } from "../support/binaries.js";
import { parseExposition, promtoolProblems, seriesValue } from "./exposition.js";
import { account, host, settings } from "./fakes.js";

const now = new Date("2026-11-26T12:00:00Z");
const render = (samples: AccountSample[], rendered = families) =>
  [...renderText(samples, now, 64, rendered)].join("");

const awkwardHost = 'büro "pc"\\share\nline two \ufffd';
const samples = [
  accountSample(
    {
      account: account("3723707", {
        resellerUids: ["4000001", "4000002"],
        createdAt: new Date("2026-10-01T12:00:00Z"),
      }),
      hosts: [
        host(awkwardHost, {
          status: "running",
          lastStart: { at: new Date("2026-11-26T10:00:00Z"), id: "7" },
          schedule: { type: "custom", minute: 30, hour: 19, weekdays: [1, 3, 5], utcOffsetMinutes: 60 },
          client: {
            identifier: "Sepiola Online Backup Client",
            version: "2.6.1",
            operatingSystem: "Windows",
          },
          errors: ["backupEnded.xml: not well-formed"],
        }),
        host("laptop", {
          status: "success",
          lastSuccess: new Date("2026-11-25T19:00:00Z"),
          schedule: { type: "after_startup", minutesAfterStartup: 15 },
        }),
      ],
      quota: { quotaBytes: 1000, usedBytes: 970, ratio: 0.97 },
      neverUsed: false,
      errors: [],
    },
    settings(account("3723707"), []),
  ),
  accountSample(
    { account: account("3723706"), hosts: [], quota: {}, neverUsed: true, errors: [] },
    settings(account("3723706", { settings: { warnings: false, quotaWarningPercent: 90 } }), []),
  ),
];

describe("text renderer", () => {
  it("writes every family with HELP and TYPE, escapes label values, and leaves unknown values absent", () => {
    const body = render(samples);
    for (const family of families) {
      expect(body).toContain(`# HELP ${family.name} `);
      expect(body).toContain(`# TYPE ${family.name} gauge\n`);
    }
    expect(body).toContain('host="büro \\"pc\\"\\\\share\\nline two \ufffd"');
    const series = parseExposition(body);
    const pc = { account: "3723707", host: awkwardHost };
    expect(
      seriesValue(series, "stoney_backup_account_info", { account: "3723707", reseller: "4000001,4000002" }),
    ).toBe(1);
    expect(seriesValue(series, "stoney_backup_account_info", { account: "3723706", reseller: "" })).toBe(1);
    expect(seriesValue(series, "stoney_backup_quota_used_ratio", { account: "3723707" })).toBe(0.97);
    expect(seriesValue(series, "stoney_backup_quota_bytes", { account: "3723706" })).toBeUndefined();
    expect(seriesValue(series, "stoney_backup_warnings_enabled", { account: "3723706" })).toBe(0);
    expect(seriesValue(series, "stoney_backup_quota_warning_ratio", { account: "3723706" })).toBe(0.9);
    expect(
      seriesValue(series, "stoney_backup_account_created_timestamp_seconds", { account: "3723707" }),
    ).toBe(Date.parse("2026-10-01T12:00:00Z") / 1000);
    expect(
      seriesValue(series, "stoney_backup_account_created_timestamp_seconds", { account: "3723706" }),
    ).toBeUndefined();
    expect(seriesValue(series, "stoney_backup_last_run_status", { ...pc, status: "running" })).toBe(1);
    expect(seriesValue(series, "stoney_backup_last_end_timestamp_seconds", pc)).toBeUndefined();
    expect(seriesValue(series, "stoney_backup_metadata_errors", pc)).toBe(1);
    expect(
      seriesValue(series, "stoney_backup_schedule_info", {
        ...pc,
        type: "custom",
        cron: "30 19 * * 1,3,5",
        utc_offset: "+01:00",
      }),
    ).toBe(1);
    expect(
      seriesValue(series, "stoney_backup_client_info", {
        ...pc,
        identifier: "Sepiola Online Backup Client",
        version: "2.6.1",
        os: "Windows",
      }),
    ).toBe(1);
    const laptop = { account: "3723707", host: "laptop" };
    expect(seriesValue(series, "stoney_backup_client_info", laptop)).toBeUndefined();
    expect(
      seriesValue(series, "stoney_backup_schedule_info", {
        ...laptop,
        type: "after_startup",
        cron: "",
        utc_offset: "",
      }),
    ).toBe(1);
    expect(seriesValue(series, "stoney_backup_last_success_age_seconds", laptop)).toBe(17 * 3600);
  });

  it.skipIf(!requireBinaries(["promtool"]))(
    "passes promtool check metrics without the deprecated names, which are its only findings",
    async () => {
      expect(await promtoolProblems(render(samples, exportedFamilies(false)))).toEqual([]);
      expect(await promtoolProblems(render(samples))).toEqual([
        'stoney_backup_missed_days_threshold use base unit "seconds" instead of "days"',
      ]);
    },
  );

  it("serves each deprecated name with the same data as its replacement, and drops it on request", () => {
    const deprecated = families.filter((family) => family.replacedBy !== undefined);
    expect(deprecated.map((family) => [family.name, family.replacedBy])).toEqual([
      ["stoney_backup_missed_days_threshold", "stoney_backup_last_success_age_threshold_seconds"],
    ]);
    const series = parseExposition(render(samples));
    const days = seriesValue(series, "stoney_backup_missed_days_threshold", { account: "3723707" });
    expect(days).toBeGreaterThan(0);
    expect(
      seriesValue(series, "stoney_backup_last_success_age_threshold_seconds", { account: "3723707" }),
    ).toBe((days ?? 0) * 86400);
    expect(render(samples, exportedFamilies(false))).not.toContain("stoney_backup_missed_days_threshold");
  });

  it("formats schedules as cron expressions with the offset as the client wrote it", () => {
    expect(
      scheduleLabels({
        type: "custom",
        minute: 15,
        hour: 2,
        weekdays: [1, 2, 3, 4, 5, 6, 7],
        utcOffsetMinutes: 60,
      }),
    ).toEqual({
      type: "custom",
      cron: "15 2 * * *",
      utcOffset: "+01:00",
    });
    expect(
      scheduleLabels({ type: "custom", minute: 0, hour: 20, weekdays: [7, 6], utcOffsetMinutes: -330 }),
    ).toEqual({
      type: "custom",
      cron: "0 20 * * 0,6",
      utcOffset: "-05:30",
    });
    expect(
      scheduleLabels({ type: "custom", minute: 0, hour: 0, weekdays: [1], utcOffsetMinutes: 0 }).utcOffset,
    ).toBe("+00:00");
    expect(scheduleLabels({ type: "none" })).toEqual({ type: "none", cron: "", utcOffset: "" });
  });
});

describe("compressed body", () => {
  const body = render(samples);
  const tail =
    "# HELP stoney_backup_collector_up x\n# TYPE stoney_backup_collector_up gauge\nstoney_backup_collector_up 1\n";

  it("joins the cached body and the scrape-time tail into one gzip member", async () => {
    const compressed = await compressBody(renderText(samples, now, 64));
    expect(compressed.bytes).toBe(Buffer.byteLength(body));
    const gzip = Buffer.concat(gzipParts(compressed, tail));
    expect(zlib.gunzipSync(gzip).toString("utf8")).toBe(body + tail);
  });

  it("inflates the cached body for plain scrapes, segment by segment", async () => {
    const compressed = await compressBody(renderText(samples, now, 64), 100);
    expect(compressed.segments.length).toBeGreaterThan(3);
    expect(zlib.gunzipSync(Buffer.concat(gzipParts(compressed, tail))).toString("utf8")).toBe(body + tail);
    const target = new PassThrough();
    const received = text(target);
    await writePlain(compressed, tail, target);
    expect(await received).toBe(body + tail);
  });

  /** About 2.4 MB of exposition text in chunks of about 8 KB. */
  const largeText = () =>
    Array.from({ length: 300 }, (_, chunk) =>
      Array.from(
        { length: 100 },
        (_, line) => `stoney_backup_test_value{account="${chunk * 100 + line}",host="pc"} ${line * chunk}\n`,
      ).join(""),
    );

  it("knows each segment's uncompressed size, and they add up to the body", async () => {
    const chunks = largeText();
    const compressed = await compressBody(chunks, 64 * 1024);
    expect(compressed.segmentBytes.length).toBe(compressed.segments.length);
    expect(compressed.segmentBytes.reduce((sum, bytes) => sum + bytes, 0)).toBe(compressed.bytes);
    compressed.segments.forEach((start, index) => {
      const end = compressed.segments[index + 1] ?? compressed.deflated.length;
      const inflated = zlib.inflateRawSync(compressed.deflated.subarray(start, end), {
        finishFlush: zlib.constants.Z_SYNC_FLUSH,
      });
      expect(inflated.length).toBe(compressed.segmentBytes[index]);
    });
  });

  it("inflates a plain scrape only as far as the target takes it, then the rest as it reads", async () => {
    const chunks = largeText();
    const compressed = await compressBody(chunks, 64 * 1024);
    const window = 256 * 1024;
    const target = new PassThrough({ highWaterMark: 16 * 1024 });
    let done = false;
    const writing = writePlain(compressed, tail, target, window).then(() => {
      done = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(done).toBe(false);
    // Nothing read yet: the window and the one segment that went over it, not the whole body.
    const largestSegment = Math.max(...compressed.segmentBytes);
    expect(target.writableLength).toBeGreaterThan(0);
    expect(target.writableLength).toBeLessThanOrEqual(window + largestSegment);
    const received = text(target);
    await writing;
    expect(await received).toBe(chunks.join("") + tail);
  });

  it("stops inflating when the target goes away in the middle of a plain scrape", async () => {
    const compressed = await compressBody(largeText(), 64 * 1024);
    const target = new PassThrough({ highWaterMark: 16 * 1024 });
    const writing = writePlain(compressed, tail, target, 128 * 1024);
    let received = 0;
    target.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (received > 300 * 1024) target.destroy();
    });
    await expect(writing).rejects.toThrow("the client went away");
    expect(received).toBeLessThan(compressed.bytes);
  });

  it("refuses to send a body that does not inflate to its recorded sizes", async () => {
    const compressed = await compressBody(largeText(), 64 * 1024);
    const misrecorded = { ...compressed, segmentBytes: compressed.segmentBytes.map((bytes) => bytes - 1) };
    const target = new PassThrough();
    target.resume();
    await expect(writePlain(misrecorded, tail, target)).rejects.toThrow(
      "does not inflate to its recorded size",
    );
    const corrupt = { ...compressed, deflated: Buffer.from(compressed.deflated) };
    corrupt.deflated.fill(0xff, 0, 16);
    await expect(writePlain(corrupt, tail, new PassThrough())).rejects.toThrow(
      "does not inflate to its recorded size",
    );
  });

  it("inflates the same bytes through the public API, for a Node whose zlib internals differ", async () => {
    const chunks = largeText();
    const compressed = await compressBody(chunks, 64 * 1024);
    const target = new PassThrough();
    const received = text(target);
    await writePlain(compressed, tail, target, undefined, publicSegmentInflater());
    expect(await received).toBe(chunks.join("") + tail);
    const misrecorded = { ...compressed, segmentBytes: compressed.segmentBytes.map((bytes) => bytes - 1) };
    const drained = new PassThrough();
    drained.resume();
    await expect(writePlain(misrecorded, tail, drained, undefined, publicSegmentInflater())).rejects.toThrow(
      "does not inflate to its recorded size",
    );
  });

  it("serves only the tail when there is no body yet", async () => {
    const empty = await compressBody([]);
    expect(zlib.gunzipSync(Buffer.concat(gzipParts(empty, tail))).toString()).toBe(tail);
  });
});
