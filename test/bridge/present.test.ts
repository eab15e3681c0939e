import { describe, expect, it } from "vitest";
import type { StoredAlert } from "../../src/bridge/outbox.js";
import { heldUntil, presentVerdict } from "../../src/bridge/present.js";
import type { AccountStatus, AccountStatusSource } from "../../src/exporter/index.js";
import {
  accountStatus,
  alert,
  bridgeFixture,
  fixedStatusSource,
  payload,
  post,
  quotaAnnotations,
  settled,
  sleep,
  waitFor,
} from "./support.js";

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
    expect(presentVerdict(stored({}), accountStatus("3723707"))).toEqual({
      kind: "confirmed",
      annotations: {
        used_bytes: "5368709120",
        quota_bytes: "10737418240",
        used_ratio: "0.5",
        warning_ratio: "0.9",
      },
    });
    expect(presentVerdict(stored({ task: "schedule" }), accountStatus("3723707"))).toEqual({
      kind: "confirmed",
      annotations: { last_success_timestamp: String(Date.parse("2026-11-26T19:45:00Z") / 1000) },
    });
    expect(presentVerdict(stored({ task: "upgrade" }), accountStatus("3723707"))).toEqual({
      kind: "confirmed",
      annotations: { client_identifier: "Sepiola Online Backup Client", client_version: "2.7.1" },
    });
    expect(presentVerdict(stored({}), undefined)).toEqual({ kind: "unconfirmed", annotations: {} });
    expect(presentVerdict(stored({ status: "firing" }), undefined)).toEqual({
      kind: "confirmed",
      annotations: quotaAnnotations,
    });
    const generic = stored({ task: "monitoring", annotations: { summary: "exporter down" } });
    expect(presentVerdict(generic, undefined)).toEqual({
      kind: "confirmed",
      annotations: { summary: "exporter down" },
    });
  });

  it("never calls a problem solved that the present state still shows", () => {
    const full = (usedRatio: number, warningRatio: number) =>
      accountStatus("3723707", {
        quota: { quotaBytes: 10737418240, usedBytes: 10415295693, usedRatio, warningRatio },
      });
    expect(presentVerdict(stored({}), full(0.97, 0.9))).toEqual({
      kind: "persists",
      why: "97% used, warning level 90%",
    });
    expect(presentVerdict(stored({}), full(0.9, 0.9)).kind).toBe("persists");
    // The forecast ends once the storage is full (no date left to reach): not solved either.
    const forecast = stored({ annotations: { full_timestamp: "1804759200", days_ahead: "14" } });
    expect(presentVerdict(forecast, full(1, 0.9))).toEqual({
      kind: "persists",
      why: "100% used, warning level 90%",
    });
    expect(presentVerdict(forecast, full(0.8, 0.9))).toMatchObject({
      kind: "confirmed",
      annotations: { used_ratio: "0.8", full_timestamp: "1804759200" },
    });
    // The level was raised above the usage, or switched off: what changed, not "solved".
    expect(presentVerdict(stored({}), full(0.97, 0.99))).toMatchObject({
      kind: "changed",
      annotations: { used_ratio: "0.97", warning_ratio: "0.99" },
    });
    const off = presentVerdict(stored({}), full(0.97, 0));
    expect(off.kind).toBe("changed");
    expect(off).not.toHaveProperty("annotations.warning_ratio");

    const behind = stored({
      task: "schedule",
      startsAt: "2026-11-27T10:00:00Z",
      annotations: { missed_schedules: "5", threshold: "2" },
    });
    const host = accountStatus("3723707").hosts[0];
    const stale = (missedBackupsThreshold: number) =>
      accountStatus("3723707", {
        settings: { missedBackupsThreshold: { value: missedBackupsThreshold } } as AccountStatus["settings"],
        hosts: host ? [{ ...host, lastSuccess: "2026-11-24T19:45:00.000Z", missedRuns: 5 }] : [],
      });
    expect(presentVerdict(behind, stale(2))).toEqual({
      kind: "persists",
      why: "no successful backup of pc since the problem began (last 2026-11-24T19:45:00.000Z)",
    });
    expect(presentVerdict(behind, stale(7))).toEqual({
      kind: "changed",
      annotations: {
        threshold: "7",
        last_success_timestamp: String(Date.parse("2026-11-24T19:45:00Z") / 1000),
      },
    });
    expect(presentVerdict({ ...behind, labels: { account: "3723707", host: "gone" } }, stale(2))).toEqual({
      kind: "unconfirmed",
      annotations: {},
    });
    const outdated = accountStatus("3723707", { hosts: host ? [{ ...host, clientOutdated: true }] : [] });
    expect(presentVerdict(stored({ task: "upgrade" }), outdated).kind).toBe("persists");
    expect(
      presentVerdict(stored({ task: "nobackup" }), accountStatus("3723707", { neverUsed: true })).kind,
    ).toBe("persists");
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
    const { url, sink: mails } = await bridges.start({
      parts: { status: fixedStatusSource([accountStatus("3723707")]) },
    });
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
    // Without the present, only what is certain: Alertmanager no longer reports it.
    expect(bare).toContain("No longer reported: Storage almost full (account 3723707)");
    expect(bare).not.toContain("back below");
    expect(bare).not.toMatch(/GiB|%/);
  });

  /** A firing alert, then its resolution, with the exporter's state (which the test may change) behind. */
  async function resolveAgainst(
    state: AccountStatus,
    firing: ReturnType<typeof alert>,
    recipient: string,
    bridge: Record<string, unknown> = {},
  ) {
    const current = { state };
    const source: AccountStatusSource = {
      collectedAt: async () => new Date(),
      accounts: async (uids) =>
        new Map(uids.includes(current.state.uid) ? [[current.state.uid, current.state]] : []),
      all: async () => [current.state],
    };
    const started = await bridges.start({
      bridge: { resolvedHold: { recheckSeconds: 0.2 }, ...bridge },
      parts: { status: source },
    });
    await post(started.url, payload([firing]));
    await waitFor("warning", () => started.sink.to(recipient).length === 1);
    await post(started.url, payload([{ ...firing, status: "resolved", endsAt: "2026-12-02T08:00:00Z" }]));
    const history = async () =>
      (await started.bridge.outbox.history(firing.labels.account ?? "", 100)).map(
        (r) => `${r.status} ${r.outcome}`,
      );
    return { ...started, current, history };
  }

  const fullQuota = (usedRatio: number, warningRatio: number): AccountStatus =>
    accountStatus("3723702", {
      quota: {
        quotaBytes: 10737418240,
        usedBytes: Math.round(usedRatio * 10737418240),
        usedRatio,
        warningRatio,
      },
    });

  it("holds a quota resolution while 9.7 GiB of 10 GiB (97%) are used at a 90% level, and mails it once the state agrees", async () => {
    const firing = alert({
      account: "3723702",
      task: "quota",
      annotations: quotaAnnotations,
      fingerprint: "de-q",
    });
    const run = await resolveAgainst(fullQuota(0.97, 0.9), firing, "juerg.mueller@example.ch");
    await waitFor("held", async () =>
      (await run.history()).some((o) =>
        o.startsWith(
          "resolved held (held until the exporter's state shows the problem solved: 97% used, warning level 90%)",
        ),
      ),
    );
    // Rechecked several times meanwhile, still nothing says it is solved.
    await sleep(800);
    expect(run.sink.to("juerg.mueller@example.ch")).toHaveLength(1);
    run.current.state = fullQuota(0.5, 0.9);
    await waitFor("resolution", () => run.sink.to("juerg.mueller@example.ch").length === 2);
    const text = run.sink.to("juerg.mueller@example.ch")[1]?.parsed.text ?? "";
    expect(text).toContain("Speicher wieder unter der Warnschwelle");
    expect(text).toMatch(/Jetzt belegter Speicher: 5 GiB von 10 GiB \(50\s?%\)/);
    expect(text).not.toContain("97");
  });

  it("says what changed when the warning level was raised above the usage: level now 99%, 97% used", async () => {
    const firing = alert({
      account: "3723702",
      task: "quota",
      annotations: quotaAnnotations,
      fingerprint: "de-r",
    });
    const run = await resolveAgainst(fullQuota(0.97, 0.99), firing, "juerg.mueller@example.ch");
    await waitFor("resolution", () => run.sink.to("juerg.mueller@example.ch").length === 2);
    const mail = run.sink.to("juerg.mueller@example.ch")[1]?.parsed;
    expect(mail?.subject).toMatch(/^Re: Backup 3723702: Speicher zu 97\s?% belegt$/);
    expect(mail?.text).toMatch(/Warnschwelle auf 99\s?% erhöht/);
    expect(mail?.text).toMatch(/Warnschwelle jetzt: 99\s?%\./);
    expect(mail?.text).toMatch(/\(97\s?%\)/);
    expect(mail?.text).not.toContain("wieder unter der Warnschwelle");
  });

  it("does not say a French schedule problem is over when the last success is 6 days old", async () => {
    const firing = alert({
      account: "3723704",
      task: "schedule",
      labels: { host: "MacBook-Zoe", alertname: "StoneyBackupScheduleMissed" },
      annotations: { missed_schedules: "5", threshold: "2", last_success_timestamp: "1764187200" },
      startsAt: "2026-11-30T06:00:00Z",
      fingerprint: "fr-s",
    });
    const host = accountStatus("3723704").hosts[0];
    const behind = accountStatus("3723704", {
      settings: { missedBackupsThreshold: { value: 2 } } as AccountStatus["settings"],
      hosts: host
        ? [{ ...host, host: "MacBook-Zoe", lastSuccess: "2026-11-26T20:00:00.000Z", missedRuns: 5 }]
        : [],
    });
    // After the longest hold the resolution goes to nobody, with the reason in the history.
    const run = await resolveAgainst(behind, firing, "zoe.lefevre@example.fr", {
      resolvedHold: { maxHours: 0 },
    });
    await waitFor("suppressed", async () => (await settled(run.bridge)) && (await run.history()).length >= 4);
    expect(await run.history()).toContain(
      "resolved suppressed: the exporter's state still shows the problem after 0 h: no successful backup of MacBook-Zoe since the problem began (last 2026-11-26T20:00:00.000Z)",
    );
    expect(run.sink.to("zoe.lefevre@example.fr")).toHaveLength(1);
    expect(run.sink.mails.map((m) => m.parsed.text).join("\n")).not.toContain("ont repris");
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
