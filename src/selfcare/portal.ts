import { createHash, randomBytes } from "node:crypto";
import type { HistoryRow } from "../bridge/index.js";
import type { Config } from "../config/index.js";
import { type AccountRecipients, type Directory, lookUpAccounts } from "../directory/index.js";
import type { AccountStatus, AccountStatusSource } from "../exporter/index.js";
import { DAY_MS, dayOf, type JournalReader, type JournalRun, type UsageDay } from "../journal/index.js";
import type { Logger } from "../log.js";
import { type Grant, type LoginFailure, PortalAccess, pageLanguage, type Scope } from "./access.js";
import type { EntrySource } from "./directory.js";
import { newSettingsEntry, planSettingsChange, type SettingValues } from "./settings.js";
import type { Silences } from "./silences.js";
import type { AuditEntry, Pause, SelfcareStore, Session } from "./store.js";

/** What the portal needs around it; each part is replaceable (tests, `start` in one process, `selfcare` alone). */
export interface PortalParts {
  config: Config;
  source: EntrySource;
  directory: Directory;
  status: AccountStatusSource;
  /** The bridge's record of mails about an account, newest first. */
  history(account: string, limit: number): Promise<HistoryRow[]>;
  store: SelfcareStore;
  /** The exporter's run journal; without one the account page has no history to show. */
  journal?: JournalReader;
  silences?: Silences;
  logger: Logger;
}

/** Days of history on the account page. */
export const HISTORY_DAYS = 90;

/** The journal behind an account page: its last HISTORY_DAYS days, read at `nowMs`. */
export interface AccountJournal {
  nowMs: number;
  runs: JournalRun[];
  usage: UsageDay[];
}

/** Something on the account that needs attention, worst first in the overview. */
export type Problem = "failed" | "missed" | "quota" | "outdated" | "nobackup" | "interrupted" | "unknown";

export interface OverviewRow {
  uid: string;
  status?: AccountStatus;
  problems: Problem[];
  pause?: Pause;
}

export interface OverviewQuery {
  search?: string;
  problemsOnly?: boolean;
  page?: number;
  pageSize?: number;
}

export interface Overview {
  total: number;
  page: number;
  pages: number;
  pageSize: number;
  rows: OverviewRow[];
}

export interface AccountDetails {
  uid: string;
  grants: Grant[];
  found?: AccountRecipients;
  status?: AccountStatus;
  problems: Problem[];
  history: HistoryRow[];
  pauses: Pause[];
  activePause?: Pause;
  audit: AuditEntry[];
  /** Resellers of this account whose defaults this person may edit. */
  editableResellers: string[];
  journal: AccountJournal;
}

/** A write the portal refused; `status` is the HTTP status it maps to. */
export class PortalError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 409 | 502,
    message: string,
  ) {
    super(message);
    this.name = "PortalError";
  }
}

export const hashToken = (token: string): string => createHash("sha256").update(token).digest("hex");
const newToken = (): string => randomBytes(32).toString("base64url");

/** The problems of an account's last collected state, worst first. */
export function problemsOf(status: AccountStatus | undefined): Problem[] {
  if (!status) return ["unknown"];
  const problems = new Set<Problem>();
  const threshold = (name: keyof AccountStatus["settings"]) => Number(status.settings[name].value);
  for (const host of status.hosts) {
    if (host.consecutiveFailures > 0 && host.consecutiveFailures >= threshold("failuresThreshold"))
      problems.add("failed");
    if (host.missedRuns > 0 && host.missedRuns >= threshold("missedBackupsThreshold")) problems.add("missed");
    if (host.status === "interrupted") problems.add("interrupted");
    if (host.clientOutdated) problems.add("outdated");
  }
  if (status.quota.usedRatio !== undefined && status.quota.usedRatio >= status.quota.warningRatio)
    problems.add("quota");
  if (status.neverUsed) problems.add("nobackup");
  const order: Problem[] = ["failed", "missed", "quota", "interrupted", "outdated", "nobackup", "unknown"];
  return order.filter((problem) => problems.has(problem));
}

