import type { BackupConfig } from "../config/index.js";
import { SharedValues } from "../interned-values.js";
import { parseClientDate } from "./dates.js";
import type { FinishedRun, HostHistory } from "./history.js";
import type { ClientInfo, HostState, RunStatus, Schedule } from "./model.js";
import {
  detach,
  parseBackupEnded,
  parseBackupStarted,
  parsedOncePerText,
  parseSchedule,
  type RunEnded,
} from "./parse.js";
import { fail, ok, type Result } from "./result.js";
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

const KINDS = Object.keys(CLIENT_FILES) as ClientFileKind[];
const FILES = KINDS.length;

/** Flags of a host's slot, one bit per file kind at each offset; the last bit: the folder stamp is held. */
const HELD = 0;
const MISSING = FILES;
const REJECTED = 2 * FILES;
const SUCCESS_KNOWN = 3 * FILES;
const SUCCESS = 4 * FILES;
const FOLDER_HELD = 1 << (5 * FILES);
const MISSING_MASK = ((1 << FILES) - 1) << MISSING;

/** Stamps are four UTF-16 code units (a 64-bit hash, see tree.ts), kept as two 32-bit words. */
const STAMP_WORDS = 2;
const highWord = (stamp: string) => ((stamp.charCodeAt(0) << 16) | stamp.charCodeAt(1)) >>> 0;
const lowWord = (stamp: string) => ((stamp.charCodeAt(2) << 16) | stamp.charCodeAt(3)) >>> 0;
const stampOfWords = (high: number, low: number) =>
  String.fromCharCode(high >>> 16, high & 0xffff, low >>> 16, low & 0xffff);
/** Where a slot's stamp `index` (a file kind, or FILES for the folder) starts in the stamp column. */
const stampOffset = (slot: number, index: number) => (slot * (FILES + 1) + index) * STAMP_WORDS;

class CachedListing {
  constructor(
    readonly stamp: string,
    readonly entries: string,
    public generation: number,
  ) {}
}

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
 * part. Only the values an observation needs are kept (no parsed documents, no full dates). It is the
 * reader's largest structure, so a host is a slot in columns rather than objects: the numbers in typed
 * arrays, the few strings and shared values in arrays. An object per file took 0.7 KB per host; this
 * takes about 0.3.
 */
export class ParsedFileCache {
  readonly #slots = new Map<string, number>();
  readonly #freeSlots: number[] = [];
  #slotsInUse = 0;
  #capacity = 0;
  #generations = new Uint32Array(0);
  #flags = new Uint16Array(0);
  /** Per slot the stamps of the three files, then the metadata folder's (see rememberFolder). */
  #stamps = new Uint32Array(0);
  #mtimes = new Float64Array(0);
  /** Per file: its id and date as written, joined by NUL (neither can hold one); or why it was rejected. */
  readonly #texts: (string | undefined)[] = [];
  readonly #clients: (ClientInfo | undefined)[] = [];
  readonly #schedules: (Schedule | undefined)[] = [];
  readonly #listings = new Map<string, CachedListing>();
  #generation = 0;
  #recalling = true;

