import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningExporter } from "../../src/exporter/index.js";
import { requireBinaries } from "../support/binaries.js";
import { promtoolProblems, type Series, select, seriesValue } from "./exposition.js";
import { exampleLdif, NOW, removeTempDirs, scrape, startOnExamples, tempDir, testConfig } from "./support.js";

const at = (iso: string) => Date.parse(iso) / 1000;
const now = NOW.getTime() / 1000;

/** Per-account values from examples/directory.ldif and examples/backup (reseller settings and config defaults applied). */
const accounts: Record<string, Record<string, number | undefined>> = {
  "3723701": {
    warnings_enabled: 1,
    quota_bytes: 21474836480,
    used_bytes: 5368709120 + 1073741824,
    quota_used_ratio: 0.3,
    quota_warning_ratio: 0.9,
    missed_schedules_threshold: 1,
    missed_days_threshold: 1,
    last_success_age_threshold_seconds: 86400,
    failures_threshold: 1,
    never_used: 0,
    account_created_timestamp_seconds: at("2025-03-01T09:00:00Z"),
  },
  "3723702": {
    warnings_enabled: 1,
    quota_bytes: 10737418240,
    used_bytes: 9448928051 + 966367642,
    quota_used_ratio: (9448928051 + 966367642) / 10737418240,
    quota_warning_ratio: 0.9,
    missed_schedules_threshold: 1,
  },
  "3723703": {
    warnings_enabled: 0,
    quota_bytes: undefined,
    quota_used_ratio: undefined,
    quota_warning_ratio: 0.9,
  },
  "3723704": { warnings_enabled: 1, quota_warning_ratio: 0.85, missed_schedules_threshold: 2 },
  "3723705": { warnings_enabled: 1, missed_schedules_threshold: 2 },
  "3723706": { never_used: 1, account_created_timestamp_seconds: at("2026-10-01T12:00:00Z") },
  "3723707": { quota_bytes: 53687091200, quota_warning_ratio: 0.85 },
  "3723709": {
    quota_warning_ratio: 0.95,
    missed_schedules_threshold: 3,
    missed_days_threshold: 5,
    last_success_age_threshold_seconds: 432000,
    failures_threshold: 0,
  },
  "3723710": { warnings_enabled: 0, missed_schedules_threshold: 2 },
};

const resellers: Record<string, string> = {
  "3723701": "4000001",
  "3723702": "4000001",
  "3723703": "4000001",
  "3723704": "4000002",
  "3723705": "4000002",
  "3723706": "4000001",
  "3723707": "",
  "3723709": "4000002",
  "3723710": "4000002",
};

interface HostExpectation {
  values: Record<string, number | undefined>;
  status: string;
  schedule?: { type: string; cron: string; utc_offset: string };
  client: { identifier: string; version: string; os: string };
}

const sepiola = (version: string, os: string) => ({
  identifier: "Sepiola Online Backup Client",
  version,
  os,
});
const perl = { identifier: "Online Backup Perl Script", version: "1.3", os: "Linux" };

const hosts: Record<string, Record<string, HostExpectation>> = {
  "3723701": {
    "EMPFANG-PC": {
      status: "success",
      values: {
        last_start_timestamp_seconds: at("2026-11-25T19:30:02+01:00"),
        last_end_timestamp_seconds: at("2026-11-25T19:47:45+01:00"),
        last_success_timestamp_seconds: at("2026-11-25T19:47:45+01:00"),
        last_success_age_seconds: now - at("2026-11-25T19:47:45+01:00"),
        consecutive_failures: 0,
        missed_schedules: 0,
        next_schedule_timestamp_seconds: at("2026-11-27T19:30:00+01:00"),
        client_outdated: 0,
        clock_skewed: 0,
        metadata_errors: 0,
      },
      schedule: { type: "custom", cron: "30 19 * * 1,3,5", utc_offset: "+01:00" },
      client: sepiola("2.6.1", "Windows"),
    },
  },
  "3723702": {
    fileserver: {
      status: "success",
      values: {
        last_success_timestamp_seconds: at("2026-11-26T02:41:37+01:00"),
        missed_schedules: 0,
        next_schedule_timestamp_seconds: at("2026-11-27T02:15:00+01:00"),
      },
      schedule: { type: "custom", cron: "15 2 * * *", utc_offset: "+01:00" },
      client: perl,
    },
  },
  "3723703": {
    nas: {
      status: "failed",
      // The Perl client wrote -23:00 for +01:00 around midnight.
      values: {
        last_start_timestamp_seconds: at("2026-11-26T00:30:05+01:00"),
        last_success_timestamp_seconds: undefined,
        last_success_age_seconds: undefined,
        consecutive_failures: 1,
      },
      schedule: { type: "custom", cron: "30 0 * * *", utc_offset: "+01:00" },
      client: perl,
    },
  },
  "3723704": {
    "MacBook-Zoe": {
      status: "success",
      values: {
        last_success_timestamp_seconds: at("2026-11-20T20:12:10+01:00"),
        missed_schedules: 5,
        next_schedule_timestamp_seconds: at("2026-11-26T20:00:00+01:00"),
      },
      schedule: { type: "custom", cron: "0 20 * * *", utc_offset: "+01:00" },
      client: sepiola("2.6.1", "MacOSX"),
    },
  },
  "3723705": {
    "mac-mini": {
      status: "success",
      values: { client_outdated: 1, next_schedule_timestamp_seconds: undefined, missed_schedules: 0 },
      schedule: { type: "after_startup", cron: "", utc_offset: "" },
      client: sepiola("2.4.0", "MacOSX"),
    },
  },
  "3723707": {
    laptop: {
      status: "success",
      // The directory's sstBackupLastSuccessfulBackup (19:05:12Z) is later than the file's end.
      values: { last_success_timestamp_seconds: at("2026-11-25T19:05:12Z") },
      schedule: { type: "custom", cron: "0 18 * * *", utc_offset: "+00:00" },
      client: sepiola("2.6.1", "Linux"),
    },
    "büro-pc": {
      status: "running",
      values: {
        last_start_timestamp_seconds: at("2026-11-26T11:00:04+01:00"),
        last_end_timestamp_seconds: undefined,
        last_success_timestamp_seconds: undefined,
      },
      schedule: { type: "custom", cron: "0 11 * * *", utc_offset: "+01:00" },
      client: sepiola("2.6.1", "Windows"),
    },
  },
  "3723709": {
    werkstatt: {
      status: "success",
      values: {
        last_success_timestamp_seconds: at("2026-11-24T16:40:58+01:00"),
        next_schedule_timestamp_seconds: undefined,
      },
      schedule: { type: "none", cron: "", utc_offset: "" },
      client: sepiola("2.6.1", "Linux"),
    },
  },
  "3723710": {
    kasse: {
      status: "success",
      values: { clock_skewed: 1 },
      schedule: { type: "custom", cron: "0 21 * * *", utc_offset: "+01:00" },
      client: sepiola("2.6.1", "Windows"),
    },
  },
};

