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
import { formatDate } from "../src/bridge/templates/index.js";
import { parseConfig } from "../src/config/index.js";
import { startExporter } from "../src/exporter/index.js";
import { bridgeFixture, post, waitFor } from "./bridge/support.js";
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
  annotations?: Record<string, string>;
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

/** The exporter's account series of one collection of the example tree at `now`. */
async function seriesAt(now: Date, files: { backupRoot: string; ldif: string }): Promise<Series[]> {
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
    return series.filter(
      (s) => s.name.startsWith("stoney_backup_") && !s.name.startsWith("stoney_backup_collector_"),
    );
  } finally {
    await exporter.close();
  }
}

const committedTree = {
  backupRoot: path.join(repoRoot, "examples/backup"),
  ldif: path.join(repoRoot, "examples/directory.ldif"),
};

/** What `$value` of each customer rule is: the series its expression compares. */
const ruleValue: Record<string, string> = {
  StoneyBackupQuotaWarning: "stoney_backup_quota_used_ratio",
  StoneyBackupScheduleMissed: "stoney_backup_missed_schedules",
  StoneyBackupUnsuccessful: "stoney_backup_consecutive_failures",
  StoneyBackupClientStatusUnreadable: "stoney_backup_metadata_errors",
};

/**
 * An annotation as the rule's template computes it from the exporter's series: `printf "%.Nf" $value`,
 * `max(<metric>{account, host}) [/ 86400]` printed with `%.Nf`, or a label of `stoney_backup_client_info`.
 */
function annotationFromSeries(
  template: string,
  alert: Rule & { labels: Record<string, string> },
  series: Series[],
) {
  const matching = (name: string, withHost: boolean) =>
    series.filter(
      (s) =>
        s.name === name &&
        s.labels.account === alert.labels.account &&
        (!withHost || s.labels.host === alert.labels.host),
    );
  const decimals = Number(
    /printf "%\.(\d)f"(?: \$value)? }}/.exec(template)?.[1] ?? /%\.(\d)f/.exec(template)?.[1],
  );
  const query = /printf "(max\()?(\w+)\{account=%q(,host=%q)?\}\)?( \/ (\d+))?"/.exec(template);
  const label = /\| label "(\w+)"/.exec(template)?.[1];
  if (template.includes("$value") && !query) {
    const values = matching(ruleValue[alert.alert] ?? "", alert.labels.host !== undefined).map(
      (s) => s.value,
    );
    return Math.max(...values).toFixed(decimals);
  }
  if (!query) return undefined;
  const found = matching(query[2] ?? "", query[3] !== undefined);
  if (label) return found[0]?.labels[label];
  if (found.length === 0) return undefined;
  return (Math.max(...found.map((s) => s.value)) / Number(query[5] ?? 1)).toFixed(decimals);
}

interface SampleAlert {
  startsAt: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** The annotations of these alerts that differ from what the shipped rules compute from the series; and the ones checked. */
function compareWithRules(alerts: SampleAlert[], series: Series[]): { wrong: string[]; checked: string[] } {
  const checked: string[] = [];
  const wrong: string[] = [];
  for (const alert of alerts) {
    const rule = rules.find((r) => r.alert === alert.labels.alertname);
    for (const [name, template] of Object.entries(rule?.annotations ?? {})) {
      if (name === "summary" || name === "description") continue;
      const expected = annotationFromSeries(template, { ...(rule as Rule), labels: alert.labels }, series);
      // A query without a result prints nothing: Prometheus leaves the annotation empty.
      if ((alert.annotations[name] ?? "") !== (expected ?? ""))
        wrong.push(`${alert.labels.account} ${name}: ${alert.annotations[name]} instead of ${expected}`);
      checked.push(`${alert.labels.account} ${name}`);
    }
  }
  return { wrong, checked };
}

describe("the sample notification tells what the exporter sees", () => {
  const bridges = bridgeFixture();

  it("carries the annotations the shipped rules compute from the example tree at its instant", async () => {
    const series = await seriesAt(EXAMPLE_NOW, committedTree);
    const { wrong, checked } = compareWithRules(committed.alerts, series);
    expect(wrong).toEqual([]);
    expect(checked).toEqual(
      expect.arrayContaining([
        "3723702 used_ratio",
        "3723703 last_success_timestamp",
        "3723704 last_success_timestamp",
        "3723704 next_schedule_timestamp",
        "3723705 client_version",
        "3723706 created_timestamp",
      ]),
    );
    for (const alert of committed.alerts as SampleAlert[]) {
      // Each alert fired shortly before the instant the example describes.
      expect(Date.parse(alert.startsAt)).toBeLessThanOrEqual(EXAMPLE_NOW.getTime());
      expect(EXAMPLE_NOW.getTime() - Date.parse(alert.startsAt)).toBeLessThan(86_400_000);
    }
  });

  it("mails, when the example runs a year later, the dates the exporter sees then", async () => {
    const now = new Date(EXAMPLE_NOW.getTime() + (395 * 1440 + 3 * 60 + 17) * 60_000);
    const files = writeExampleData(tempDir(), now);
    const notification = exampleNotification(now);
    const series = await seriesAt(now, files);
    expect(compareWithRules(notification.alerts, series).wrong).toEqual([]);

    const { url, sink } = await bridges.start({ directory: { url: `file:${files.ldif}` } });
    await post(url, notification);
    const zoe = "zoe.lefevre@example.fr";
    await waitFor("the mails", () => sink.to(zoe).length === 1 && sink.mails.length >= 5);
    const seconds = (name: string) =>
      series.find((s) => s.name === name && s.labels.account === "3723704" && s.labels.host === "MacBook-Zoe")
        ?.value ?? Number.NaN;
    const last = new Date(seconds("stoney_backup_last_success_timestamp_seconds") * 1000);
    const next = new Date(seconds("stoney_backup_next_schedule_timestamp_seconds") * 1000);
    expect(next.getTime()).toBeGreaterThan(now.getTime());
    // Zoë reads French, at +01:00 (sstTimeZoneOffset): the default zone's winter offset, so in Europe/Zurich.
    const text = sink.to(zoe)[0]?.parsed.text ?? "";
    expect(text).toContain(formatDate(last, "fr", "Europe/Zurich", true));
    expect(text).toContain(formatDate(next, "fr", "Europe/Zurich", true));
    // No fact from the committed instant (2026) or the year before it is left in any mail.
    for (const mail of sink.mails) expect(mail.parsed.text, mail.parsed.subject).not.toMatch(/\b202[56]\b/);
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
    return (await seriesAt(now, files))
      .filter((s) => s.name !== "stoney_backup_schedule_info")
      .map((s: Series) => {
        const value = s.name.endsWith("_timestamp_seconds") ? s.value - now.getTime() / 1000 : s.value;
        return `${s.name}${JSON.stringify(s.labels)} ${value}`;
      })
      .sort();
  }

  it("shows every account in the same state as the committed tree at its own instant", async () => {
    const reference = await collectAt(NOW, committedTree);
    expect(reference.length).toBeGreaterThan(100);
    for (const offsetMinutes of [3 * 1440 + 7 * 60 + 13, 400 * 1440 + 5 * 60 + 59, -45 * 1440 + 11 * 60]) {
      const now = new Date(NOW.getTime() + offsetMinutes * 60_000);
      const moved = await collectAt(now, writeExampleData(tempDir(), now));
      expect(moved, `shifted by ${offsetMinutes} minutes`).toEqual(reference);
    }
  });
});
