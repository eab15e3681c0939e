import type { AccountSample, HostSample } from "../src/exporter/sample.js";

/**
 * `accounts` synthetic account samples (1-3 hosts each, weekly schedules, every fifth failing), as a
 * collection at `nowSeconds` would hold them: the input of rendering without any file or directory work.
 */
export function syntheticSamples(accounts: number, nowSeconds: number): AccountSample[] {
  const host = (a: number, h: number): HostSample => ({
    host: ["pc", "laptop", "büro-pc"][h] ?? "pc",
    lastStartSeconds: nowSeconds - 86_400 - a,
    lastEndSeconds: nowSeconds - 85_000 - a,
    lastSuccessSeconds: a % 5 === 0 ? undefined : nowSeconds - 85_000 - a,
    status: a % 5 === 0 ? "failed" : "success",
    consecutiveFailures: a % 5 === 0 ? 2 : 0,
    successfulRuns: 30,
    missedSchedules: a % 7,
    nextScheduleSeconds: nowSeconds + 3_600 + a,
    schedule: { type: "custom", cron: `${a % 60} ${a % 24} * * 1,3,5`, utcOffset: "+01:00" },
    client: { identifier: "Sepiola Online Backup Client", version: "2.6.1", operatingSystem: "Windows" },
    clientOutdated: false,
    clockSkewed: false,
    metadataErrors: 0,
  });
  const fromConfig = (value: boolean | number) => ({ value, source: "config" as const });
  const settings = {
    warnings: fromConfig(true),
    quotaWarningPercent: fromConfig(85),
    missedBackupsThreshold: fromConfig(1),
    missedDaysThreshold: fromConfig(1),
    failuresThreshold: fromConfig(1),
    quotaFullDays: fromConfig(14),
  };
  return Array.from({ length: accounts }, (_, a) => ({
    uid: String(1_000_000 + a),
    resellers: String(4_000_001 + (a % 40)),
    warningsEnabled: a % 6 !== 0,
    quotaBytes: 10 * 2 ** 30,
    usedBytes: (a % 100) * 2 ** 27,
    usedRatio: (a % 100) / 80,
    quotaWarningRatio: 0.85,
    missedSchedulesThreshold: 1,
    missedDaysThreshold: 1,
    quotaFullDays: 14,
    failuresThreshold: 1,
    neverUsed: false,
    createdSeconds: nowSeconds - 400 * 86_400,
    hosts: Array.from({ length: 1 + (a % 3) }, (_, h) => host(a, h)),
    settings,
  }));
}
