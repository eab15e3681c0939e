import type { BackupConfig } from "../config/index.js";
import { parseClientDate } from "./dates.js";
import type { FinishedRun, HostHistory } from "./history.js";
import type { ClientInfo, HostState, RunStatus, Schedule } from "./model.js";
import { parseBackupEnded, parseBackupStarted, parseSchedule, type RunStarted } from "./parse.js";
import type { Result } from "./result.js";
import { countMissed, nextPlanned } from "./schedule.js";
import { CLIENT_FILES, type ClientFileKind, type HostFolder } from "./tree.js";
import { isClientOutdated } from "./version.js";

/** What one host's client files say, after parsing and date checks; pure, no history yet. */
export interface HostObservation {
  host: string;
  lastStart?: { at: Date; id: string };
  lastEnd?: { at: Date; id: string; success: boolean };
  /** The finished run as the history counts it. */
  finishedRun?: FinishedRun;
  schedule?: Schedule;
  client?: ClientInfo;
  clockSkewed: boolean;
  errors: string[];
}

export type HostRules = Pick<
  BackupConfig,
  "clockSkewToleranceSeconds" | "maxRunSeconds" | "graceSeconds" | "missedCap" | "minimumClientVersions"
>;

interface Parsed<T> {
  value: T;
  mtime: Date;
}

/**
 * Parse results of client files by account, host, file kind and file stamp, kept between collections: the
 * files change once a day, collections run every few minutes, and parsing is the costly part.
 */
export class ParsedFileCache {
  readonly #entries = new Map<string, { stamp: string; result: Result<unknown>; generation: number }>();
  #generation = 0;

  static key(account: string, host: string, kind: ClientFileKind): string {
    return `${account}\u0000${host}\u0000${kind}`;
  }

