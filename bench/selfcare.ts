import { mkdtempSync, rmSync, statSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { configSchema } from "../src/config/index.js";
import type { AccountStatus, AccountStatusSource } from "../src/exporter/index.js";
import { DAY_MS, dayOf, openJournalWriter } from "../src/journal/index.js";
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
  /** The 1-minute load average at the case's start and end. */
  load: [number, number];
}

export interface SelfcareResult {
  accounts: number;
  resellerAccounts: number;
  rows: SelfcareRow[];
  journal: JournalSize;
  recording: DayRecorded;
}

/** One more day written into the full journal by the exporter's own recorder, as after the nightly backups. */
export interface DayRecorded {
  runs: number;
  usageDays: number;
  /** CPU of this process (the recorder and SQLite; nothing else runs in it meanwhile). */
  cpuSeconds: number;
  seconds: number;
  /** The recorder's own account (stoney_backup_journal_write_seconds_total). */
  writeSeconds: number;
}

/**
 * The runs of the day after the journal's last, one per computer (the last run of the night, as a
 * collection sees it), and each account's usage, recorded through the exporter's JournalRecorder into
 * the filled journal: what a collection that finds every host's run new adds at this journal's size.
 * The exporter records while it reads accounts: the loop gives way to the writes every 100 accounts.
 */
async function recordDay(history: string, accounts: number): Promise<DayRecorded> {
  const config = configSchema.parse({
    directory: { url: "file:directory.ldif" },
    history: { path: history },
  });
  const writer = openJournalWriter(config.history, createLogger("warn"));
  const day = dayOf(Date.now()) + 1;
  const cpu = process.cpuUsage();
  const started = performance.now();
  let runs = 0;
  for (let a = 0; a < accounts; a++) {
    for (let h = 0; h < 1 + (a % 2); h++, runs++)
      writer.recordRun({
        account: String(3000000 + a),
        host: `pc-${a}-${h}`,
        runId: String(day * 100 + 2),
        startedMs: day * DAY_MS + 2 * 3_600_000,
        endedMs: day * DAY_MS + 2 * 3_600_000 + 20 * 60_000,
        success: true,
        clientVersion: "2.6.1",
      });
    writer.recordUsage(
      String(3000000 + a),
      { usedBytes: 2 ** 30, quotaBytes: 10 * 2 ** 30 },
      new Date(day * DAY_MS),
    );
    if (a % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
  }
  await writer.flush();
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - started) / 1000;
  const { writeSeconds } = writer.stats();
  await writer.close();
  return { runs, usageDays: accounts, cpuSeconds: (used.user + used.system) / 1e6, seconds, writeSeconds };
}

/** The journal the account pages read: `accounts` accounts with `days` days each, and its file's size. */
export interface JournalSize {
  accounts: number;
  days: number;
  runs: number;
  usageDays: number;
  /** Pages in use (the file less its free pages), after the first half of the days and at the end. */
  halfBytes: number;
  bytes: number;
  /** The file and its -wal on disk at the end. */
  fileBytes: number;
  seconds: number;
}

export const JOURNAL_DAYS = 400;

const usedPageBytes = (db: Database.Database): number =>
  ((db.pragma("page_count", { simple: true }) as number) -
    (db.pragma("freelist_count", { simple: true }) as number)) *
  (db.pragma("page_size", { simple: true }) as number);

/** The accounts 0 … :accounts - 1, as SQLite generates them. */
const accountNumbers =
  "WITH RECURSIVE n(a) AS (SELECT 0 UNION ALL SELECT a + 1 FROM n WHERE a + 1 < :accounts)";

/**
 * `days` days of journal for the first `accounts` accounts, written day by day as the exporter writes
 * them (so the indexes grow, and fragment, as in service), one transaction a day: each computer of the
 * synthetic state (one or two per account) backs up at 02:00 and 14:00, every 17th run failed, and each
 * account's usage grows daily. The schema is the exporter's (its migrations); SQLite generates the rows
 * itself (INSERT … SELECT), which writes millions a minute where binding them from JavaScript does not.
 */