/**
 * Login throttling: failures per key (a uid, an address) within a sliding window, kept in the store, so
 * portals sharing one (PostgreSQL, or one SQLite file) count a guesser's failures together.
 */
export class LoginThrottle {
  constructor(
    private readonly store: Pick<
      SelfcareStore,
      "loginFailures" | "addLoginFailure" | "clearLoginFailures" | "deleteLoginFailures"
    >,
    private readonly maxFailures: number,
    private readonly windowMs: number,
  ) {}

  async blocked(keys: readonly string[], now: number): Promise<boolean> {
    const failures = await this.store.loginFailures(keys, now - this.windowMs);
    return keys.some((key) => (failures.get(key) ?? 0) >= this.maxFailures);
  }

  fail(keys: readonly string[], now: number): Promise<void> {
    return this.store.addLoginFailure(keys, now);
  }

  succeed(key: string): Promise<void> {
    return this.store.clearLoginFailures(key);
  }

  /** Forget failures older than the window, so many distinct uids or addresses do not pile up. */
  async prune(now: number): Promise<void> {
    await this.store.deleteLoginFailures(now - this.windowMs);
  }
}

export type LoginOutcome =
  | { ok: true; token: string; session: Session }
  | {
      ok: false;
      throttled: boolean;
      reason: LoginFailure | "throttled";
    };

/** The portal's behaviour, shared by the JSON API and the pages; every method checks the person's scope. */
export class Portal {
  readonly access: PortalAccess;
  private readonly throttle: LoginThrottle;
  private readonly idleMs: number;
  private readonly rows = new WeakMap<Scope, { collectedAt: number; rows: OverviewRow[] }>();

  constructor(private readonly parts: PortalParts) {
    const { selfcare, directory } = parts.config;
    this.access = new PortalAccess(parts.source, directory, selfcare.scopeCacheSeconds * 1000);
    this.throttle = new LoginThrottle(
      parts.store,
      selfcare.throttle.maxFailures,
      selfcare.throttle.windowSeconds * 1000,
    );
    this.idleMs = selfcare.session.idleMinutes * 60_000;
  }

  get config(): Config {
    return this.parts.config;
  }

  /** Log in; failures are counted per uid and per client address, and only the log says why. */
  async login(uid: string, password: string, address: string): Promise<LoginOutcome> {
    const now = Date.now();
    const keys = [`uid:${uid.toLowerCase()}`, `address:${address}`];
    const log = this.parts.logger;
    if (await this.throttle.blocked(keys, now)) {
      log.warn({ audit: "login", uid, address, outcome: "throttled" }, "login refused: too many failures");
      return { ok: false, throttled: true, reason: "throttled" };
    }
    const result = await this.access.login(uid, password);
    if (!result.ok) {
      await this.throttle.fail(keys, now);
      log.warn({ audit: "login", uid, address, outcome: result.reason }, "login failed");
      return { ok: false, throttled: false, reason: result.reason };
    }
    await this.throttle.succeed(keys[0] ?? "");
    const token = newToken();
    const session: Session = {
      id: hashToken(token),
      personUid: result.person.uid,
      csrfToken: newToken(),
      language: pageLanguage(result.person.preferredLanguage, this.config.bridge.templates.defaultLanguage),
      createdAt: now,
      lastSeenAt: now,
    };
    await this.parts.store.createSession(session);
    log.info({ audit: "login", uid: result.person.uid, address, outcome: "ok" }, "logged in");
    return { ok: true, token, session };
  }

  /** The session of a cookie token, undefined when unknown or idle too long (an idle one is removed). */
  async session(token: string | undefined): Promise<Session | undefined> {
    if (!token) return undefined;
    const id = hashToken(token);
    const session = await this.parts.store.session(id);
    if (!session) return undefined;
    const now = Date.now();
    if (now - session.lastSeenAt > this.idleMs) {
      await this.parts.store.deleteSession(id);
      return undefined;
    }
    // One write a minute at most: the idle timeout needs no finer clock than that.
    if (now - session.lastSeenAt > 60_000) await this.parts.store.touchSession(id, now);
    return session;
  }

