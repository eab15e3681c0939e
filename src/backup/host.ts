import type { BackupConfig } from "../config/index.js";
import { parseClientDate } from "./dates.js";
import type { FinishedRun, HostHistory } from "./history.js";
import type { ClientInfo, HostState, RunStatus, Schedule } from "./model.js";
import { parseBackupEnded, parseBackupStarted, parseSchedule, type RunStarted } from "./parse.js";
import { countMissed, nextPlanned } from "./schedule.js";
import type { ClientFile, FileReading, HostFolder } from "./tree.js";
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
  file: ClientFile;
}

function parseFile<T>(
  reading: FileReading,
  name: string,
  parse: (text: string) => { ok: true; value: T } | { ok: false; error: string },
  errors: string[],
): Parsed<T> | undefined {
  if (reading.kind === "missing") return undefined;
  if (reading.kind === "error") {
    errors.push(reading.error);
    return undefined;
  }
  const result = parse(reading.file.text);
  if (!result.ok) {
    errors.push(`${name}: ${result.error}`);
    return undefined;
  }
  return { value: result.value, file: reading.file };
}

/** Read a host's three files into an observation, checking client dates against the files' mtimes. */
export function observeHost(folder: HostFolder, now: Date, rules: HostRules): HostObservation {
  const errors: string[] = [];
  const started = parseFile(folder.files.started, "backupStarted.xml", parseBackupStarted, errors);
  const ended = parseFile(folder.files.ended, "backupEnded.xml", parseBackupEnded, errors);
  const scheduler = parseFile(folder.files.scheduler, "scheduler.xml", parseSchedule, errors);
  let clockSkewed = false;
  const checkedDate = (parsed: Parsed<RunStarted>) => {
    const checked = parseClientDate(parsed.value.dateText, parsed.file.mtime, {
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
    .sort((a, b) => (b?.file.mtime.getTime() ?? 0) - (a?.file.mtime.getTime() ?? 0))[0];
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
  // Missed runs count from the last run; a host that never ran counts from when the monitor first saw it.
  const since = lastStart?.at ?? lastEnd?.at ?? history.firstSeen;
  const lastSuccess = history.lastSuccess ?? directoryLastSuccess;
  const next = schedule ? nextPlanned(schedule, now) : undefined;
  return {
    host: observation.host,
    ...(client ? { client } : {}),
    ...(lastStart ? { lastStart } : {}),
    ...(lastEnd ? { lastEnd } : {}),
    status: runStatus(lastStart, lastEnd, now, rules.maxRunSeconds),
    ...(lastSuccess ? { lastSuccess } : {}),
    consecutiveFailures: history.consecutiveFailures,
    ...(schedule ? { schedule } : {}),
    missedSchedules: schedule ? countMissed(schedule, since, now, rules.graceSeconds, rules.missedCap) : 0,
    ...(next ? { nextSchedule: next } : {}),
    clientOutdated: isClientOutdated(client, rules.minimumClientVersions),
    clockSkewed: observation.clockSkewed,
    errors: observation.errors,
  };
}
