import { PassThrough } from "node:stream";
import { text } from "node:stream/consumers";
import zlib from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { crc32Combine, gzipParts, SectionedCompressor, writePlain } from "../../src/exporter/body.js";
import { families } from "../../src/exporter/families.js";
import { accountLines, familyHeads } from "../../src/exporter/render-text.js";
import { type AccountSample, accountSample, scheduleLabels } from "../../src/exporter/sample.js";
import { requireBinaries } from "../support/binaries.js";
import { parseExposition, promtoolProblems, seriesValue } from "./exposition.js";
import { account, host, settings } from "./fakes.js";

const now = new Date("2026-11-26T12:00:00Z");
/** The families as contiguous blocks, built without the compressor: what the body must inflate to. */
const render = (samples: AccountSample[]) => {
  const lines = samples.map(accountLines);
  return familyHeads()
    .map((head, i) => head + lines.map((l) => l[i]).join(""))
    .join("");
};

const compress = async (samples: AccountSample[]) => {
  const compressor = new SectionedCompressor(familyHeads());
  for (const sample of samples) await compressor.add(accountLines(sample));
  return compressor.finish();
};

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
    now,
  ),
  accountSample(
    { account: account("3723706"), hosts: [], quota: {}, neverUsed: true, errors: [] },
    settings(account("3723706", { settings: { warnings: false, quotaWarningPercent: 90 } }), []),
    now,
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

  it.skipIf(!requireBinaries(["promtool"]))("passes promtool check metrics", async () => {
    expect(await promtoolProblems(render(samples))).toEqual([]);
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
  // Enough accounts that every family's compressor flushes many times.
  const many = Array.from({ length: 3000 }, (_, i) => ({
    ...(samples[i % 2] as AccountSample),
    uid: String(i),
  }));

  it("joins the families' compressed sections and the scrape-time tail into one gzip member", async () => {
    for (const input of [samples, many]) {
      const compressed = await compress(input);
      const expected = render(input);
      expect(compressed.bytes).toBe(Buffer.byteLength(expected));
      const gzip = Buffer.concat(gzipParts(compressed, tail));
      expect(zlib.gunzipSync(gzip).toString("utf8")).toBe(expected + tail);
    }
  });

  it("inflates the cached body for plain scrapes", async () => {
    const target = new PassThrough();
    const received = text(target);
    await writePlain(await compress(samples), tail, target);
    expect(await received).toBe(body + tail);
  });

  it("serves the families' HELP and TYPE and the tail when there is no account", async () => {
    expect(zlib.gunzipSync(Buffer.concat(gzipParts(await compress([]), tail))).toString()).toBe(
      familyHeads().join("") + tail,
    );
  });

  it("combines CRC-32s like zlib", () => {
    fc.assert(
      fc.property(fc.uint8Array(), fc.uint8Array({ maxLength: 5000 }), (a, b) => {
        const joined = zlib.crc32(Buffer.concat([a, b]));
        expect(crc32Combine(zlib.crc32(a), zlib.crc32(b), b.length)).toBe(joined);
      }),
    );
  });
});
