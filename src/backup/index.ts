/** Backup state: what the clients upload, schedules, missed and failed runs, quota and history. */

export type { ClientDate, ClientDateCheck, OffsetCorrection } from "./dates.js";
export { parseClientDate, parseUtcOffset } from "./dates.js";
export type { AccountState, ClientInfo, HostState, QuotaState, RunStatus, Schedule } from "./model.js";
export type { RunEnded, RunStarted, ScheduleFile } from "./parse.js";
export { parseBackupEnded, parseBackupStarted, parseSchedule } from "./parse.js";
export type { RepquotaUsage } from "./quota.js";
export { parseRepquota } from "./quota.js";
export type { BackupReader } from "./reader.js";
export { createBackupReader, homeOf, rewriteHome } from "./reader.js";
export type { Result } from "./result.js";
export { countMissed, nextPlanned, plannedTimes } from "./schedule.js";
export { hostLabel } from "./tree.js";
export { compareVersions, isClientOutdated } from "./version.js";
