import { createHash, randomBytes } from "node:crypto";
import type { HistoryRow } from "../bridge/index.js";
import {
  accountStreams,
  type ClaimCheck,
  checkClaim,
  type Stream,
  streamAccount,
  type UnsubscribeClaim,
  type Unsubscription,
} from "../bridge/unsubscribe.js";
import type { Config } from "../config/index.js";
import {
  type AccountRecipients,
  type Directory,
  type EffectiveSetting,
  effectiveSettings,
  lookUpAccounts,
  type SettingName,
  settingNames,
} from "../directory/index.js";
import {
  type AccountStatus,
  type AccountStatusSource,
  type ServerFreshness,
  staleServers,
} from "../exporter/index.js";
import {
  DAY_MS,
  dayOf,
  type JournalReader,
  type JournalRun,
  JournalUnavailableError,
  type UsageDay,
} from "../journal/index.js";
import type { Logger } from "../log.js";
import { type Grant, type LoginFailure, PortalAccess, pageLanguage, type Scope } from "./access.js";
import type { EntrySource } from "./directory.js";
import type { MessageKey } from "./i18n.js";
import { newSettingsEntry, planSettingsChange, type SettingValues } from "./settings.js";
import type { Silences } from "./silences.js";
import type { AuditEntry, Pause, SelfcareStore, Session } from "./store.js";
import { LoginThrottle } from "./throttle.js";

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
  /** Backup servers whose journal of the account could not be read: its history is unknown, not empty. */
  unavailableServers: string[];
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
  /** When the exporter collected the state shown; undefined before its first collection. */
  collectedAt?: Date;
  /** Backup servers whose exporter does not answer: their accounts' data is old or absent. */
  staleServers: ServerFreshness[];
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
  /** The account's backup server when its exporter does not answer; every such server when the account has no data. */
  staleServers: ServerFreshness[];
  problems: Problem[];
  history: HistoryRow[];
  pauses: Pause[];
  activePause?: Pause;
  audit: AuditEntry[];
  /** Unsubscriptions in force of this account's recipients from mails about it (or from digests). */
  unsubscriptions: Unsubscription[];
  /** Resellers of this account whose defaults this person may edit. */
  editableResellers: string[];
  journal: AccountJournal;
}

/** A settings form's data: the entry's own values, and for each setting what applies without it. */
export interface SettingsForm {
  own: Partial<Record<SettingName, boolean | number>>;
  inherited: Record<SettingName, EffectiveSetting<boolean | number>>;
}

/**
 * A request the portal refused; `status` is the HTTP status it maps to, `message` the API's (English)
 * reason, `page` what the pages say instead in the person's language.
 */
export class PortalError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 409 | 502 | 503,
    message: string,
    readonly page?: { key: MessageKey; values?: Record<string, string | number> },
  ) {
    super(message);
    this.name = "PortalError";
  }
}

/** A journal read for the API: a backup server that does not answer is a 503, never an empty history. */
async function answeredJournal<T>(read: Promise<T[]>): Promise<T[]> {
  try {
    return await read;
  } catch (error) {
    if (!(error instanceof JournalUnavailableError)) throw error;
    throw new PortalError(
      503,
      `the run journal of backup server ${error.servers.join(", ")} is not readable at the moment: try again later`,
    );
  }
}

/** The audit trail an address's choices go to when they are not about one account. */
const addressTarget = (address: string): string => `mail:${address}`;

/** An unsubscription from one account's alerts is in that account's trail; others in the address's. */
const auditTarget = (u: Pick<Unsubscription, "address" | "stream">): string =>
  streamAccount(u.stream) ?? addressTarget(u.address);

