import { execFile } from "node:child_process";
import { lstat, readdir, readFile } from "node:fs/promises";
import { promisify } from "node:util";
import type { QuotaConfig } from "../config/index.js";
import type { Account } from "../directory/model.js";
import type { Logger } from "../log.js";
import type { QuotaState } from "./model.js";
import { fail, ok, type Result } from "./result.js";

/** One user's line of `repquota -u`, converted to bytes (repquota counts 1 KiB blocks). */
export interface RepquotaUsage {
  usedBytes: number;
  softLimitBytes: number;
  hardLimitBytes: number;
}

const KIB = 1024;
const USER_LINE = /^(\S+)\s+([-+])([-+])\s+(\d+)\s+(\d+)\s+(\d+)(?:\s|$)/;

/**
 * Parse `repquota -u` output (one or more filesystem reports). A user listed on several filesystems is
 * summed. Lines that are not user lines (headers, separators, grace times) are skipped.
 */
export function parseRepquota(text: string): Result<Map<string, RepquotaUsage>> {
  if (typeof text !== "string") return fail("repquota output is not text");
  const users = new Map<string, RepquotaUsage>();
  let reports = 0;
  for (const line of text.split(/\r?\n/)) {
    if (/^\*\*\* Report for user quotas/.test(line)) reports += 1;
    const match = USER_LINE.exec(line);
    if (!match) continue;
    const [, user = "", , , used = "0", soft = "0", hard = "0"] = match;
    const previous = users.get(user) ?? { usedBytes: 0, softLimitBytes: 0, hardLimitBytes: 0 };
    users.set(user, {
      usedBytes: previous.usedBytes + Number(used) * KIB,
      softLimitBytes: previous.softLimitBytes + Number(soft) * KIB,
      hardLimitBytes: previous.hardLimitBytes + Number(hard) * KIB,
    });
  }
  if (reports === 0 && users.size === 0)
    return fail("no repquota report found (expected `repquota -u` output)");
  return ok(users);
}

/** The ratio only where the quota is known and above zero: an unknown quota is not 0 %. */
export function quotaState(quotaBytes: number | undefined, usedBytes: number | undefined): QuotaState {
  const known = (value: number | undefined): value is number =>
    value !== undefined && Number.isFinite(value) && value >= 0;
  const state: QuotaState = {};
  if (known(quotaBytes)) state.quotaBytes = quotaBytes;
  if (known(usedBytes)) state.usedBytes = usedBytes;
  if (known(quotaBytes) && known(usedBytes) && quotaBytes > 0) state.ratio = usedBytes / quotaBytes;
  return state;
}

/** Directory attributes: sstQuota, and sstBackupSize + sstIncrementSize (either alone where one is missing). */
export function ldapQuota(account: Account): QuotaState {
  const sizes = [account.backupSizeBytes, account.incrementSizeBytes].filter(
    (s): s is number => s !== undefined,
  );
  return quotaState(account.quotaBytes, sizes.length > 0 ? sizes.reduce((a, b) => a + b, 0) : undefined);
}

/**
 * The filesystem quota of a repquota line: the hard limit (what the filesystem enforces), else the soft
 * limit; 0 means "no limit" in repquota and leaves the quota unknown.
 */
export function repquotaQuota(usage: RepquotaUsage | undefined): QuotaState {
  if (!usage) return {};
  const limit = usage.hardLimitBytes > 0 ? usage.hardLimitBytes : usage.softLimitBytes;
  return quotaState(limit > 0 ? limit : undefined, usage.usedBytes);
}

/**
 * Bytes allocated below `home` (`blocks × 512`, like du): symbolic links are counted as themselves and never
 * followed, hard links once. Stops with an abort error when `signal` fires.
 */
export async function diskUsage(home: string, signal: AbortSignal): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const pending: Buffer[] = [Buffer.from(home)];
  while (pending.length > 0) {
    signal.throwIfAborted();
    const current = pending.pop() as Buffer;
    const stats = await lstat(current, { bigint: true });
    const identity = `${stats.dev}:${stats.ino}`;
    if (seen.has(identity)) continue;
    seen.add(identity);
    total += Number(stats.blocks) * 512;
    if (!stats.isDirectory()) continue;
    for (const name of await readdir(current, { encoding: "buffer" }))
      pending.push(Buffer.concat([current, Buffer.from("/"), name]));
  }
  return total;
}

const run = promisify(execFile);

/** Where the quota comes from, per `backup.quota.source`; `prepare` runs once per collection. */
export interface QuotaSource {
  /** `signal` ends the preparation early (the exporter is stopping); a command is killed. */
  prepare(now: Date, signal?: AbortSignal): Promise<void>;
  /** Never waits for a du walk: it serves the last measurement and queues a new one when due. */
  quotaFor(account: Account, home: string, now: Date): Promise<{ quota: QuotaState; error?: string }>;
  /** Stops background du walks. */
  close(): void;
}

