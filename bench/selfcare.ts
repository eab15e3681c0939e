import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { configSchema } from "../src/config/index.js";
import type { AccountStatus, AccountStatusSource } from "../src/exporter/index.js";
import { DAY_MS, dayOf, type JournalRun, type UsageDay } from "../src/journal/index.js";
import { SqliteJournal } from "../src/journal/sqlite.js";
import { createLogger } from "../src/log.js";
import { startSelfcare } from "../src/selfcare/index.js";
import { startSlapd } from "../test/support/slapd.js";
import { generateLdif } from "./bridge.js";
import { percentile } from "./exporter.js";

/**
 * The self-care portal against a real slapd holding `accounts` accounts of 10 resellers: a reseller
 * contact (uid 5999999) sees 1/10 of them. The exporter's state is in memory, as in `start`: one
 * synthetic state per account. Each case is `requests` sequential requests after one warm-up.
 */

export interface SelfcareRow {
  case: string;
  p50: number;
  p95: number;
  max: number;
}

export interface SelfcareResult {
  accounts: number;
  resellerAccounts: number;
  rows: SelfcareRow[];
  journal: JournalSize;
}

/** The journal the account pages read: its first accounts with `days` days each, and its file's size. */
export interface JournalSize {
  accounts: number;
  days: number;
  runs: number;
  bytes: number;
}

/** Accounts given a full journal: the page reads one account's rows by index, so their number only sets the size. */
const JOURNAL_ACCOUNTS = 1_000;
const JOURNAL_DAYS = 400;

/**
 * 400 days of journal for the first accounts (as the portal's account page reads it): each computer of
 * the synthetic state backs up twice a day (every 17th run failed), and each account's usage grows daily.
 */
async function seedJournal(file: string, accounts: number): Promise<JournalSize> {
  const journal = SqliteJournal.open(file);
  const today = dayOf(Date.now());
  let runs: JournalRun[] = [];
  let usage: UsageDay[] = [];
  let count = 0;
  for (let a = 0; a < accounts; a++) {
    const account = String(3000000 + a);
    for (let day = today - JOURNAL_DAYS + 1; day <= today; day++) {
      usage.push({
        account,
        day,
        usedBytes: (a % 100) * 2 ** 27 + (day - today) * 2 ** 20,
        quotaBytes: 10 * 2 ** 30,
      });
      for (let h = 0; h < 1 + (a % 2); h++)
        for (const hour of [2, 14]) {
          const startedMs = day * DAY_MS + hour * 3_600_000;
          runs.push({
            account,
            host: `pc-${a}-${h}`,
            runId: String(day * 100 + hour),
            startedMs,
            endedMs: startedMs + (10 + ((a + day) % 50)) * 60_000,
            success: (day + hour + a) % 17 !== 0,
            clientVersion: "2.6.1",
          });
        }
    }
    if (runs.length >= 50_000) {
      count += runs.length;
      await journal.write(runs, usage);
      runs = [];
      usage = [];
    }
  }
  count += runs.length;
  await journal.write(runs, usage);
  await journal.close();
  const bytes = ["", "-wal"].reduce((sum, suffix) => {
    try {
      return sum + statSync(`${file}${suffix}`).size;
    } catch {
      return sum;
    }
  }, 0);
  return { accounts, days: JOURNAL_DAYS, runs: count, bytes };
}

const resellers = 10;
const contact = "5999999";
const password = "bench-secret";

const contactEntry = `dn: uid=${contact},ou=people,dc=stoney-cloud,dc=org
objectClass: top
objectClass: sstPerson
uid: ${contact}
givenName: Bench
sn: Contact
mail: contact@reseller-0.example
preferredLanguage: de-CH
sstTimeZoneOffset: +01:00
userPassword: ${password}
`;

/** generateLdif's directory, with reseller 4000000 naming the contact in sstInformPersonUID. */
const directoryLdif = (accounts: number): string =>
  generateLdif(accounts, resellers).replace(
    "objectClass: sstAddressCompany\nuid: 4000000\n",
    `objectClass: sstAddressCompany\nobjectClass: sstRelationship\nuid: 4000000\nsstInformPersonUID: ${contact}\n`,
  );

/** A plausible state per account: one or two computers, some failing, missing runs or near the quota. */
function syntheticStates(accounts: number): Map<string, AccountStatus> {
  const states = new Map<string, AccountStatus>();
  const now = Date.now();
  const iso = (offsetHours: number) => new Date(now + offsetHours * 3_600_000).toISOString();
  for (let a = 0; a < accounts; a++) {
    const uid = String(3000000 + a);
    const setting = (value: number | boolean) => ({ value, source: "config" as const });
    states.set(uid, {
      uid,
      resellers: [String(4000000 + (a % resellers))],
      neverUsed: a % 97 === 0,
      quota: {
        quotaBytes: 10 * 2 ** 30,
        usedBytes: (a % 100) * 2 ** 27,
        usedRatio: (a % 100) / 80,
        warningRatio: 0.85,
      },
      settings: {
        warnings: setting(true),
        quotaWarningPercent: setting(85),
        missedBackupsThreshold: setting(1),
        missedDaysThreshold: setting(1),
        failuresThreshold: setting(1),
        quotaFullDays: setting(14),
      },
      hosts: Array.from({ length: 1 + (a % 2) }, (_, h) => ({
        host: `pc-${a}-${h}`,
        status: a % 13 === 0 ? ("failed" as const) : ("success" as const),
        running: false,
        lastSuccess: iso(-20 - (a % 48)),
        missedRuns: a % 11 === 0 ? 2 : 0,
        consecutiveFailures: a % 13 === 0 ? 1 : 0,
        successfulRuns: a % 13 === 0 ? 0 : 5,
        nextPlannedRun: iso(4),
        client: {
          identifier: "Sepiola Online Backup Client",
          version: a % 17 === 0 ? "2.4.0" : "2.6.1",
          operatingSystem: "Windows",
        },
        clientOutdated: a % 17 === 0,
        clockSkewed: false,
        metadataErrors: 0,
      })),
    });
  }
  return states;
}