/** Undo an unsubscription in force, audited as done by `by`; undefined when there is none with this id. */
export async function resubscribe(
  store: Pick<SelfcareStore, "endUnsubscription" | "appendAudit">,
  id: number,
  by: string,
  now: number,
): Promise<Unsubscription | undefined> {
  const ended = await store.endUnsubscription(id, by, now);
  if (ended)
    await store.appendAudit([
      {
        at: now,
        personUid: by,
        target: auditTarget(ended),
        action: "unsubscribe undone",
        oldValue: ended.stream,
      },
    ]);
  return ended;
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

export type LoginOutcome =
  | { ok: true; token: string; session: Session }
  | {
      ok: false;
      /** When throttled: how long (ms) to wait before the next try. */
      retryAfterMs?: number;
      reason: LoginFailure | "throttled";
    };

/** The portal's behaviour, shared by the JSON API and the pages; every method checks the person's scope. */
export class Portal {
  readonly access: PortalAccess;
  private readonly throttle: LoginThrottle;
  private readonly idleMs: number;
  private readonly rows = new WeakMap<Scope, { version: string; rows: OverviewRow[] }>();

  constructor(private readonly parts: PortalParts) {
    const { selfcare, directory } = parts.config;
    this.access = new PortalAccess(parts.source, directory, selfcare.scopeCacheSeconds * 1000);
    this.throttle = new LoginThrottle(parts.store, selfcare.throttle);
    this.idleMs = selfcare.session.idleMinutes * 60_000;
  }

  get config(): Config {
    return this.parts.config;
  }

  /** Log in; failures slow further tries of the uid from that address (see throttle.ts), and only the log says why. */
  async login(uid: string, password: string, address: string): Promise<LoginOutcome> {
    const now = Date.now();
    const log = this.parts.logger;
    const wait = await this.throttle.wait(uid, address, now);
    if (wait > 0) {
      log.warn(
        { audit: "login", uid, address, outcome: "throttled", waitMs: wait },
        "login refused: too many failures",
      );
      return { ok: false, retryAfterMs: wait, reason: "throttled" };
    }
    const result = await this.access.login(uid, password);
    if (!result.ok) {
      await this.throttle.fail(uid, address, now);
      log.warn({ audit: "login", uid, address, outcome: result.reason }, "login failed");
      return { ok: false, reason: result.reason };
    }
    await this.throttle.succeed(uid, address);
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
    const version = await this.stateVersion();
    const cached = this.rows.get(scope);
    if (cached && cached.version === version) return cached.rows;
    const uids = [...scope.accounts.keys()];
    const states = await this.states(uids);
    const rows: OverviewRow[] = uids.map((uid) => {
      const status = states.get(uid);
      return { uid, ...(status ? { status } : {}), problems: problemsOf(status) };
    });
    const weight = (row: OverviewRow) => (row.problems[0] === "unknown" ? 0.5 : row.problems.length);
    rows.sort((a, b) => weight(b) - weight(a) || (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
    this.rows.set(scope, { version, rows });
    return rows;
  }

  /** Changes whenever any backup server's data changes or one stops or starts answering. */
  private async stateVersion(): Promise<string> {
    const servers = await this.servers();
    const collectedAt = (await this.collectedAt())?.getTime() ?? 0;
    return JSON.stringify([collectedAt, servers]);
  }

  /** How current each backup server's data is; none when the state is one exporter's, or unreadable. */
  private async servers(): Promise<ServerFreshness[]> {
    try {
      return (await this.parts.status.servers?.()) ?? [];
    } catch {
      return [];
    }
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
    const collectedAt = await this.collectedAt();
    const servers = await this.servers();
    return {
      ...(collectedAt ? { collectedAt } : {}),
      staleServers: staleServers(servers),
      total: rows.length,
      page,
      pages,
      pageSize,
      rows: shown,
    };
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
    const [lookup, states, history, pauses, accountAudit, journal] = await Promise.all([
      lookUpAccounts(directory, [uid], { defaults, resellerMail }),
      this.states([uid]),
      this.parts.history(uid, 50),
      this.parts.store.pauses(uid, 20),
      this.parts.store.audit(uid, 50),
      this.accountJournal(uid, since, nowMs),
    ]);
    const found = lookup.found.get(uid);
    const { unsubscriptions, audit } = await this.recipientsChoices(uid, grants, found, accountAudit);
    const status = states.get(uid);
    const stale = staleServers(await this.servers()).filter(
      (server) => status === undefined || server.name === status.server,
    );
    const activePause = pauses.find(
      (p) => p.endedAt === undefined && p.createdAt <= nowMs && p.until > nowMs,
    );
    return {
      uid,
      grants,
      ...(found ? { found } : {}),
      ...(status ? { status } : {}),
      staleServers: stale,
      problems: problemsOf(status),
      history,
      pauses,
      ...(activePause ? { activePause } : {}),
      audit,
      unsubscriptions,
      editableResellers: (found?.account.resellerUids ?? []).filter((r) => scope.resellers.has(r)),
      journal,
    };
  }

  /** The account's runs that ended between the two times (both included), oldest first. */
  runs(scope: Scope, uid: string, sinceMs: number, untilMs: number): Promise<JournalRun[]> {
    this.authorise(scope, uid);
    return answeredJournal(this.journalRuns(uid, sinceMs, untilMs));
  }

  /** The account's usage on the days between the two times (both days included), oldest first. */
  usage(scope: Scope, uid: string, sinceMs: number, untilMs: number): Promise<UsageDay[]> {
    this.authorise(scope, uid);
    return answeredJournal(this.journalUsage(uid, sinceMs, untilMs));
  }

  /** The account page's journal; a backup server whose journal does not answer is named, not taken for an empty one. */
  private async accountJournal(uid: string, sinceMs: number, nowMs: number): Promise<AccountJournal> {
    try {
      const [runs, usage] = await Promise.all([
        this.journalRuns(uid, sinceMs, nowMs),
        this.journalUsage(uid, sinceMs, nowMs),
      ]);
      return { nowMs, runs, usage, unavailableServers: [] };
    } catch (error) {
      if (!(error instanceof JournalUnavailableError)) throw error;
      return { nowMs, runs: [], usage: [], unavailableServers: [...error.servers] };
    }
  }

  private async journalRuns(uid: string, sinceMs: number, untilMs: number): Promise<JournalRun[]> {
    return (await this.parts.journal?.runs(uid, sinceMs, untilMs)) ?? [];
  }

  private async journalUsage(uid: string, sinceMs: number, untilMs: number): Promise<UsageDay[]> {
    return (await this.parts.journal?.usage(uid, dayOf(sinceMs), dayOf(untilMs))) ?? [];
  }

  /**
   * What the account's recipients chose, of those the person acts for (a customer for the customer's
   * addresses, a reseller's contact for those and the reseller's): their unsubscriptions from mails
   * about this account (or from digests), and the audit of those not about this account alone merged
   * into the account's trail.
   */
  private async recipientsChoices(
    uid: string,
    grants: readonly Grant[],
    found: AccountRecipients | undefined,
    accountAudit: AuditEntry[],
  ): Promise<{ unsubscriptions: Unsubscription[]; audit: AuditEntry[] }> {
    const forReseller = grants.some((g) => g.kind === "reseller");
    const recipients = (found?.resolution.recipients ?? []).filter(
      (r) => r.audience === "customer" || forReseller,
    );
    const addresses = [...new Set(recipients.map((r) => r.address.toLowerCase()))];
    if (addresses.length === 0) return { unsubscriptions: [], audit: accountAudit };
    const [active, ...trails] = await Promise.all([
      this.parts.store.activeUnsubscriptions(addresses),
      ...addresses.map((address) => this.parts.store.audit(addressTarget(address), 20)),
    ]);
    const relevant = new Set<Stream>(accountStreams(uid));
    return {
      unsubscriptions: active.filter((u) => relevant.has(u.stream)),
      audit: [...accountAudit, ...trails.flat()].sort((a, b) => b.at - a.at).slice(0, 50),
    };
  }

  /**
   * A one-click unsubscribe link (`/unsubscribe/<token>`) as it stands: the signature checked with
   * `bridge.unsubscribe.secret`; 404 when no key is configured (no mail carries such links then).
   */
  checkUnsubscribeLink(token: string, now = Date.now()): ClaimCheck {
    const secret = this.config.bridge.unsubscribe.secret;
    if (!secret) throw new PortalError(404, "unsubscribe links are not configured");
    return checkClaim(secret, token, now);
  }

  /**
   * Unsubscribe the address a valid link names from its stream, and audit it (by the address itself).
   * Pressing the link again changes nothing and answers the same.
   */
  async unsubscribe(claim: UnsubscribeClaim, now = Date.now()): Promise<Unsubscription> {
    const { address, stream } = claim;
    const { unsubscription, created } = await this.parts.store.unsubscribe(address, stream, address, now);
    if (created) {
      await this.parts.store.appendAudit([
        {
          at: now,
          personUid: unsubscription.address,
          target: auditTarget(unsubscription),
          action: "unsubscribe",
          newValue: stream,
        },
      ]);
      this.parts.logger.info(
        { audit: "unsubscribe", address: unsubscription.address, stream },
        "unsubscribed through the link of a mail",
      );
    }
    return unsubscription;
  }

  /** Undo an unsubscription of one of the account's recipients from mails about it (or from digests). */
  async endUnsubscription(scope: Scope, uid: string, id: number): Promise<Unsubscription> {
    this.authorise(scope, uid);
    const details = await this.account(scope, uid);
    if (!details.unsubscriptions.some((u) => u.id === id))
      throw new PortalError(404, `no unsubscription ${id} of a recipient of account ${uid}`);
    const ended = await resubscribe(this.parts.store, id, scope.person.uid, Date.now());
    if (!ended) throw new PortalError(404, `unsubscription ${id} has ended already`);
    this.parts.logger.info(
      {
        audit: "unsubscribe",
        person: scope.person.uid,
        address: ended.address,
        stream: ended.stream,
        outcome: "undone",
      },
      "unsubscription undone in the portal",
    );
    return ended;
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

  /** An account's own settings and, for each, what applies when it has none (its resellers', else the configuration's). */
  async accountSettings(scope: Scope, uid: string): Promise<SettingsForm> {
    this.authorise(scope, uid);
    const { defaults, resellerMail } = this.config.directory;
    const found = (await lookUpAccounts(this.parts.directory, [uid], { defaults, resellerMail })).found.get(
      uid,
    );
    if (!found) throw new PortalError(404, `account ${uid} is not in the directory`);
    return {
      own: found.account.settings,
      inherited: effectiveSettings({ ...found.account, settings: {} }, found.resellers, defaults),
    };
  }

  /** The configuration's defaults: what applies to a reseller's accounts where its settings entry has no value. */
  configDefaults(): SettingsForm["inherited"] {
    const { defaults } = this.config.directory;
    return Object.fromEntries(
      settingNames.map((name) => [name, { value: defaults[name], source: "config" }]),
    ) as SettingsForm["inherited"];
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
    const page = { key: "error.pauseDay", values: { max: maxDays } } as const;
    if (Number.isNaN(until.getTime()) || until.getTime() <= now)
      throw new PortalError(400, "the pause must end in the future", page);
    if (until.getTime() > now + maxDays * 86_400_000)
      throw new PortalError(400, `a pause lasts at most ${maxDays} days`, page);
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