export function createQuotaSource(config: QuotaConfig, logger: Logger): QuotaSource {
  switch (config.source) {
    case "ldap":
      return {
        prepare: async () => {},
        quotaFor: async (account) => ({ quota: ldapQuota(account) }),
        close: () => {},
      };
    case "repquota":
      return repquotaSource(config, logger);
    case "du":
      return duSource(config, logger);
  }
}

function repquotaSource(config: Extract<QuotaConfig, { source: "repquota" }>, logger: Logger): QuotaSource {
  let usage: Result<Map<string, RepquotaUsage>> = fail("repquota has not run yet");
  const accountOf = new Map(Object.entries(config.users).map(([user, uid]) => [uid, user]));
  return {
    async prepare(_now, signal) {
      usage = await readRepquota(config, signal);
      signal?.throwIfAborted();
      if (!usage.ok)
        logger.error({ reason: usage.error }, "quota from repquota unavailable for this collection");
    },
    async quotaFor(account) {
      if (!usage.ok) return { quota: ldapFallback(account), error: `quota: ${usage.error}` };
      return { quota: repquotaQuota(usage.value.get(accountOf.get(account.uid) ?? account.uid)) };
    },
    close: () => {},
  };
}

/** The directory's sstQuota stays known when repquota fails; usage does not. */
const ldapFallback = (account: Account): QuotaState => quotaState(account.quotaBytes, undefined);

async function readRepquota(
  config: Extract<QuotaConfig, { source: "repquota" }>,
  signal?: AbortSignal,
): Promise<Result<Map<string, RepquotaUsage>>> {
  try {
    if (config.file !== undefined) return parseRepquota(await readFile(config.file, "utf8"));
    const [command, ...args] = config.command ?? [];
    if (command === undefined) return fail("no repquota command configured");
    const { stdout } = await run(command, args, {
      ...(signal ? { signal } : {}),
      timeout: config.timeoutSeconds * 1000,
      maxBuffer: 256 * 1024 * 1024,
      encoding: "utf8",
      shell: false,
    });
    return parseRepquota(stdout);
  } catch (error) {
    const detail = error as NodeJS.ErrnoException & { killed?: boolean; stderr?: string };
    if (detail.killed) return fail(`repquota command timed out after ${config.timeoutSeconds} s`);
    const stderr = typeof detail.stderr === "string" ? detail.stderr.trim().slice(0, 200) : "";
    return fail(
      `cannot read repquota output (${detail.code ?? detail.message}${stderr ? `: ${stderr}` : ""})`,
    );
  }
}

interface DuMeasurement {
  usedBytes?: number;
  error?: string;
  /** The collection time at which this measurement was asked for. */
  measuredAt: number;
}

/**
 * du in the background: walking a home with years of snapshots can take minutes, so collections never wait
 * for it. Homes are walked one at a time (the disks serve the backups first), each at most once per
 * `refreshSeconds` and for at most `timeoutSeconds`; until the first walk of a home ends, its usage is
 * unknown (not 0).
 */
function duSource(config: Extract<QuotaConfig, { source: "du" }>, logger: Logger): QuotaSource {
  const measured = new Map<string, DuMeasurement>();
  const queue = new Map<string, { home: string; askedAt: number }>();
  const stopped = new AbortController();
  let walking = false;

  async function walkQueue(): Promise<void> {
    if (walking) return;
    walking = true;
    try {
      for (
        let next = queue.entries().next();
        !next.done && !stopped.signal.aborted;
        next = queue.entries().next()
      ) {
        const [uid, { home, askedAt }] = next.value;
        const signal = AbortSignal.any([stopped.signal, AbortSignal.timeout(config.timeoutSeconds * 1000)]);
        try {
          measured.set(uid, { usedBytes: await diskUsage(home, signal), measuredAt: askedAt });
        } catch (error) {
          const reason = signal.aborted
            ? `walking ${home} took longer than ${config.timeoutSeconds} s`
            : `cannot walk ${home} (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
          logger.debug({ account: uid, reason }, "du measurement failed");
          // A slow home keeps its last usage: it is measured again after the next interval.
          measured.set(uid, {
            usedBytes: measured.get(uid)?.usedBytes,
            error: `quota: ${reason}`,
            measuredAt: askedAt,
          });
        }
        queue.delete(uid);
      }
    } finally {
      walking = false;
    }
  }

  return {
    prepare: async () => {},
    async quotaFor(account, home, now) {
      const last = measured.get(account.uid);
      if (!last || now.getTime() - last.measuredAt >= config.refreshSeconds * 1000) {
        if (!queue.has(account.uid)) queue.set(account.uid, { home, askedAt: now.getTime() });
        void walkQueue();
      }
      const quota = quotaState(account.quotaBytes, last?.usedBytes);
      return last?.error ? { quota, error: last.error } : { quota };
    },
    close() {
      stopped.abort();
      queue.clear();
    },
  };
}
