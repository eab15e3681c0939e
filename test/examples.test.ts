import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  EXAMPLE_NOW,
  exampleNotification,
  shiftClientFile,
  shiftMinutes,
  writeExampleData,
} from "../examples/shift-dates.mjs";
import { parseConfig } from "../src/config/index.js";
import { startExporter } from "../src/exporter/index.js";
import type { Series } from "./exporter/exposition.js";
import { NOW, removeTempDirs, scrape, silent, tempDir } from "./exporter/support.js";
import { repoRoot } from "./support/common.js";

afterAll(removeTempDirs);

const committed = JSON.parse(
  readFileSync(path.join(repoRoot, "examples/alertmanager-notification.json"), "utf8"),
);

interface Rule {
  alert: string;
  labels?: Record<string, string>;
}
const rules: Rule[] = ["customers.yml", "operators.yml"].flatMap((file) =>
  (
    parse(readFileSync(path.join(repoRoot, "prometheus/rules", file), "utf8")) as {
      groups: { rules: Rule[] }[];
    }
  ).groups.flatMap((group) => group.rules),
);

describe("the sample notification", () => {
  it("names alerts the shipped rules have, with the labels they set", () => {
    for (const alert of committed.alerts) {
      const rule = rules.find((r) => r.alert === alert.labels.alertname);
      expect(rule, alert.labels.alertname).toBeDefined();
      expect(alert.labels).toMatchObject(rule?.labels ?? {});
      // Customer alerts are the account's, whichever backup server exports it: no instance, no job.
      if (rule?.labels?.audience === undefined)
        for (const label of ["instance", "job"])
          expect(alert.labels, alert.labels.alertname).not.toHaveProperty(label);
    }
  });

  it("is moved to the time the example runs", () => {
    const now = new Date(EXAMPLE_NOW.getTime() + 3 * 86_400_000 + 7 * 3_600_000 + 13 * 60_000 + 23_000);
    const shifted = exampleNotification(now);
    const by = shiftMinutes(now) * 60_000;
    expect(by).toBe(3 * 86_400_000 + 7 * 3_600_000 + 13 * 60_000);
    shifted.alerts.forEach((alert, i) => {
      const original = committed.alerts[i];
      expect(Date.parse(alert.startsAt) - Date.parse(original.startsAt)).toBe(by);
      expect(alert.endsAt).toBe("0001-01-01T00:00:00Z");
      for (const [key, value] of Object.entries(alert.annotations))
        if (key.endsWith("_timestamp"))
          expect(Number(value) - Number(original.annotations[key])).toBe(by / 1000);
    });
  });
});

describe("the example tree as of the time it runs", () => {
  it("keeps each schedule's weekday and time of day in step with the shift", () => {
    const xml =
      "<custom_online_backup><minutes><minute_selected>30</minute_selected></minutes><hours><hour_selected>19</hour_selected></hours><days_of_week><week_day>1</week_day><week_day>7</week_day></days_of_week></custom_online_backup>";
    // +1 day 5 h 45 min: Monday 19:30 → Wednesday 01:15, Sunday 19:30 → Tuesday 01:15.
    const shifted = shiftClientFile(xml, 1 * 1440 + 5 * 60 + 45);
    expect(shifted).toContain("<hour_selected>1</hour_selected>");
    expect(shifted).toContain("<minute_selected>15</minute_selected>");
    expect([...shifted.matchAll(/<week_day>(\d)<\/week_day>/g)].map((m) => m[1])).toEqual(["3", "2"]);
    expect(shiftClientFile("<startdate>2026-12-31T23:50:00-23:00</startdate>", 20)).toBe(
      "<startdate>2027-01-01T00:10:00-23:00</startdate>",
    );
  });

  /** Every account series of one collection; timestamps are given relative to the collection's "now". */
  async function collectAt(now: Date, files: { backupRoot: string; ldif: string }): Promise<string[]> {
    const dir = tempDir();
    const raw = JSON.stringify({
      directory: { url: `file:${files.ldif}` },
      backup: { root: files.backupRoot },
      history: { path: path.join(dir, "history.sqlite") },
      exporter: { listen: { host: "127.0.0.1", port: 0 }, intervalSeconds: 3600 },
    });
    const exporter = await startExporter(parseConfig(raw, "test config", dir, {}), silent, {
      now: () => now,
    });
    try {
      expect(await exporter.collect()).toBe(true);
      const { series } = await scrape(exporter.url);
      return series
        .filter((s) => s.name.startsWith("stoney_backup_") && !s.name.startsWith("stoney_backup_collector_"))
        .filter((s) => s.name !== "stoney_backup_schedule_info")
        .map((s: Series) => {
          const value = s.name.endsWith("_timestamp_seconds") ? s.value - now.getTime() / 1000 : s.value;
          return `${s.name}${JSON.stringify(s.labels)} ${value}`;
        })
        .sort();
    } finally {
      await exporter.close();
    }
  }

  it("shows every account in the same state as the committed tree at its own instant", async () => {
    const committedTree = {
      backupRoot: path.join(repoRoot, "examples/backup"),
      ldif: path.join(repoRoot, "examples/directory.ldif"),
    };
    const reference = await collectAt(NOW, committedTree);
    expect(reference.length).toBeGreaterThan(100);
    for (const offsetMinutes of [3 * 1440 + 7 * 60 + 13, 400 * 1440 + 5 * 60 + 59, -45 * 1440 + 11 * 60]) {
      const now = new Date(NOW.getTime() + offsetMinutes * 60_000);
      const moved = await collectAt(now, writeExampleData(tempDir(), now));
      expect(moved, `shifted by ${offsetMinutes} minutes`).toEqual(reference);
    }
  });
});