  logout(session: Session): Promise<void> {
    return this.parts.store.deleteSession(session.id);
  }

  /** Sessions idle longer than the timeout and old login failures are removed (run now and then). */
  async purgeSessions(): Promise<number> {
    await this.throttle.prune(Date.now());
    return this.parts.store.deleteIdleSessions(Date.now() - this.idleMs);
  }

  scope(session: Session): Promise<Scope | undefined> {
    return this.access.scope(session.personUid);
  }

  /**
   * A scope's accounts with their state, problems first; computed once per scope and collection (the
   * state changes only when the exporter collects), so paging through thousands of accounts is cheap.
   */
  private async sortedRows(scope: Scope): Promise<OverviewRow[]> {
    const collectedAt = (await this.collectedAt())?.getTime() ?? 0;
    const cached = this.rows.get(scope);
    if (cached && cached.collectedAt === collectedAt) return cached.rows;
    const uids = [...scope.accounts.keys()];
    const states = await this.states(uids);
    const rows: OverviewRow[] = uids.map((uid) => {
      const status = states.get(uid);
      return { uid, ...(status ? { status } : {}), problems: problemsOf(status) };
    });
    const weight = (row: OverviewRow) => (row.problems[0] === "unknown" ? 0.5 : row.problems.length);
    rows.sort((a, b) => weight(b) - weight(a) || (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
    this.rows.set(scope, { collectedAt, rows });
    return rows;
  }

  private async collectedAt(): Promise<Date | undefined> {
    try {
      return await this.parts.status.collectedAt();
    } catch {
      return undefined;
    }
  }

  /** The accounts of a scope with their state, problems first, filtered, searched and paged. */
  async overview(scope: Scope, query: OverviewQuery): Promise<Overview> {
    const search = query.search?.trim().toLowerCase() ?? "";
    let rows = await this.sortedRows(scope);
    if (search)
      rows = rows.filter(
        (row) =>
          row.uid.toLowerCase().includes(search) ||
          row.status?.hosts.some((host) => host.host.toLowerCase().includes(search)),
      );
    if (query.problemsOnly) rows = rows.filter((row) => row.problems.length > 0);
    const pageSize = Math.min(query.pageSize ?? this.config.selfcare.pageSize, 1000);
    const pages = Math.max(1, Math.ceil(rows.length / pageSize));
    const page = Math.min(Math.max(1, query.page ?? 1), pages);
    const pageRows = rows.slice((page - 1) * pageSize, page * pageSize);
    const pauses = await this.parts.store.activePauses(
      pageRows.map((row) => row.uid),
      Date.now(),
    );
    const shown = pageRows.map((row) => {
      const pause = pauses.get(row.uid);
      return pause ? { ...row, pause } : row;
    });
    return { total: rows.length, page, pages, pageSize, rows: shown };
  }

  /** Everything about one account of the scope; 403 for any other uid, before anything is read. */
  async account(scope: Scope, uid: string): Promise<AccountDetails> {
    const grants = this.authorise(scope, uid);
    const { directory, defaults, resellerMail } = {
      ...this.config.directory,
      directory: this.parts.directory,
    };
    const nowMs = Date.now();
    const since = nowMs - HISTORY_DAYS * DAY_MS;
    const [lookup, states, history, pauses, audit, runs, usage] = await Promise.all([
      lookUpAccounts(directory, [uid], { defaults, resellerMail }),
      this.states([uid]),
      this.parts.history(uid, 50),
      this.parts.store.pauses(uid, 20),
      this.parts.store.audit(uid, 50),
      this.journalRuns(uid, since, nowMs),
      this.journalUsage(uid, since, nowMs),
    ]);
    const found = lookup.found.get(uid);
    const status = states.get(uid);
    const now = Date.now();
    const activePause = pauses.find((p) => p.endedAt === undefined && p.createdAt <= now && p.until > now);
    return {
      uid,
      grants,
      ...(found ? { found } : {}),
      ...(status ? { status } : {}),
      problems: problemsOf(status),
      history,
      pauses,
      ...(activePause ? { activePause } : {}),
      audit,
      editableResellers: (found?.account.resellerUids ?? []).filter((r) => scope.resellers.has(r)),
      journal: { nowMs, runs, usage },
    };
  }

  /** The account's runs that ended between the two times (both included), oldest first. */
  runs(scope: Scope, uid: string, sinceMs: number, untilMs: number): Promise<JournalRun[]> {
    this.authorise(scope, uid);
    return this.journalRuns(uid, sinceMs, untilMs);
  }

  /** The account's usage on the days between the two times (both days included), oldest first. */
  usage(scope: Scope, uid: string, sinceMs: number, untilMs: number): Promise<UsageDay[]> {
    this.authorise(scope, uid);
    return this.journalUsage(uid, sinceMs, untilMs);
  }

  private async journalRuns(uid: string, sinceMs: number, untilMs: number): Promise<JournalRun[]> {
    return (await this.parts.journal?.runs(uid, sinceMs, untilMs)) ?? [];
  }

  private async journalUsage(uid: string, sinceMs: number, untilMs: number): Promise<UsageDay[]> {
    return (await this.parts.journal?.usage(uid, dayOf(sinceMs), dayOf(untilMs))) ?? [];
  }

  /** The exporter's state of these accounts; when it cannot be read the pages show "no data yet". */
  private async states(uids: readonly string[]): Promise<Map<string, AccountStatus>> {
    try {
      return await this.parts.status.accounts(uids);
    } catch (error) {
      this.parts.logger.warn({ err: error }, "exporter state not readable: accounts shown without it");
      return new Map();
    }
  }

  /** The grants of an account in scope; a PortalError 403 otherwise (also for uids that do not exist). */
  authorise(scope: Scope, uid: string): Grant[] {
    const grants = scope.accounts.get(uid);
    if (!grants) throw new PortalError(403, "this account is not yours to see");
    return grants;
  }

  authoriseReseller(scope: Scope, resellerUid: string): void {
    if (!scope.resellers.has(resellerUid)) throw new PortalError(403, "this reseller is not yours to manage");
  }

  /** Write an account's settings to its directory entry and audit each changed value. */
  async updateAccountSettings(scope: Scope, uid: string, values: SettingValues): Promise<AuditEntry[]> {
    this.authorise(scope, uid);
    const account = (await this.parts.directory.getAccounts([uid])).get(uid);
    if (!account) throw new PortalError(404, `account ${uid} is not in the directory`);
    return this.writeSettings(scope, account.dn, uid, values);
  }

  /** A reseller's defaults for all its accounts, in its settings entry (created when missing). */
  async resellerSettings(scope: Scope, resellerUid: string) {
    this.authoriseReseller(scope, resellerUid);
    const reseller = (await this.parts.directory.getResellers([resellerUid])).get(resellerUid);
    if (!reseller) throw new PortalError(404, `reseller ${resellerUid} is not in the directory`);
    const audit = await this.parts.store.audit(`reseller:${resellerUid}`, 50);
    return { reseller, audit };
  }

  async updateResellerSettings(
    scope: Scope,
    resellerUid: string,
    values: SettingValues,
  ): Promise<AuditEntry[]> {
    const { reseller } = await this.resellerSettings(scope, resellerUid);
    const target = `reseller:${resellerUid}`;
    if (reseller.settingsDn) return this.writeSettings(scope, reseller.settingsDn, target, values);
    const dn = `${this.config.directory.resellerSettingsRdn},${reseller.dn}`;
    const { audit } = planSettingsChange({ dn, attributes: {} }, values, this.config.directory.attributes, {
      at: Date.now(),
      personUid: scope.person.uid,
      target,
    });
    if (audit.length === 0) return [];
    await this.write(
      dn,
      newSettingsEntry(this.config.directory.resellerSettingsRdn, values, this.config.directory.attributes),
    );
    await this.parts.store.appendAudit(audit);
    return audit;
  }

  private async writeSettings(scope: Scope, dn: string, target: string, values: SettingValues) {
    const names = this.config.directory.attributes;
    const attributes = [
      "objectClass",
      ...names.warningsFlag,
      names.quotaWarningPercent,
      names.missedBackupsThreshold,
      names.missedDaysThreshold,
      names.failuresThreshold,
      names.quotaFullDays,
    ];
    const [entry] = await this.parts.source.entries(dn, "(objectClass=*)", attributes, "base");
    if (!entry) throw new PortalError(404, `${dn} is not in the directory`);
    const plan = planSettingsChange(entry, values, names, {
      at: Date.now(),
      personUid: scope.person.uid,
      target,
    });
    if (plan.modifications.length === 0) return [];
    await this.write(dn, { modify: plan.modifications });
    await this.parts.store.appendAudit(plan.audit);
    this.parts.logger.info(
      {
        audit: "settings",
        person: scope.person.uid,
        target,
        changes: plan.audit.map((a) => [a.action, a.oldValue, a.newValue]),
      },
      "settings changed",
    );
    return plan.audit;
  }

  private async write(dn: string, change: Parameters<EntrySource["write"]>[1]): Promise<void> {
    try {
      await this.parts.source.write(dn, change);
    } catch (error) {
      this.parts.logger.error({ err: error, dn }, "settings write refused by the directory");
      throw new PortalError(502, `the directory refused the change: ${(error as Error).message}`);
    }
  }

  /** Pause notifications about an account until a time; mirrored as an Alertmanager silence when configured. */
  async addPause(scope: Scope, uid: string, until: Date, comment: string): Promise<Pause> {
    this.authorise(scope, uid);
    const now = Date.now();
    const maxDays = this.config.selfcare.bounds.pauseDays;
    if (Number.isNaN(until.getTime()) || until.getTime() <= now)
      throw new PortalError(400, "the pause must end in the future");
    if (until.getTime() > now + maxDays * 86_400_000)
      throw new PortalError(400, `a pause lasts at most ${maxDays} days`);
    const pause = await this.parts.store.addPause({
      account: uid,
      createdBy: scope.person.uid,
      createdAt: now,
      until: until.getTime(),
      ...(comment ? { comment } : {}),
    });
    await this.parts.store.appendAudit([
      { at: now, personUid: scope.person.uid, target: uid, action: "pause", newValue: until.toISOString() },
    ]);
    const silences = this.parts.silences;
    if (silences) {
      try {
        const id = await silences.create(
          uid,
          until,
          scope.person.uid,
          comment || `paused in the self-care portal`,
        );
        await this.parts.store.setPauseSilence(pause.id, id);
        pause.silenceId = id;
      } catch (error) {
        // The bridge honours the pause either way; only Alertmanager's view lacks it.
        this.parts.logger.warn(
          { err: error, account: uid },
          "pause stored, but the Alertmanager silence failed",
        );
      }
    }
    return pause;
  }

  async endPause(scope: Scope, uid: string, id: number): Promise<Pause> {
    this.authorise(scope, uid);
    const now = Date.now();
    const pause = await this.parts.store.endPause(uid, id, scope.person.uid, now);
    if (!pause) throw new PortalError(404, `no running pause ${id} on account ${uid}`);
    await this.parts.store.appendAudit([
      {
        at: now,
        personUid: scope.person.uid,
        target: uid,
        action: "pause ended",
        oldValue: new Date(pause.until).toISOString(),
      },
    ]);
    if (pause.silenceId && this.parts.silences)
      await this.parts.silences.expire(pause.silenceId).catch((error: unknown) => {
        this.parts.logger.warn(
          { err: error, account: uid },
          "pause ended, but expiring the Alertmanager silence failed",
        );
      });
    return pause;
  }

  pauses(scope: Scope, uid: string): Promise<Pause[]> {
    this.authorise(scope, uid);
    return this.parts.store.pauses(uid, 50);
  }
}