export async function benchSelfcare(accounts = 50_000, requests = 200): Promise<SelfcareResult> {
  const dir = mkdtempSync(path.join(tmpdir(), "stoney-bench-selfcare-"));
  process.stderr.write(`selfcare: loading ${accounts} accounts into slapd ...\n`);
  const slapd = await startSlapd({
    ldif: [directoryLdif(accounts), contactEntry],
    maxSizeBytes: Math.max(100, accounts / 100) * 2 ** 20 * 4,
  });
  const states = syntheticStates(accounts);
  const collectedAt = new Date();
  const status: AccountStatusSource = {
    collectedAt: async () => collectedAt,
    accounts: async (uids) => {
      const result = new Map<string, AccountStatus>();
      for (const uid of uids) {
        const state = states.get(uid);
        if (state) result.set(uid, state);
      }
      return result;
    },
    all: async () => [...states.values()],
  };
  const history = path.join(dir, "history.sqlite");
  process.stderr.write(
    `selfcare: writing ${JOURNAL_DAYS} days of journal for ${JOURNAL_ACCOUNTS} accounts ...\n`,
  );
  const journal = await seedJournal(history, Math.min(accounts, JOURNAL_ACCOUNTS));
  const rows: SelfcareRow[] = [];
  let resellerAccounts = 0;
  try {
    for (const scopeCacheSeconds of [30, 0]) {
      const config = configSchema.parse({
        directory: { ...slapd.configFor() },
        bridge: { outbox: path.join(dir, `outbox-${scopeCacheSeconds}.sqlite`) },
        history: { path: history },
        selfcare: { listen: { port: 0 }, scopeCacheSeconds },
        logging: { level: "warn" },
      });
      const portal = await startSelfcare(config, createLogger("warn"), { status });
      try {
        const login = await fetch(`${portal.url}/api/v1/session`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ uid: contact, password }),
        });
        if (login.status !== 200) throw new Error(`bench login: HTTP ${login.status}`);
        const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
        const cache =
          scopeCacheSeconds > 0 ? `scope cached ${scopeCacheSeconds} s` : "scope searched every request";
        const cases: Array<[string, string]> = [
          [`overview page 1 (HTML), ${cache}`, "/accounts"],
          [
            `account page with ${JOURNAL_DAYS} days of journal and its charts (HTML), ${cache}`,
            "/accounts/3000010",
          ],
          ...(scopeCacheSeconds > 0
            ? ([
                [
                  `overview page 40, problems only, search (HTML), ${cache}`,
                  "/accounts?q=pc-1&problems=1&page=40",
                ],
                [`overview API page 1 (JSON), ${cache}`, "/api/v1/accounts"],
              ] as Array<[string, string]>)
            : []),
        ];
        for (const [name, route] of cases) {
          const times: number[] = [];
          for (let i = 0; i <= requests; i++) {
            const started = performance.now();
            const response = await fetch(`${portal.url}${route}`, { headers: { cookie } });
            const body = await response.text();
            if (response.status !== 200)
              throw new Error(`${route}: HTTP ${response.status}: ${body.slice(0, 200)}`);
            if (i > 0) times.push(performance.now() - started);
            if (route === "/api/v1/accounts")
              resellerAccounts = (JSON.parse(body) as { total: number }).total;
          }
          rows.push({
            case: name,
            p50: percentile(times, 50),
            p95: percentile(times, 95),
            max: Math.max(...times),
          });
        }
      } finally {
        await portal.close();
      }
    }
  } finally {
    await slapd.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
  return { accounts, resellerAccounts, rows, journal };
}

export function selfcareTable(result: SelfcareResult): string {
  const fixed = (n: number) => n.toFixed(1);
  return [
    `\n## self-care portal: a reseller contact with ${result.resellerAccounts} accounts, slapd with ${result.accounts} accounts\n`,
    "Sequential requests after one warm-up; the exporter's state in memory (as in `start`). Target: p95 < 300 ms.\n",
    "| case | p50 ms | p95 ms | max ms |",
    "|---|---:|---:|---:|",
    ...result.rows.map((r) => `| ${r.case} | ${fixed(r.p50)} | ${fixed(r.p95)} | ${fixed(r.max)} |`),
    "",
    `Run journal (SQLite, the history file): ${result.journal.runs} runs and ${result.journal.accounts * result.journal.days} usage days of ${result.journal.accounts} accounts over ${result.journal.days} days: ${(result.journal.bytes / 2 ** 20).toFixed(1)} MiB, ${(result.journal.bytes / (result.journal.accounts / 1000) / result.journal.days / 2 ** 20).toFixed(2)} MiB per day and 1,000 accounts.`,
    "",
  ].join("\n");
}

export async function selfcareSection(accounts = 50_000, requests = 200): Promise<void> {
  process.stdout.write(selfcareTable(await benchSelfcare(accounts, requests)));
}
