import type { Account } from "../directory/model.js";

/** The client program that wrote a metadata file. */
export interface ClientInfo {
  identifier: string;
  version: string;
  operatingSystem: string;
}

export type RunStatus = "success" | "failed" | "running" | "interrupted" | "never";

export type Schedule =
  | { type: "none" }
  | { type: "after_startup"; minutesAfterStartup: number }
  | {
      type: "custom";
      minute: number;
      hour: number;
      /** ISO weekdays 1 = Monday … 7 = Sunday; all seven for every day. */
      weekdays: number[];
      /** Fixed offset in minutes east of UTC, as written (does not follow daylight saving time). */
      utcOffsetMinutes: number;
    };

export interface HostState {
  /** Folder name below incoming/, as raw as it came (may hold any bytes, decoded lossily). */
  host: string;
  client?: ClientInfo;
  lastStart?: { at: Date; id: string };
  lastEnd?: { at: Date; id: string; success: boolean };
  status: RunStatus;
  /** Last success from the history (survives failed runs overwriting backupEnded.xml) or the directory. */
  lastSuccess?: Date;
  consecutiveFailures: number;
  /** Successful runs since the monitor first saw the host (a counter). */
  successfulRuns: number;
  schedule?: Schedule;
  missedSchedules: number;
  nextSchedule?: Date;
  clientOutdated: boolean;
  clockSkewed: boolean;
  /** Unreadable or invalid client files, with reasons, at this collection. */
  errors: string[];
}

export interface QuotaState {
  quotaBytes?: number;
  usedBytes?: number;
  /** used / quota, only where the quota is known and above zero. */
  ratio?: number;
}

/** Everything the exporter publishes about one account. */
export interface AccountState {
  account: Account;
  hosts: HostState[];
  quota: QuotaState;
  neverUsed: boolean;
  /** Problems with the account as a whole (home missing, timeout, too many hosts). */
  errors: string[];
  /** Its home is not on this server (backup.onlyAccountsWithHome): another server's account, not exported. */
  elsewhere?: true;
}
