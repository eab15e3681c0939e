import { describe, expect, it } from "vitest";
import { conditionOf, digestOf, snapshotOf } from "../../src/bridge/digests/content.js";
import { lastCompletePeriod } from "../../src/bridge/digests/period.js";
import { renderCustomerDigest, renderResellerDigest } from "../../src/bridge/digests/render.js";
import type { AccountStatus, HostStatus } from "../../src/exporter/index.js";

const NOW = Date.parse("2026-12-01T07:00:00Z");
const DAY = 86_400_000;

const setting = (value: number | boolean) => ({ value, source: "config" as const });
const host = (overrides: Partial<HostStatus> = {}): HostStatus => ({
  host: "pc",
  status: "success",
  running: false,
  lastSuccess: new Date(NOW - DAY / 2).toISOString(),
  missedRuns: 0,
  consecutiveFailures: 0,
  successfulRuns: 10,
  clientOutdated: false,
  clockSkewed: false,
  metadataErrors: 0,
  ...overrides,
});
const account = (uid: string, overrides: Partial<AccountStatus> = {}): AccountStatus => ({
  uid,
  resellers: ["r1"],
  neverUsed: false,
  quota: { quotaBytes: 10 * 2 ** 30, usedBytes: 2 ** 30, usedRatio: 0.1, warningRatio: 0.85 },
  settings: {
    warnings: setting(true),
    quotaWarningPercent: setting(85),
    missedBackupsThreshold: setting(1),
    missedDaysThreshold: setting(1),
    failuresThreshold: setting(1),
    quotaFullDays: setting(14),
  },
  hosts: [host()],
  ...overrides,
});

describe("digest periods", () => {
  it("take the last complete ISO week and calendar month, in UTC", () => {
    const period = (kind: "week" | "month", key: string, start: string, end: string) => ({
      kind,
      key,
      startMs: Date.parse(start),
      endMs: Date.parse(end),
    });
    expect(lastCompletePeriod("week", NOW)).toEqual(
      period("week", "2026-W48", "2026-11-23T00:00:00Z", "2026-11-30T00:00:00Z"),
    );
    expect(lastCompletePeriod("week", Date.parse("2027-01-03T23:00:00Z")).key).toBe("2026-W52");
    expect(lastCompletePeriod("week", Date.parse("2026-01-05T00:00:00Z")).key).toBe("2026-W01");
    expect(lastCompletePeriod("month", NOW)).toEqual(
      period("month", "2026-11", "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"),
    );
    expect(lastCompletePeriod("month", Date.parse("2026-01-15T00:00:00Z")).key).toBe("2025-12");
  });
});

describe("digest content", () => {
  it("sorts accounts into failing, warning, never used and healthy with their own thresholds", () => {
    expect(conditionOf(account("1"), NOW)).toBe("healthy");
    expect(conditionOf(account("2", { neverUsed: true, hosts: [] }), NOW)).toBe("never");
    expect(conditionOf(account("3", { hosts: [host({ consecutiveFailures: 1 })] }), NOW)).toBe("failing");
    expect(conditionOf(account("4", { hosts: [host({ metadataErrors: 2 })] }), NOW)).toBe("failing");
    const old = host({ lastSuccess: new Date(NOW - 2 * DAY).toISOString() });
    expect(conditionOf(account("5", { hosts: [old] }), NOW)).toBe("failing");
    expect(conditionOf(account("6", { hosts: [{ ...old, running: true }] }), NOW)).toBe("healthy");
    const quota = { quotaBytes: 100, usedBytes: 90, usedRatio: 0.9, warningRatio: 0.85 };
    expect(conditionOf(account("7", { quota }), NOW)).toBe("warning");
    expect(conditionOf(account("8", { hosts: [host({ clientOutdated: true })] }), NOW)).toBe("warning");
  });

  it("counts runs and usage changes against the previous digest's snapshot", () => {
    const before = [
      account("1", { hosts: [host({ successfulRuns: 10 }), host({ host: "nas", successfulRuns: 3 })] }),
    ];
    const previous = snapshotOf(before);
    const grown = {
      quotaBytes: 10 * 2 ** 30,
      usedBytes: 2 ** 30 + 2 ** 29,
      usedRatio: 0.15,
      warningRatio: 0.85,
    };
    const now = [
      account("1", {
        quota: grown,
        hosts: [host({ successfulRuns: 17 }), host({ host: "nas", successfulRuns: 5, clientOutdated: true })],
      }),
      account("2", { hosts: [host({ successfulRuns: 4 })] }),
    ];
    const digest = digestOf(now, previous, NOW, new Map([["1", "Jürg Müller"]]));
    expect(digest.counts).toEqual({ failing: 0, warning: 1, never: 0, healthy: 1 });
    expect(digest.computers).toBe(3);
    expect(digest.runs).toBe(7 + 2 + 4);
    expect(digest.accounts[0]).toMatchObject({
      uid: "1",
      customer: "Jürg Müller",
      condition: "warning",
      trendBytes: 2 ** 29,
      runs: 9,
      outdated: ["nas"],
    });
    expect(digestOf(now, undefined, NOW).runs).toBeUndefined();
  });
});