  /** Start a collection: entries not used during the whole previous collection (hosts gone) are dropped. */
  nextCollection(): void {
    this.#generation += 1;
    for (const [key, entry] of this.#entries)
      if (entry.generation < this.#generation - 1) this.#entries.delete(key);
  }

  knows(key: string, stamp: string): boolean {
    const entry = this.#entries.get(key);
    if (entry?.stamp !== stamp) return false;
    entry.generation = this.#generation;
    return true;
  }

  get(key: string, stamp: string): Result<unknown> | undefined {
    const entry = this.#entries.get(key);
    return entry?.stamp === stamp ? entry.result : undefined;
  }

  set(key: string, stamp: string, result: Result<unknown>): void {
    this.#entries.set(key, { stamp, result, generation: this.#generation });
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** Where an observation keeps and finds parse results of unchanged files. */
export interface ParseContext {
  account: string;
  cache: ParsedFileCache;
}

function parseFile<T>(
  folder: HostFolder,
  kind: ClientFileKind,
  parse: (text: string) => Result<T>,
  errors: string[],
  context: ParseContext | undefined,
): Parsed<T> | undefined {
  const reading = folder.files[kind];
  const name = CLIENT_FILES[kind];
  if (reading.kind === "missing") return undefined;
  if (reading.kind === "error") {
    errors.push(reading.error);
    return undefined;
  }
  const key = context ? ParsedFileCache.key(context.account, folder.host, kind) : "";
  let result: Result<T> | undefined;
  let mtime: Date;
  if (reading.kind === "unchanged") {
    result = context?.cache.get(key, reading.stamp) as Result<T> | undefined;
    mtime = reading.mtime;
    if (!result) {
      errors.push(`${name} changed while being read; it is read again at the next collection`);
      return undefined;
    }
  } else {
    result = parse(reading.file.text);
    mtime = reading.file.mtime;
    context?.cache.set(key, reading.stamp, result);
  }
  if (!result.ok) {
    errors.push(`${name}: ${result.error}`);
    return undefined;
  }
  return { value: result.value, mtime };
}

/** Read a host's three files into an observation, checking client dates against the files' mtimes. */
export function observeHost(
  folder: HostFolder,
  now: Date,
  rules: HostRules,
  context?: ParseContext,
): HostObservation {
  const errors: string[] = [];
  const started = parseFile(folder, "started", parseBackupStarted, errors, context);
  const ended = parseFile(folder, "ended", parseBackupEnded, errors, context);
  const scheduler = parseFile(folder, "scheduler", parseSchedule, errors, context);
  let clockSkewed = false;
  const checkedDate = (parsed: Parsed<RunStarted>) => {
    const checked = parseClientDate(parsed.value.dateText, parsed.mtime, {
      now,
      toleranceSeconds: rules.clockSkewToleranceSeconds,
    });
    const date = checked.ok ? checked.value : parsed.value.date;
    clockSkewed ||= date.clockSkewed;
    return date.at;
  };
  const observation: HostObservation = { host: folder.host, clockSkewed: false, errors };
  if (started) observation.lastStart = { at: checkedDate(started), id: started.value.id };
  if (ended) {
    const at = checkedDate(ended);
    observation.lastEnd = { at, id: ended.value.id, success: ended.value.success };
    // The date as written, not the corrected instant: a skewed host's run must not count again when its
    // file's mtime changes.
    observation.finishedRun = {
      key: `${ended.value.id}@${ended.value.dateText}`,
      success: ended.value.success,
      endedAt: at,
    };
  }
  if (scheduler) observation.schedule = scheduler.value.schedule;
  const newest = [ended, started, scheduler]
    .filter((parsed) => parsed?.value.client !== undefined)
    .sort((a, b) => (b?.mtime.getTime() ?? 0) - (a?.mtime.getTime() ?? 0))[0];
  if (newest?.value.client) observation.client = newest.value.client;
  observation.clockSkewed = clockSkewed;
  return observation;
}

/**
 * The run status from the two files: an end that belongs to the last start (same id, or not older) decides
 * success or failure; a start without a matching end is running, or interrupted once older than maxRunSeconds.
 */
export function runStatus(
  lastStart: HostObservation["lastStart"],
  lastEnd: HostObservation["lastEnd"],
  now: Date,
  maxRunSeconds: number,
): RunStatus {
  if (
    lastEnd &&
    (!lastStart || lastStart.id === lastEnd.id || lastStart.at.getTime() <= lastEnd.at.getTime())
  )
    return lastEnd.success ? "success" : "failed";
  if (!lastStart) return "never";
  return now.getTime() - lastStart.at.getTime() > maxRunSeconds * 1000 ? "interrupted" : "running";
}

/** Combine an observation with the host's history into the state the exporter publishes. */
export function hostState(
  observation: HostObservation,
  history: HostHistory,
  now: Date,
  rules: HostRules,
  directoryLastSuccess?: Date,
): HostState {
  const { lastStart, lastEnd, schedule, client } = observation;
  // Missed runs count from the last run's start (an end of another run than the last start is newer than
  // that start: its run started in between); a host that never ran counts from when it was first seen.
  const endOfOtherRun = lastEnd && lastEnd.id !== lastStart?.id ? lastEnd.at : undefined;
  const since = latest(lastStart?.at, endOfOtherRun) ?? history.firstSeen;
  const lastSuccess = history.lastSuccess ?? directoryLastSuccess;
  const next = schedule ? nextPlanned(schedule, now) : undefined;
  // Optional fields are assigned, not spread: this runs for every host at every collection.
  const state: HostState = {
    host: observation.host,
    status: runStatus(lastStart, lastEnd, now, rules.maxRunSeconds),
    consecutiveFailures: history.consecutiveFailures,
    missedSchedules: schedule ? countMissed(schedule, since, now, rules.graceSeconds, rules.missedCap) : 0,
    clientOutdated: isClientOutdated(client, rules.minimumClientVersions),
    clockSkewed: observation.clockSkewed,
    errors: observation.errors,
  };
  if (client) state.client = client;
  if (lastStart) state.lastStart = lastStart;
  if (lastEnd) state.lastEnd = lastEnd;
  if (lastSuccess) state.lastSuccess = lastSuccess;
  if (schedule) state.schedule = schedule;
  if (next) state.nextSchedule = next;
  return state;
}

const latest = (...dates: (Date | undefined)[]): Date | undefined =>
  dates.reduce<Date | undefined>((a, b) => (b && (!a || b.getTime() > a.getTime()) ? b : a), undefined);