describe("exporter on the example directory and backup tree", () => {
  let exporter: RunningExporter;
  let series: Series[];
  let text: string;

  beforeAll(async () => {
    exporter = await startOnExamples();
    await exporter.collect();
    ({ series, text } = await scrape(exporter.url));
  });

  afterAll(async () => {
    await exporter?.close();
    removeTempDirs();
  });

  it("exports every active account with its reseller uids, and no inactive one", () => {
    const info = select(series, "stoney_backup_account_info");
    expect(Object.fromEntries(info.map((s) => [s.labels.account, s.labels.reseller]))).toEqual(resellers);
    expect(series.filter((s) => s.labels.account === "3723708")).toEqual([]);
    expect(seriesValue(series, "stoney_backup_collector_accounts")).toBe(9);
    expect(seriesValue(series, "stoney_backup_collector_hosts")).toBe(9);
    expect(seriesValue(series, "stoney_backup_collector_up")).toBe(1);
  });

  it.each(Object.entries(accounts))(
    "account %s has the values of its directory entry",
    (account, expected) => {
      for (const [metric, value] of Object.entries(expected))
        expect(seriesValue(series, `stoney_backup_${metric}`, { account }), metric).toBe(value);
    },
  );

  const hostCases = Object.entries(hosts).flatMap(([account, byHost]) =>
    Object.entries(byHost).map(([host, expected]) => [account, host, expected] as const),
  );
  it.each(hostCases)("account %s host %s has the values of its client files", (account, host, expected) => {
    const labels = { account, host };
    for (const [metric, value] of Object.entries(expected.values))
      expect(seriesValue(series, `stoney_backup_${metric}`, labels), metric).toBe(value);
    expect(select(series, "stoney_backup_last_run_status", labels).map((s) => s.labels.status)).toEqual([
      expected.status,
    ]);
    expect(select(series, "stoney_backup_schedule_info", labels).map((s) => ({ ...s.labels }))).toEqual([
      { ...labels, ...expected.schedule },
    ]);
    expect(select(series, "stoney_backup_client_info", labels).map((s) => ({ ...s.labels }))).toEqual([
      { ...labels, ...expected.client },
    ]);
  });

  it("never used account 3723706 has no host series", () => {
    expect(series.filter((s) => s.labels.account === "3723706" && s.labels.host !== undefined)).toEqual([]);
  });

  it("puts no e-mail address or person name into any label", () => {
    const labelValues = series.flatMap((s) => Object.values(s.labels));
    expect(labelValues.filter((v) => v.includes("@"))).toEqual([]);
    for (const name of ["Jürg", "Müller", "Zoë", "Anna", "Smith", "Élodie", "Muster Reseller"])
      expect(text).not.toContain(name);
  });

  it.skipIf(!requireBinaries(["promtool"]))(
    "passes promtool check metrics but for the deprecated name it serves by default",
    async () => {
      expect(await promtoolProblems(text)).toEqual([
        'stoney_backup_missed_days_threshold use base unit "seconds" instead of "days"',
      ]);
    },
  );
});

describe("accounts that disappear", () => {
  afterAll(removeTempDirs);

  it("lose their series at the next collection", async () => {
    const ldif = path.join(tempDir(), "directory.ldif");
    copyFileSync(exampleLdif, ldif);
    const exporter = await startOnExamples(testConfig({ directory: { url: `file:${ldif}` } }));
    try {
      await exporter.collect();
      let { series } = await scrape(exporter.url);
      expect(select(series, "stoney_backup_last_run_status", { account: "3723707" })).toHaveLength(2);
      const entries = readFileSync(ldif, "utf8").split(/\n\n+/);
      writeFileSync(ldif, entries.filter((entry) => !entry.includes("uid=3723707,")).join("\n\n"));
      expect(await exporter.collect()).toBe(true);
      ({ series } = await scrape(exporter.url));
      expect(series.filter((s) => s.labels.account === "3723707")).toEqual([]);
      expect(seriesValue(series, "stoney_backup_collector_accounts")).toBe(8);
      expect(seriesValue(series, "stoney_backup_account_info", { account: "3723701" })).toBe(1);
    } finally {
      await exporter.close();
    }
  });
});