describe("digest texts", () => {
  it("tell a customer how often the computers were backed up, in each language", () => {
    const digest = {
      accounts: [],
      counts: { failing: 0, warning: 0, never: 0, healthy: 0 },
      computers: 3,
      runs: 87,
    };
    const period = lastCompletePeriod("month", NOW);
    const last = { ...digest, lastSuccessMs: Date.parse("2026-11-30T19:40:00Z") };
    const render = (language: "en" | "de" | "fr", d: typeof digest = last) =>
      renderCustomerDigest(d, { language, timeZone: "Europe/Zurich", period: { ...period, asOfMs: NOW } })
        .text;
    expect(render("en")).toContain("Your 3 computers were backed up 87 times, last on 30 November 2026.");
    expect(render("de")).toContain("Ihre 3 Computer wurden 87 Mal gesichert, zuletzt am 30. November 2026.");
    expect(render("fr")).toContain(
      "Vos 3 ordinateurs ont été sauvegardés 87 fois, la dernière fois le 30 novembre 2026.",
    );
    expect(render("en", { ...last, computers: 1, runs: 1 })).toContain("Your computer was backed up 1 time");
    expect(render("en", { ...digest, runs: 0 })).toContain("No backup has been received yet.");
  });

  it("state the period they cover, when their facts are from and since when they count, not a week number", () => {
    const asOfMs = Date.parse("2026-11-30T07:00:00Z");
    const sinceMs = Date.parse("2026-11-23T07:00:00Z");
    const week = { ...lastCompletePeriod("week", asOfMs), asOfMs, sinceMs };
    const digest = {
      accounts: [],
      counts: { failing: 1, warning: 0, never: 0, healthy: 2 },
      computers: 3,
      runs: 12,
      lastSuccessMs: Date.parse("2026-11-29T19:40:00Z"),
    };
    const reseller = (language: "en" | "de" | "fr") =>
      renderResellerDigest(digest, { language, timeZone: "Europe/Zurich", period: week });
    expect(reseller("en").subject).toBe(
      "Weekly backup report 23\u2009–\u200929 November 2026: 0 accounts, 1 failing",
    );
    expect(reseller("en").text).toContain(
      "Your customers' backups in the week of 23\u2009–\u200929 November 2026, as of 30 November 2026 at 08:00 CET.",
    );
    expect(reseller("en").text).toContain(
      "“Change” compares the storage used with the previous report, as of 23 November 2026 at 08:00 CET.",
    );
    expect(reseller("de").subject).toMatch(/^Wöchentlicher Backup-Bericht 23\.–29\. November 2026:/);
    expect(reseller("fr").text).toContain(
      "pendant la semaine du 23–29 novembre 2026, état au 30 novembre 2026",
    );
    for (const language of ["en", "de", "fr"] as const)
      expect(reseller(language).text).not.toMatch(/W48|2026-W/);
    // What to do, for the conditions the week has only: here failing accounts, no warning, none unused.
    expect(reseller("en").text).toContain("if an account stays failing, please call them");
    expect(reseller("en").text).not.toMatch(/^(Warning|Never used):/m);
    expect(reseller("de").text).toMatch(/^Fehler: .*rufen Sie sie bitte an/m);
    expect(reseller("fr").html).toContain("En échec : des sauvegardes ont échoué");
    const quiet = renderResellerDigest(
      { ...digest, counts: { failing: 0, warning: 2, never: 1, healthy: 0 } },
      { language: "en", timeZone: "Europe/Zurich", period: week },
    );
    expect(quiet.text).toMatch(/^Warning: the storage is nearly full/m);
    expect(quiet.text).toMatch(/^Never used: no backup was ever received/m);
    expect(quiet.text).not.toContain("Failing:");

    const month = { ...lastCompletePeriod("month", Date.parse("2026-12-01T07:00:00Z")) };
    const customer = renderCustomerDigest(digest, {
      language: "en",
      timeZone: "Europe/Zurich",
      period: {
        ...month,
        asOfMs: Date.parse("2026-12-01T07:00:00Z"),
        sinceMs: Date.parse("2026-11-01T07:00:00Z"),
      },
    });
    expect(customer.text).toContain(
      "Here is how your online backup did in November 2026, as of 1 December 2026 at 08:00 CET.",
    );
    expect(customer.text).toContain(
      "Since the previous report (1 November 2026 at 08:00 CET), your 3 computers were backed up 12 times, last on 29 November 2026.",
    );
  });
});

