import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { tasks } from "../../src/config/index.js";
import { requireBinaries } from "../support/binaries.js";
import { repoRoot, runBinary } from "./processes.js";

interface AlertRule {
  alert?: string;
  record?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface RuleTest {
  alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[];
}

const rulesDir = path.join(repoRoot, "prometheus/rules");
const testsDir = path.join(rulesDir, "tests");
const ruleFiles = readdirSync(rulesDir).filter((f) => f.endsWith(".yml"));
const testFiles = readdirSync(testsDir).filter((f) => f.endsWith(".yml"));

const alerts: AlertRule[] = ruleFiles.flatMap((file) =>
  (parse(readFileSync(path.join(rulesDir, file), "utf8")) as { groups: { rules: AlertRule[] }[] }).groups
    .flatMap((group) => group.rules)
    .filter((rule) => rule.alert !== undefined),
);

/** Machine-readable annotations of the alert contract (notes/contracts.md), per alert name. */
const contractAnnotations: Record<string, string[]> = {
  StoneyBackupQuotaWarning: ["used_bytes", "quota_bytes", "used_ratio", "warning_ratio"],
  StoneyBackupQuotaFullSoon: ["full_timestamp", "used_bytes", "quota_bytes", "days_ahead"],
  StoneyBackupScheduleMissed: [
    "missed_schedules",
    "threshold",
    "last_success_timestamp",
    "next_schedule_timestamp",
  ],
  StoneyBackupTooLongWithoutSuccess: [
    "last_success_timestamp",
    "days_threshold",
    "run_status",
    "last_start_timestamp",
  ],
  StoneyBackupUnsuccessful: ["consecutive_failures", "threshold", "last_success_timestamp"],
  StoneyBackupClientOutdated: ["client_identifier", "client_version"],
  StoneyBackupNeverUsed: ["created_timestamp"],
  StoneyBackupClientStatusUnreadable: ["metadata_errors"],
};

const customerTasks: readonly string[] = tasks;

describe("alert rules follow the alert contract", () => {
  it("has a customer alert for every task and operator alerts", () => {
    const customerAlerts = alerts.filter((a) => customerTasks.includes(a.labels?.task ?? ""));
    expect(new Set(customerAlerts.map((a) => a.labels?.task))).toEqual(new Set(tasks));
    expect(customerAlerts.map((a) => a.alert).sort()).toEqual(Object.keys(contractAnnotations).sort());
    expect(alerts.length).toBeGreaterThan(customerAlerts.length);
  });

  it.each(alerts.map((a) => [a.alert, a] as const))(
    "%s has task, severity, summary, description",
    (_, rule) => {
      expect(rule.labels?.task).toMatch(/^[a-z]+$/);
      expect(["warning", "critical"]).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary).toBeTruthy();
      expect(rule.annotations?.description).toBeTruthy();
      const isCustomer = customerTasks.includes(rule.labels?.task ?? "");
      // Operator alerts are marked for the bridge; customer alerts must not be, or nobody but the
      // operators hears. Markers that only inhibit (task hold) are for nobody.
      const audience = rule.labels?.task === "hold" ? "none" : "operator";
      expect(rule.labels?.audience).toBe(isCustomer ? undefined : audience);
      for (const key of contractAnnotations[rule.alert ?? ""] ?? [])
        expect(rule.annotations).toHaveProperty(key);
    },
  );

  it("aggregates the server (instance) away from customer alerts, so an account can move", () => {
    for (const rule of alerts.filter((a) => customerTasks.includes(a.labels?.task ?? ""))) {
      expect(rule.expr, rule.alert).toMatch(/^max by \(account(, host)?\) \(/);
      for (const annotation of Object.values(rule.annotations ?? {}))
        expect(annotation, rule.alert).not.toContain("instance");
    }
  });

  it("does not filter customer alerts by the customer's opt-out (the bridge decides)", () => {
    for (const rule of alerts) expect(rule.expr).not.toContain("warnings_enabled");
  });

  it("has unit tests in which every alert fires and in which it stays quiet", () => {
    const cases = testFiles.flatMap((file) =>
      ((parse(readFileSync(path.join(testsDir, file), "utf8")) as { tests: RuleTest[] }).tests ?? []).flatMap(
        (t) => t.alert_rule_test ?? [],
      ),
    );
    for (const rule of alerts) {
      const own = cases.filter((c) => c.alertname === rule.alert);
      expect(
        own.some((c) => (c.exp_alerts ?? []).length > 0),
        `${rule.alert} fires in a test`,
      ).toBe(true);
      expect(
        own.some((c) => (c.exp_alerts ?? []).length === 0),
        `${rule.alert} stays quiet in a test`,
      ).toBe(true);
    }
  });
});

describe.skipIf(!requireBinaries(["promtool"]))("promtool", () => {
  it("accepts the rule files", async () => {
    const result = await runBinary("promtool", [
      "check",
      "rules",
      ...ruleFiles.map((f) => path.join(rulesDir, f)),
    ]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });

  it("accepts prometheus.yml with its rule files", async () => {
    const result = await runBinary("promtool", ["check", "config", "prometheus/prometheus.yml"]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain(`${ruleFiles.length} rule files found`);
  });

  it("passes the rule unit tests", async () => {
    const result = await runBinary("promtool", [
      "test",
      "rules",
      ...testFiles.map((f) => path.join(testsDir, f)),
    ]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).not.toContain("FAILED");
  });
});