async function seedJournal(file: string, accounts: number, days = JOURNAL_DAYS): Promise<JournalSize> {
  await SqliteJournal.open(file).close();
  const started = performance.now();
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = OFF");
  db.pragma("cache_size = -2000000");
  const runs = db.prepare(`${accountNumbers}
    INSERT INTO journal_runs (account, host, run_id, started_ms, ended_ms, success, client_version)
    SELECT CAST(3000000 + a AS TEXT), 'pc-' || a || '-' || h, CAST(:day * 100 + hour AS TEXT),
      :day * ${DAY_MS} + hour * 3600000, :day * ${DAY_MS} + hour * 3600000 + (10 + (a + :day) % 50) * 60000,
      (:day + hour + a) % 17 <> 0, '2.6.1'
    FROM n, (SELECT 0 AS h UNION ALL SELECT 1), (SELECT 2 AS hour UNION ALL SELECT 14)
    WHERE h < 1 + a % 2 ORDER BY a, h, hour`);
  const usage = db.prepare(`${accountNumbers}
    INSERT INTO journal_usage (account, day, used_bytes, quota_bytes)
    SELECT CAST(3000000 + a AS TEXT), :day, (a % 100) * ${2 ** 27} + (:day - :today + ${days}) * ${2 ** 20}, ${10 * 2 ** 30}
    FROM n ORDER BY a`);
  const today = dayOf(Date.now());
  let runCount = 0;
  let halfBytes = 0;
  // BigInt: bound as SQLite integers (a JavaScript number is bound as a real, and run ids would read "2075402.0").
  const writeDay = db.transaction((day: number) => {
    runCount += runs.run({ accounts, day: BigInt(day) }).changes;
    usage.run({ accounts, day: BigInt(day), today: BigInt(today) });
  });
  for (let day = today - days + 1; day <= today; day++) {
    writeDay(day);
    if (day === today - Math.floor(days / 2)) halfBytes = usedPageBytes(db);
    if ((today - day) % 50 === 0)
      process.stderr.write(
        `selfcare: journal day ${days - (today - day)} of ${days}, ${runCount} runs, ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
      );
  }
  db.pragma("wal_checkpoint(TRUNCATE)");
  const bytes = usedPageBytes(db);
  db.close();
  const fileBytes = ["", "-wal"].reduce((sum, suffix) => {
    try {
      return sum + statSync(`${file}${suffix}`).size;
    } catch {
      return sum;
    }
  }, 0);
  return {
    accounts,
    days,
    runs: runCount,
    usageDays: accounts * days,
    halfBytes,
    bytes,
    fileBytes,
    seconds: (performance.now() - started) / 1000,
  };
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

export interface SelfcareOptions {
  /** Accounts in slapd and in the exporter's state. */
  accounts: number;
  /** Accounts with a full journal (the first ones); at most `accounts`. */
  journalAccounts: number;
  requests: number;
  /** Also measure with the scope searched on every request (`scopeCacheSeconds: 0`, seconds per request). */
  uncached: boolean;
}

export async function benchSelfcare({
  accounts,
  journalAccounts,
  requests,
  uncached,
}: SelfcareOptions): Promise<SelfcareResult> {
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
  const withJournal = Math.min(accounts, journalAccounts);
  process.stderr.write(`selfcare: writing ${JOURNAL_DAYS} days of journal for ${withJournal} accounts ...\n`);
  const journal = await seedJournal(history, withJournal);
  process.stderr.write(
    `selfcare: ${journal.runs} runs in ${journal.seconds.toFixed(0)} s, ${(journal.bytes / 2 ** 30).toFixed(2)} GiB\n`,
  );
  // The account pages asked for go round the contact's accounts (reseller 4000000: every tenth) that
  // have a journal, a different one each request, so the journal's pages are not all in the cache.
  const journalled = Math.max(1, Math.floor(withJournal / resellers));
  const accountPage = (i: number) => `/accounts/${3000000 + resellers * ((i * 7919) % journalled)}`;
  const rows: SelfcareRow[] = [];
  let resellerAccounts = 0;
  try {
    for (const scopeCacheSeconds of uncached ? [30, 0] : [30]) {
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
        const cases: Array<[string, (i: number) => string]> = [
          [`overview page 1 (HTML), ${cache}`, () => "/accounts"],
          [
            `account page with ${JOURNAL_DAYS} days of journal and its charts (HTML), a different account each request, ${cache}`,
            accountPage,
          ],
          ...(scopeCacheSeconds > 0
            ? ([
                [
                  `overview page 40, problems only, search (HTML), ${cache}`,
                  () => "/accounts?q=pc-1&problems=1&page=40",
                ],
                [`overview API page 1 (JSON), ${cache}`, () => "/api/v1/accounts"],
              ] as Array<[string, (i: number) => string]>)
            : []),
        ];
        for (const [name, routeOf] of cases) {
          const times: number[] = [];
          const loadAtStart = loadavg()[0] ?? 0;
          for (let i = 0; i <= requests; i++) {
            const route = routeOf(i);
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
            load: [loadAtStart, loadavg()[0] ?? 0],
          });
        }
      } finally {
        await portal.close();
      }
    }
    process.stderr.write(
      `selfcare: recording one more day of ${withJournal} accounts into the journal ...\n`,
    );
    const recording = await recordDay(history, withJournal);
    return { accounts, resellerAccounts, rows, journal, recording };
  } finally {
    await slapd.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function selfcareTable(result: SelfcareResult): string {
  const fixed = (n: number) => n.toFixed(1);
  const j = result.journal;
  const r = result.recording;
  const gib = (bytes: number) => (bytes / 2 ** 30).toFixed(2);
  const perThousand = j.accounts / 1000;
  // Growth from the second half of the days: the same rows a day, in indexes already as deep as in service.
  const perDay = (j.bytes - j.halfBytes) / (j.days - Math.floor(j.days / 2));
  const target = (name: string) =>
    name.startsWith("account page") ? "< 200" : name.startsWith("overview page 1 ") ? "< 300" : "";
  const lines = [
    `\n## self-care portal: a reseller contact with ${result.resellerAccounts} accounts, slapd with ${result.accounts} accounts, journal of ${j.accounts} accounts over ${j.days} days\n`,
    "Sequential requests after one warm-up; the exporter's state in memory (as in `start`).\n",
    "| case | p50 ms | p95 ms | max ms | p95 target ms | load 1 min (start / end) |",
    "|---|---:|---:|---:|---|---|",
    ...result.rows.map(
      (r) =>
        `| ${r.case} | ${fixed(r.p50)} | ${fixed(r.p95)} | ${fixed(r.max)} | ${target(r.case)} | ${r.load[0].toFixed(1)} / ${r.load[1].toFixed(1)} |`,
    ),
    "",
    `Run journal (SQLite, the history file), written in ${j.seconds.toFixed(0)} s: ${j.runs} runs and ${j.usageDays} usage days.\n`,
    "| journal | value |",
    "|---|---:|",
    `| accounts × days | ${j.accounts} × ${j.days} |`,
    `| runs per day per account | ${(j.runs / j.days / j.accounts).toFixed(2)} |`,
    `| size (pages in use), GiB | ${gib(j.bytes)} |`,
    `| file and -wal on disk, GiB | ${gib(j.fileBytes)} |`,
    `| size after ${Math.floor(j.days / 2)} days, GiB | ${gib(j.halfBytes)} |`,
    `| growth per day (second half), MiB | ${(perDay / 2 ** 20).toFixed(2)} |`,
    `| growth per day per 1,000 accounts, MiB | ${(perDay / perThousand / 2 ** 20).toFixed(3)} |`,
    `| size per 1,000 accounts over ${j.days} days, MiB | ${(j.bytes / perThousand / 2 ** 20).toFixed(0)} |`,
    `| at 50,000 accounts and ${j.days} days (size × ${(50 / perThousand).toFixed(1)}), GiB | ${gib((j.bytes * 50) / perThousand)} |`,
    "",
    `One more day recorded into this journal by the exporter's recorder (every computer's run of the night new, as in the collection after the nightly backups): ${r.runs} runs and ${r.usageDays} usage days.\n`,
    "| recording one day | value |",
    "|---|---:|",
    `| CPU s (the recorder and SQLite) | ${r.cpuSeconds.toFixed(2)} |`,
    `| wall s | ${r.seconds.toFixed(2)} |`,
    `| stoney_backup_journal_write_seconds_total | ${r.writeSeconds.toFixed(2)} |`,
    `| CPU µs per row | ${((r.cpuSeconds * 1e6) / (r.runs + r.usageDays)).toFixed(1)} |`,
    "",
  ];
  return lines.join("\n");
}

export async function selfcareSection(options: SelfcareOptions): Promise<void> {
  process.stdout.write(selfcareTable(await benchSelfcare(options)));
}
