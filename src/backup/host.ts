import type { BackupConfig } from "../config/index.js";
import { SharedValues } from "../interned-values.js";
import { parseClientDate } from "./dates.js";
import type { FinishedRun, HostHistory } from "./history.js";
import type { ClientInfo, HostState, RunStatus, Schedule } from "./model.js";
import { detach, parseBackupEnded, parseBackupStarted, parseSchedule, type RunEnded } from "./parse.js";
import type { Result } from "./result.js";
import { countMissed, nextPlanned } from "./schedule.js";
import {
  CLIENT_FILES,
  type ClientFileKind,
  type FileReading,
  type FolderRecall,
  type HostFolder,
} from "./tree.js";
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

/** What an observation needs of one parsed client file; the same shape for the three kinds. */
interface FileFacts {
  mtime: Date;
  id?: string;
  /** The date as written, re-checked against the file's mtime at every collection. */
  dateText?: string;
  success?: boolean;
  schedule?: Schedule;
  client?: ClientInfo;
}

/** One cached client file: its stamp and either the few values read from it or why it was rejected. */
class CachedFile {
  constructor(
    readonly stamp: string,
    /** The file's mtime in milliseconds when it was read (a Date would take three times the memory). */
    readonly mtimeMs: number,
    readonly error: string | undefined,
    readonly id: string | undefined,
    readonly dateText: string | undefined,
    readonly success: boolean | undefined,
    readonly schedule: Schedule | undefined,
    readonly client: ClientInfo | undefined,
  ) {}
}

class CachedHost {
  started: CachedFile | undefined = undefined;
  ended: CachedFile | undefined = undefined;
  scheduler: CachedFile | undefined = undefined;
  /** The metadata folder's stamp when the files were as cached (see rememberFolder). */
  folderStamp: string | undefined = undefined;
  /** The kinds missing then, one bit each in the order of CLIENT_FILES. */
  missing = 0;
  constructor(public generation: number) {}
}

class CachedListing {
  constructor(
    readonly stamp: string,
    readonly entries: string,
    public generation: number,
  ) {}
}

const KINDS = Object.keys(CLIENT_FILES) as ClientFileKind[];

const schedules = new SharedValues<Schedule>(10_000);
const clients = new SharedValues<ClientInfo>(10_000);

/** The observation with its schedule and client replaced by the shared objects of the same value. */
export function shareValues(observation: HostObservation): HostObservation {
  if (observation.schedule) observation.schedule = schedules.share(observation.schedule);
  if (observation.client) observation.client = clients.share(observation.client);
  return observation;
}

type ParsedFile = Partial<RunEnded> & { schedule?: Schedule; client?: ClientInfo };

/**
 * What was read from client files, by account, host and file kind, kept between collections with the
 * file's stamp: the files change once a day, collections run every few minutes, and parsing is the costly
 * part. Only the values an observation needs are kept (no parsed documents, no full dates), one small
 * record per host: at 50,000 accounts this is the reader's largest structure.
 */
export class ParsedFileCache {
  readonly #hosts = new Map<string, CachedHost>();
  readonly #listings = new Map<string, CachedListing>();
  #generation = 0;
  #recalling = true;