  static #key(account: string, host: string): string {
    return `${account}\u0000${host}`;
  }

  static #checked(stamp: string): string {
    if (stamp.length !== 4)
      throw new TypeError(`a stamp is four code units (see tree.ts), not ${stamp.length}`);
    return stamp;
  }

  /**
   * Start a collection: hosts and listings not seen during the whole previous collection (gone) are
   * dropped. With `recall` false nothing is recalled by folder stamp this time: every file is looked at.
   */
  nextCollection(recall = true): void {
    this.#generation += 1;
    this.#recalling = recall;
    for (const [key, slot] of this.#slots)
      if ((this.#generations[slot] as number) < this.#generation - 1) {
        this.#slots.delete(key);
        this.#release(slot);
      }
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

  #holdsStamp(slot: number, index: number, stamp: string): boolean {
    const at = stampOffset(slot, index);
    return this.#stamps[at] === highWord(stamp) && this.#stamps[at + 1] === lowWord(stamp);
  }

  #setStamp(slot: number, index: number, stamp: string): void {
    const at = stampOffset(slot, index);
    this.#stamps[at] = highWord(stamp);
    this.#stamps[at + 1] = lowWord(stamp);
  }

  #stampAt(slot: number, index: number): string {
    const at = stampOffset(slot, index);
    return stampOfWords(this.#stamps[at] as number, this.#stamps[at + 1] as number);
  }

  /** The slot of a host whose file `kind` is held with `stamp`. */
  #slotHolding(account: string, host: string, kind: ClientFileKind, stamp: string): number | undefined {
    ParsedFileCache.#checked(stamp);
    const slot = this.#slots.get(ParsedFileCache.#key(account, host));
    if (slot === undefined) return undefined;
    const k = KINDS.indexOf(kind);
    const held = ((this.#flags[slot] as number) & (1 << (HELD + k))) !== 0;
    return held && this.#holdsStamp(slot, k, stamp) ? slot : undefined;
  }

  #recallHost(account: string, host: string, stamp: string): Record<ClientFileKind, FileReading> | undefined {
    if (!this.#recalling) return undefined;
    const slot = this.#slots.get(ParsedFileCache.#key(account, host));
    if (slot === undefined) return undefined;
    const flags = this.#flags[slot] as number;
    if (!(flags & FOLDER_HELD) || !this.#holdsStamp(slot, FILES, ParsedFileCache.#checked(stamp)))
      return undefined;
    this.#generations[slot] = this.#generation;
    const files = {} as Record<ClientFileKind, FileReading>;
    for (const [k, kind] of KINDS.entries()) {
      if (flags & (1 << (MISSING + k))) files[kind] = { kind: "missing" };
      else if (flags & (1 << (HELD + k)))
        files[kind] = {
          kind: "unchanged",
          mtime: new Date(this.#mtimes[slot * FILES + k] as number),
          stamp: this.#stampAt(slot, k),
        };
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
    const slot = this.#slots.get(ParsedFileCache.#key(account, folder.host));
    if (slot === undefined || folder.folderStamp === undefined) return;
    const folderStamp = ParsedFileCache.#checked(folder.folderStamp);
    let flags = this.#flags[slot] as number;
    if (flags & FOLDER_HELD && this.#holdsStamp(slot, FILES, folderStamp)) return;
    let missing = 0;
    for (const [k, kind] of KINDS.entries()) {
      const reading = folder.files[kind];
      if (reading.kind === "missing") missing |= 1 << (MISSING + k);
      else if (
        reading.kind === "error" ||
        !(flags & (1 << (HELD + k))) ||
        !this.#holdsStamp(slot, k, ParsedFileCache.#checked(reading.stamp))
      ) {
        this.#flags[slot] = flags & ~FOLDER_HELD;
        return;
      }
    }
    flags = (flags & ~MISSING_MASK) | missing | FOLDER_HELD;
    this.#flags[slot] = flags;
    this.#setStamp(slot, FILES, folderStamp);
  }

  knows(account: string, host: string, kind: ClientFileKind, stamp: string): boolean {
    const slot = this.#slotHolding(account, host, kind, stamp);
    if (slot === undefined) return false;
    this.#generations[slot] = this.#generation;
    return true;
  }

  /** Whether a parse result of this host's file is held, whatever its stamp. */
  holds(account: string, host: string, kind: ClientFileKind): boolean {
    const slot = this.#slots.get(ParsedFileCache.#key(account, host));
    return slot !== undefined && ((this.#flags[slot] as number) & (1 << (HELD + KINDS.indexOf(kind)))) !== 0;
  }

  /** The parse result kept for this host's file with this stamp (its values, or why it was rejected). */
  get(account: string, host: string, kind: ClientFileKind, stamp: string): Result<ParsedFile> | undefined {
    const slot = this.#slotHolding(account, host, kind, stamp);
    if (slot === undefined) return undefined;
    const k = KINDS.indexOf(kind);
    const file = slot * FILES + k;
    const flags = this.#flags[slot] as number;
    const text = this.#texts[file];
    if (flags & (1 << (REJECTED + k))) return fail(text ?? "");
    const parsed: ParsedFile = {};
    if (text !== undefined) {
      const cut = text.indexOf("\u0000");
      parsed.id = text.slice(0, cut);
      parsed.dateText = text.slice(cut + 1);
    }
    if (flags & (1 << (SUCCESS_KNOWN + k))) parsed.success = (flags & (1 << (SUCCESS + k))) !== 0;
    const schedule = this.#schedules[file];
    if (schedule) parsed.schedule = schedule;
    const client = this.#clients[file];
    if (client) parsed.client = client;
    return ok(parsed);
  }

  set(
    account: string,
    host: string,
    kind: ClientFileKind,
    stamp: string,
    mtime: Date,
    result: Result<ParsedFile>,
  ): void {
    const key = ParsedFileCache.#key(account, host);
    let slot = this.#slots.get(key);
    if (slot === undefined) {
      slot = this.#allocate();
      // Keys are built by concatenation (a tree of heap objects in V8): kept flat.
      this.#slots.set(detach(key), slot);
    }
    this.#generations[slot] = this.#generation;
    const k = KINDS.indexOf(kind);
    const file = slot * FILES + k;
    this.#setStamp(slot, k, ParsedFileCache.#checked(stamp));
    this.#mtimes[file] = mtime.getTime();
    const ownBits = (1 << (REJECTED + k)) | (1 << (SUCCESS_KNOWN + k)) | (1 << (SUCCESS + k));
    let flags = ((this.#flags[slot] as number) & ~ownBits) | (1 << (HELD + k));
    const value = result.ok ? result.value : undefined;
    if (!result.ok) flags |= 1 << (REJECTED + k);
    if (value?.success !== undefined)
      flags |= (1 << (SUCCESS_KNOWN + k)) | (value.success ? 1 << (SUCCESS + k) : 0);
    this.#flags[slot] = flags;
    if (!result.ok) this.#texts[file] = detach(result.error);
    else if (value?.id !== undefined && value.dateText !== undefined)
      this.#texts[file] = detach(`${value.id}\u0000${value.dateText}`);
    else this.#texts[file] = undefined;
    this.#schedules[file] = value?.schedule && schedules.share(value.schedule);
    this.#clients[file] = value?.client && clients.share(value.client);
  }

  /** Hosts held. */
  get size(): number {
    return this.#slots.size;
  }

  #allocate(): number {
    const free = this.#freeSlots.pop();
    if (free !== undefined) return free;
    const slot = this.#slotsInUse++;
    if (slot >= this.#capacity) this.#grow(Math.max(1024, this.#capacity * 2));
    return slot;
  }

  #grow(capacity: number): void {
    const grown = <T extends Uint16Array | Uint32Array | Float64Array>(from: T, to: T) => {
      to.set(from);
      return to;
    };
    this.#generations = grown(this.#generations, new Uint32Array(capacity));
    this.#flags = grown(this.#flags, new Uint16Array(capacity));
    this.#stamps = grown(this.#stamps, new Uint32Array(stampOffset(capacity, 0)));
    this.#mtimes = grown(this.#mtimes, new Float64Array(capacity * FILES));
    for (const column of [this.#texts, this.#clients, this.#schedules])
      while (column.length < capacity * FILES) column.push(undefined);
    this.#capacity = capacity;
  }

  #release(slot: number): void {
    this.#flags[slot] = 0;
    for (let file = slot * FILES; file < (slot + 1) * FILES; file++) {
      this.#texts[file] = undefined;
      this.#clients[file] = undefined;
      this.#schedules[file] = undefined;
    }
    this.#freeSlots.push(slot);
  }
}

/** Where an observation keeps and finds parse results of unchanged files. */
export interface ParseContext {
  account: string;
  cache: ParsedFileCache;
}

// Scheduler files repeat from host to host as they are; run files repeat but for their values (see parse.ts).
const PARSERS: Record<ClientFileKind, (text: string) => Result<ParsedFile>> = {
  started: parseBackupStarted,
  ended: parseBackupEnded,
  scheduler: parsedOncePerText(parseSchedule, 2048),
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
  let result: Result<ParsedFile>;
  let mtime: Date;
  if (reading.kind === "unchanged") {
    const cached = context?.cache.get(context.account, folder.host, kind, reading.stamp);
    mtime = reading.mtime;
    if (!cached) {
      errors.push(`${name} changed while being read; it is read again at the next collection`);
      return undefined;
    }
    result = cached;
  } else {
    result = PARSERS[kind](reading.file.text);
    mtime = reading.file.mtime;
    if (context) context.cache.set(context.account, folder.host, kind, reading.stamp, mtime, result);
  }
  if (!result.ok) {
    errors.push(`${name}: ${result.error}`);
    return undefined;
  }
  const file = result.value;
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
