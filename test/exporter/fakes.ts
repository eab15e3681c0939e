import type { AccountState, HostState } from "../../src/backup/model.js";
import type { Account, Reseller } from "../../src/directory/model.js";
import type { AccountDirectory, AccountStateReader, SettingsResolver } from "../../src/exporter/index.js";

export { account } from "../support/accounts.js";

/** In-memory stand-ins for the directory and the backup reader, for collector and renderer unit tests only. */

export const host = (name: string, extra: Partial<HostState> = {}): HostState => ({
  host: name,
  status: "never",
  consecutiveFailures: 0,
  successfulRuns: 0,
  missedSchedules: 0,
  clientOutdated: false,
  clockSkewed: false,
  errors: [],
  ...extra,
});

export class FakeDirectory implements AccountDirectory {
  accounts: Account[] = [];
  resellers = new Map<string, Reseller>();
  unreachable = false;
  listCalls = 0;
  resellerRequests: string[][] = [];
  /** Accounts per page of eachAccountPage. */
  pageSize = 500;

  async listAccounts(): Promise<Account[]> {
    this.listCalls++;
    if (this.unreachable) throw new Error("connect ECONNREFUSED 127.0.0.1:389");
    // A macrotask, so overlapping collections would be visible.
    await new Promise((resolve) => setTimeout(resolve, 5));
    return this.accounts;
  }

  async eachAccountPage(onPage: (accounts: Account[]) => Promise<void>): Promise<void> {
    const accounts = await this.listAccounts();
    for (let i = 0; i < accounts.length; i += this.pageSize)
      await onPage(accounts.slice(i, i + this.pageSize));
  }

  async getResellers(uids: readonly string[]): Promise<Map<string, Reseller>> {
    this.resellerRequests.push([...uids]);
    const found = new Map<string, Reseller>();
    for (const uid of uids) {
      const reseller = this.resellers.get(uid);
      if (reseller) found.set(uid, reseller);
    }
    return found;
  }
}

export class FakeReader implements AccountStateReader {
  states = new Map<string, Omit<AccountState, "account">>();
  /** Accounts whose read rejects (the contract says it never does; the collector must survive it anyway). */
  rejecting = new Set<string>();
  inFlight = 0;
  maxInFlight = 0;
  prepared: Date[] = [];
  /** Accounts whose read has started. */
  started = 0;
  /** How long each read takes. */
  readMs = 1;

  async prepareCollection(now: Date): Promise<void> {
    this.prepared.push(now);
  }

  async readAccount(account: Account): Promise<AccountState> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.started++;
    await new Promise((resolve) => setTimeout(resolve, this.readMs));
    this.inFlight--;
    if (this.rejecting.has(account.uid)) throw new Error("EIO: i/o error");
    const state = this.states.get(account.uid) ?? { hosts: [], quota: {}, neverUsed: true, errors: [] };
    return { account, ...state };
  }
}

/** Account value, else the first reseller's, else 85/1/1/1 and warnings on: enough to see the chain used. */
export const settings: SettingsResolver = (account, resellers) => {
  const pick = <K extends keyof Account["settings"]>(
    key: K,
    fallback: NonNullable<Account["settings"][K]>,
  ) => ({
    value:
      account.settings[key] ??
      resellers.find((r) => r.settings[key] !== undefined)?.settings[key] ??
      fallback,
  });
  return {
    warnings: pick("warnings", true),
    quotaWarningPercent: pick("quotaWarningPercent", 85),
    missedBackupsThreshold: pick("missedBackupsThreshold", 1),
    missedDaysThreshold: pick("missedDaysThreshold", 1),
    failuresThreshold: pick("failuresThreshold", 1),
    quotaFullDays: pick("quotaFullDays", 14),
  };
};