  static #key(account: string, host: string): string {
    return `${account}\u0000${host}`;
  }

  /**
   * Start a collection: hosts and listings not seen during the whole previous collection (gone) are
   * dropped. With `recall` false nothing is recalled by folder stamp this time: every file is looked at.
   */
  nextCollection(recall = true): void {
    this.#generation += 1;
    this.#recalling = recall;
    for (const [key, entry] of this.#hosts)
      if (entry.generation < this.#generation - 1) this.#hosts.delete(key);
    for (const [key, entry] of this.#listings)
      if (entry.generation < this.#generation - 1) this.#listings.delete(key);
  }

  /** The recall of one account's folders for the tree reader (see FolderRecall). */
  recallFor(account: string): FolderRecall {
    const listing = this.#listings.get(account);
    return {
      hasListing: this.#recalling && listing !== undefined,
      listing: (stamp) => {
        if (!this.#recalling || listing?.stamp !== stamp) return undefined;
        listing.generation = this.#generation;
        return listing.entries;
      },
      host: (host, stamp) => this.#recallHost(account, host, stamp),
    };
  }

  rememberListing(account: string, stamp: string, entries: string): void {
    this.#listings.set(detach(account), new CachedListing(stamp, detach(entries), this.#generation));
  }

  #recallHost(account: string, host: string, stamp: string): Record<ClientFileKind, FileReading> | undefined {
    if (!this.#recalling) return undefined;
    const entry = this.#hosts.get(ParsedFileCache.#key(account, host));
    if (entry?.folderStamp !== stamp) return undefined;
    entry.generation = this.#generation;
    const files = {} as Record<ClientFileKind, FileReading>;
    for (const [bit, kind] of KINDS.entries()) {
      const file = entry[kind];
      if (entry.missing & (1 << bit)) files[kind] = { kind: "missing" };
      else if (file) files[kind] = { kind: "unchanged", mtime: new Date(file.mtimeMs), stamp: file.stamp };
      else return undefined;
    }
    return files;
  }

  /**
   * After a host was observed: its metadata folder had `folderStamp` when its files were read as `files`.
   * Remembered only when every file is missing or cached with the stamp it was read with (not when a file
   * could not be read, or its parse result was not kept).
   */
  rememberFolder(account: string, folder: HostFolder): void {
    const entry = this.#hosts.get(ParsedFileCache.#key(account, folder.host));
    if (!entry || folder.folderStamp === undefined || entry.folderStamp === folder.folderStamp) return;
    let missing = 0;
    for (const [bit, kind] of KINDS.entries()) {
      const reading = folder.files[kind];
      if (reading.kind === "missing") missing |= 1 << bit;
      else if (reading.kind === "error" || entry[kind]?.stamp !== reading.stamp) {
        entry.folderStamp = undefined;
        return;
      }
    }
    entry.missing = missing;
    entry.folderStamp = folder.folderStamp;
  }

  knows(account: string, host: string, kind: ClientFileKind, stamp: string): boolean {
    const entry = this.#hosts.get(ParsedFileCache.#key(account, host));
    if (entry?.[kind]?.stamp !== stamp) return false;
    entry.generation = this.#generation;
    return true;
  }

  /** Whether a parse result of this host's file is held, whatever its stamp. */
  holds(account: string, host: string, kind: ClientFileKind): boolean {
    return this.#hosts.get(ParsedFileCache.#key(account, host))?.[kind] !== undefined;
  }

  get(account: string, host: string, kind: ClientFileKind, stamp: string): CachedFile | undefined {
    const file = this.#hosts.get(ParsedFileCache.#key(account, host))?.[kind];
    return file?.stamp === stamp ? file : undefined;
  }

  set(
    account: string,
    host: string,
    kind: ClientFileKind,
    stamp: string,
    mtime: Date,
    result: Result<ParsedFile>,
  ): CachedFile {
    const key = ParsedFileCache.#key(account, host);
    let entry = this.#hosts.get(key);
    if (!entry) {
      entry = new CachedHost(this.#generation);
      // Keys are built by concatenation (a tree of heap objects in V8): kept flat. Stamps are flat already.
      this.#hosts.set(detach(key), entry);
    }
    entry.generation = this.#generation;
    const value = result.ok ? result.value : undefined;
    const file = new CachedFile(
      stamp,
      mtime.getTime(),
      result.ok ? undefined : result.error,
      value?.id,
      value?.dateText,
      value?.success,
      value?.schedule && schedules.share(value.schedule),
      value?.client && clients.share(value.client),
    );
    entry[kind] = file;
    return file;
  }

  /** Hosts held. */
  get size(): number {
    return this.#hosts.size;
  }
}

/** Where an observation keeps and finds parse results of unchanged files. */
export interface ParseContext {
  account: string;
  cache: ParsedFileCache;
}

const PARSERS: Record<ClientFileKind, (text: string) => Result<ParsedFile>> = {
  started: parseBackupStarted,
  ended: parseBackupEnded,
  scheduler: parseSchedule,
};

function readFacts(
  folder: HostFolder,
  kind: ClientFileKind,
  errors: string[],
  context: ParseContext | undefined,
): FileFacts | undefined {
  const reading = folder.files[kind];
  const name = CLIENT_FILES[kind];
  if (reading.kind === "missing") return undefined;
  if (reading.kind === "error") {
    errors.push(reading.error);
    return undefined;
  }
  let file: CachedFile | ParsedFile;
  let mtime: Date;
  if (reading.kind === "unchanged") {
    const cached = context?.cache.get(context.account, folder.host, kind, reading.stamp);
    mtime = reading.mtime;
    if (!cached) {
      errors.push(`${name} changed while being read; it is read again at the next collection`);
      return undefined;
    }
    if (cached.error !== undefined) {
      errors.push(`${name}: ${cached.error}`);
      return undefined;
    }
    file = cached;
  } else {
    const result = PARSERS[kind](reading.file.text);
    mtime = reading.file.mtime;
    if (context) context.cache.set(context.account, folder.host, kind, reading.stamp, mtime, result);
    if (!result.ok) {
      errors.push(`${name}: ${result.error}`);
      return undefined;
    }
    file = result.value;
  }
  const facts: FileFacts = { mtime };
  if (file.id !== undefined) facts.id = file.id;
  if (file.dateText !== undefined) facts.dateText = file.dateText;
  if (file.success !== undefined) facts.success = file.success;
  if (file.schedule !== undefined) facts.schedule = file.schedule;
  if (file.client !== undefined) facts.client = file.client;
  return facts;
}

/** Read a host's three files into an observation, checking client dates against the files' mtimes. */
export function observeHost(
  folder: HostFolder,
  now: Date,
  rules: Pick<HostRules, "clockSkewToleranceSeconds">,
  context?: ParseContext,
): HostObservation {
  const errors: string[] = [];
  const started = readFacts(folder, "started", errors, context);
  const ended = readFacts(folder, "ended", errors, context);
  const scheduler = readFacts(folder, "scheduler", errors, context);
  let clockSkewed = false;
  const checkedDate = (facts: FileFacts) => {
    const text = facts.dateText ?? "";
    const checked = parseClientDate(text, facts.mtime, {
      now,
      toleranceSeconds: rules.clockSkewToleranceSeconds,
    });
    if (checked.ok) {
      clockSkewed ||= checked.value.clockSkewed;
      return checked.value.at;
    }
    // The text parsed when the file was read; only the check against the mtime can have failed.
    const unchecked = parseClientDate(text);
    return unchecked.ok ? unchecked.value.at : facts.mtime;
  };
  const observation: HostObservation = { host: folder.host, clockSkewed: false, errors };
  if (started) observation.lastStart = { at: checkedDate(started), id: started.id ?? "" };
  if (ended) {
    const at = checkedDate(ended);
    const success = ended.success === true;
    observation.lastEnd = { at, id: ended.id ?? "", success };
    // The date as written, not the corrected instant: a skewed host's run must not count again when its
    // file's mtime changes.
    observation.finishedRun = { key: `${ended.id}@${ended.dateText}`, success, endedAt: at };
  }
  if (scheduler?.schedule) observation.schedule = scheduler.schedule;
  const newest = [ended, started, scheduler]
    .filter((facts) => facts?.client !== undefined)
    .sort((a, b) => (b?.mtime.getTime() ?? 0) - (a?.mtime.getTime() ?? 0))[0];
  if (newest?.client) observation.client = newest.client;
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
    successfulRuns: history.successfulRuns,
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
