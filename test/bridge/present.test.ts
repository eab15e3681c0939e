import { describe, expect, it } from "vitest";
import type { StoredAlert } from "../../src/bridge/outbox.js";
import { heldUntil, presentAnnotations } from "../../src/bridge/present.js";
import type { AccountStatus, AccountStatusSource } from "../../src/exporter/index.js";
import { alert, bridgeFixture, payload, post, quotaAnnotations, settled, waitFor } from "./support.js";

const status = (uid: string, overrides: Partial<AccountStatus> = {}): AccountStatus => ({
  uid,
  resellers: [],
  neverUsed: false,
  quota: { quotaBytes: 10737418240, usedBytes: 5368709120, usedRatio: 0.5, warningRatio: 0.9 },
  settings: {} as AccountStatus["settings"],
  hosts: [
    {
      host: "pc",
      status: "success",
      running: false,
      lastSuccess: "2026-11-26T19:45:00.000Z",
      missedRuns: 0,
      consecutiveFailures: 0,
      successfulRuns: 12,
      clientOutdated: false,
      clockSkewed: false,
      metadataErrors: 0,
      client: { identifier: "Sepiola Online Backup Client", version: "2.7.1", operatingSystem: "Windows" },
    },
  ],
  ...overrides,
});

/** The exporter's state as the bridge reads it, here from a fixed map instead of an exporter. */
const fixedStatus = (accounts: AccountStatus[]): AccountStatusSource => ({
  collectedAt: async () => new Date(),
  accounts: async (uids) => new Map(accounts.filter((a) => uids.includes(a.uid)).map((a) => [a.uid, a])),
  all: async () => accounts,
});

const stored = (input: Partial<StoredAlert>): StoredAlert => ({
  id: 1,
  receivedAt: Date.parse("2026-11-26T20:00:00Z"),
  fingerprint: "f",
  status: "resolved",
  startsAt: "2026-11-26T10:00:00Z",
  account: "3723707",
  task: "quota",
  labels: { account: "3723707", host: "pc" },
  annotations: quotaAnnotations,
  attempts: 0,
  ...input,
});

describe("what resolved mails say", () => {
  it("replaces the last firing values of a resolved alert with the exporter's present state", () => {
    expect(presentAnnotations(stored({}), status("3723707"))).toEqual({
      used_bytes: "5368709120",
      quota_bytes: "10737418240",
      used_ratio: "0.5",
    });
    expect(presentAnnotations(stored({ task: "schedule" }), status("3723707"))).toEqual({
      last_success_timestamp: String(Date.parse("2026-11-26T19:45:00Z") / 1000),
    });
    expect(presentAnnotations(stored({ task: "upgrade" }), status("3723707"))).toEqual({
      client_identifier: "Sepiola Online Backup Client",
      client_version: "2.7.1",
    });
    expect(presentAnnotations(stored({}), undefined)).toEqual({});
    expect(presentAnnotations(stored({ status: "firing" }), undefined)).toBe(quotaAnnotations);
    const generic = stored({ task: "monitoring", annotations: { summary: "exporter down" } });
    expect(presentAnnotations(generic, undefined)).toEqual({ summary: "exporter down" });
  });

  it("holds schedule warnings about a running backup until the run had the grace period", () => {
    const running = stored({
      status: "firing",
      task: "schedule",
      annotations: { run_status: "running", last_start_timestamp: "1764183600" },
    });
    expect(heldUntil(running, 7_200_000)).toBe(1764183600_000 + 7_200_000);
    expect(heldUntil(running, 0)).toBeUndefined();
    expect(heldUntil({ ...running, annotations: { run_status: "failed" } }, 7_200_000)).toBeUndefined();
    expect(heldUntil({ ...running, task: "unsuccessful" }, 7_200_000)).toBeUndefined();
    expect(heldUntil({ ...running, status: "resolved" }, 7_200_000)).toBeUndefined();
  });
});

describe("bridge: the present in resolved mails, the grace of running backups", () => {
  const bridges = bridgeFixture();

  it("says the current usage in a resolved quota mail, or nothing numeric without the exporter's state", async () => {
    const firing = alert({
      account: "3723707",
      task: "quota",
      annotations: quotaAnnotations,
      fingerprint: "q1",
    });
    const resolved = { ...firing, status: "resolved", endsAt: "2026-11-26T11:30:00Z" };
    const { url, sink: mails } = await bridges.start({ parts: { status: fixedStatus([status("3723707")]) } });
    await post(url, payload([firing]));
    await waitFor("warning", () => mails.to("anna@example.co.uk").length === 1);
    await post(url, payload([resolved]));
    await waitFor("resolution", () => mails.to("anna@example.co.uk").length === 2);
    const text = mails.to("anna@example.co.uk")[1]?.parsed.text ?? "";
    expect(text).toContain("Storage used now: 5 GiB of 10 GiB (50%).");
    expect(text).not.toContain("97");
    await bridges.close();

    const without = await bridges.start();
    await post(without.url, payload([{ ...resolved, fingerprint: "q2" }]));
    await waitFor("resolution", () => without.sink.to("anna@example.co.uk").length === 1);
    const bare = without.sink.to("anna@example.co.uk")[0]?.parsed.text ?? "";
    expect(bare).toContain("Storage back below the warning level");
    expect(bare).not.toMatch(/GiB|%/);
  });

  it("mails nobody when a running backup succeeds within the grace period, and warns once it has passed", async () => {
    const now = Math.round(Date.now() / 1000);
    const running = (fingerprint: string, startedSecondsAgo: number) =>
      alert({
        account: "3723707",
        task: "schedule",
        labels: { host: "pc", alertname: "StoneyBackupTooLongWithoutSuccess" },
        annotations: {
          run_status: "running",
          last_start_timestamp: String(now - startedSecondsAgo),
          days_threshold: "1",
        },
        fingerprint,
      });
    // Held 8 s: its resolution arrives long before. Held 1 s: its run never ends, the warning goes out.
    const { url, bridge: b, sink: mails } = await bridges.start({ bridge: { runningGraceSeconds: 10 } });
    const solved = running("s1", 2);
    await post(url, payload([solved]));
    await waitFor("held", async () =>
      (await b.outbox.history("3723707", 100)).some((r) => r.outcome.startsWith("held (")),
    );
    await post(url, payload([{ ...solved, status: "resolved", endsAt: "2026-11-26T11:30:00Z" }]));
    const stuck = running("s2", 9);
    await post(url, payload([stuck]));
    await waitFor(
      "the warning after the grace period",
      async () => (await settled(b)) && mails.mails.length === 2,
    );
    expect(mails.mails.map((m) => m.parsed.subject)).toEqual([
      "Backup 3723707: no successful backup for at least 1 day",
      "Backup 3723707: no successful backup for at least 1 day",
    ]);
    const outcomes = (await b.outbox.history("3723707", 100)).map((r) => `${r.status} ${r.outcome}`);
    expect(outcomes).toContain("firing suppressed: solved before its warning was mailed");
    expect(outcomes).toContain("resolved suppressed: solved before its warning was mailed");
  });
});