describe("digests counted over their period by the run journal", () => {
  it("say per account and in each language how many backups completed and failed, without a since", () => {
    const counted = new Map([
      ["a", { succeeded: 12, failed: 1 }],
      ["b", { succeeded: 1, failed: 0 }],
    ]);
    const digest = digestOf([account("a"), account("b")], undefined, NOW, new Map(), counted);
    expect(digest.runs).toBe(13);
    expect(digest.failedRuns).toBe(1);
    const asOfMs = NOW;
    const sinceMs = Date.parse("2026-11-23T07:00:00Z");
    const period = (kind: "week" | "month", runsInPeriod: boolean) => ({
      ...lastCompletePeriod(kind, NOW),
      asOfMs,
      sinceMs,
      runsInPeriod,
    });
    const reseller = (language: "en" | "de" | "fr", counted = true) =>
      renderResellerDigest(digest, { language, timeZone: "Europe/Zurich", period: period("week", counted) })
        .text;
    expect(reseller("en")).toContain("Backups this week");
    expect(reseller("en")).toMatch(/^a .* 12 completed, 1 failed /m);
    expect(reseller("de")).toMatch(/^b .* 1 abgeschlossen, 0 fehlgeschlagen /m);
    expect(reseller("fr")).toMatch(/^a .* 12 réussies, 1 en échec /m);
    expect(reseller("fr")).toMatch(/^b .* 1 réussie, 0 en échec /m);
    expect(reseller("en", false)).not.toContain("Backups this week");

    const customer = (language: "en" | "de" | "fr") =>
      renderCustomerDigest(digest, { language, timeZone: "Europe/Zurich", period: period("month", true) });
    expect(customer("en").text).toContain("Your 2 computers were backed up 13 times, last on");
    expect(customer("en").text).toContain(
      "One backup did not complete in this period; the messages we sent about it say what to do.",
    );
    expect(customer("en").html).toContain("One backup did not complete in this period");
    expect(customer("en").text).not.toContain("Since the previous report");
    expect(customer("de").text).toContain("Eine Sicherung wurde in diesem Zeitraum nicht abgeschlossen");
    expect(customer("fr").text).toContain(
      "Une sauvegarde n’a pas abouti pendant cette période\u202f; les messages",
    );
  });
});

describe("digests over several backup servers", () => {
  it("name a backup server that did not answer, in each language and both audiences", () => {
    const digest = {
      accounts: [],
      counts: { failing: 0, warning: 0, never: 0, healthy: 1 },
      computers: 1,
      runs: 3,
      lastSuccessMs: Date.parse("2026-11-29T19:40:00Z"),
    };
    const period = {
      ...lastCompletePeriod("week", NOW),
      asOfMs: NOW,
      staleServers: [
        { name: "backup-02", collectedAt: new Date("2026-11-30T23:00:00Z"), stale: true },
        { name: "backup-03", stale: true },
      ],
    };
    const context = (language: "en" | "de" | "fr") => ({ language, timeZone: "Europe/Zurich", period });
    const reseller = (language: "en" | "de" | "fr") => renderResellerDigest(digest, context(language));
    const customer = (language: "en" | "de" | "fr") => renderCustomerDigest(digest, context(language));
    expect(reseller("en").text).toContain(
      "The backup server backup-02 did not answer when this report was written (its last data is from 1 December 2026 at 00:00 CET): its accounts are not in this report.",
    );
    expect(reseller("en").text).toContain(
      "The backup server backup-03 did not answer when this report was written: its accounts are not in this report.",
    );
    expect(customer("de").text).toContain(
      "Der Sicherungsserver backup-02 hat beim Erstellen dieses Berichts nicht geantwortet (seine letzten Daten sind vom 1. Dezember 2026",
    );
    expect(customer("fr").text).toContain(
      "Le serveur de sauvegarde backup-03 n’a pas répondu lors de la rédaction de ce rapport\u202f: ses comptes ne figurent pas dans ce rapport.",
    );
    for (const render of [reseller, customer])
      for (const language of ["en", "de", "fr"] as const)
        expect(render(language).html).toContain("backup-02");
    expect(
      renderResellerDigest(digest, { ...context("en"), period: { ...period, staleServers: [] } }).text,
    ).not.toContain("backup-0");
  });
});
