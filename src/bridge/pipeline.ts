import { setImmediate as nextTurn } from "node:timers/promises";
import type { BridgeConfig } from "../config/index.js";
import type { AccountStatus, AccountStatusSource } from "../exporter/index.js";
import type { Logger } from "../log.js";
import { type CoalescingWindow, coalescingWindow } from "./coalescing.js";
import { composeMail } from "./compose.js";
import type { BridgeMetrics } from "./metrics.js";
import type {
  Attempt,
  AttemptOutcome,
  Composition,
  NewMail,
  ProblemState,
  QueuedItem,
  RoutedItem,
  StoredAlert,
  StoredMail,
} from "./outbox.js";
import { type AccountPause, applyPause, type PauseSource } from "./pause.js";
import { heldUntil, needsPresentState, type PresentVerdict, presentVerdict } from "./present.js";
import {
  type AccountLookup,
  lookUpBisecting,
  needsDirectory,
  type RecipientResolver,
  type RouteOptions,
  routeAlert,
  routeUndeliverable,
} from "./route.js";
import type { OutboxStore } from "./store.js";
import type { ClientFacts, TemplateSource } from "./templates/index.js";
import { classifySendError, type Mailer, type SendError } from "./transport.js";
import { applyUnsubscriptions, type Unsubscription, type UnsubscriptionSource } from "./unsubscribe.js";

export interface PipelineOptions {
  config: BridgeConfig;
  /** Time zone of operator mails (the directory's default zone). */
  operatorTimeZone: string;
  /** Built-in templates only: the last resort when an override breaks rendering. */
  builtinTemplates: TemplateSource;
  /** Paused accounts (the self-care portal's pauses); without it nothing is paused. */
  pauses?: PauseSource;
  /** Addresses that unsubscribed (one-click links in mails); without it nobody has. */
  unsubscriptions?: UnsubscriptionSource;
  /** The exporter's state: what resolved mails say is true now. Without it they say nothing numeric. */
  status?: AccountStatusSource;
  /** Minimum versions and download pages of backup clients, for upgrade mails. */
  clients?: ClientFacts;
}

/** Alerts routed per round; one round makes one batched directory lookup. */
const routeBatch = 1000;
/** Recipients whose mails one round composes (in slices between which webhooks and sends run). */
const recipientsPerRound = 100;
/** Upper bound for sleeping, so changes made by another process are picked up too. */
const maxIdleMs = 1000;
/**
 * The least time from one preparation round to the next. Alertmanager posts a burst's groups one by one,
 * and a round (a claim, a directory look-up, the coalescing queries) costs about the same for one alert as
 * for a hundred: what arrives meanwhile waits at most this long, against windows of seconds.
 */
const gatherMs = 100;
/** Retention runs at start and then hourly, deleting at most this many rows per transaction. */
const pruneIntervalMs = 3600_000;
const pruneBatch = 500;
/** At shutdown, mails in flight get this long to finish before their connections are closed. */
const stopGraceMs = 5000;
/**
 * Consecutive failed rounds after which this instance says it cannot make progress (not ready): one
 * failure is a blip (a deadlock, a dropped connection), three in a row a fault that stays.
 */
const stalledAfterRounds = 3;

/** `person 5999999 not found` → `person not found`: a bounded set of metric label values. */
export const reasonLabel = (reason: string): string =>
  reason.startsWith("paused by ")
    ? "paused"
    : reason.startsWith("unsubscribed: ")
      ? "unsubscribed"
      : reason
          .replace(/"(?:[^"\\]|\\.)*"/g, "")
          .replace(/[0-9]+/g, "")
          .replace(/\s+/g, " ")
          .trim() || "unknown";

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Exponential backoff: initial · 2^attempts, capped. */
export const backoffMs = (attempts: number, retry: BridgeConfig["retry"]): number =>
  Math.min(retry.initialBackoffSeconds * 2 ** attempts, retry.maxBackoffSeconds) * 1000;

/** A sleep that `wake()` ends early. */
class Alarm {
  private wakeUp: (() => void) | undefined;
  private pending = false;

  wake(): void {
    this.pending = true;
    this.wakeUp?.();
  }

  sleep(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms));
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wakeUp = undefined;
        self.pending = false;
        resolve();
      }
      this.wakeUp = done;
    });
  }
}

/**
 * The notify pipeline after the webhook: route (resolve recipients, dedupe already done on accept),
 * coalesce and render per recipient, send with retries. Each stage reads and writes the outbox only,
 * so any stage can stop anywhere and the next run picks up where it left off.
 */
export class Pipeline {
  private readonly routing = new Alarm();
  private readonly sending = new Alarm();
  private readonly pruning = new Alarm();
  /** Only the stop ends a round's gathering time early. */
  private readonly gathering = new Alarm();
  private running: Promise<unknown> | undefined;
  private stopped = false;
  private readonly routeOptions: RouteOptions;
  private readonly window: CoalescingWindow;
  /** Sends under way, by mail id; never more than the SMTP pool's connections. */
  private readonly inFlight = new Map<number, Promise<void>>();
  /** Mails claimed for sending that wait for a free connection. */
  private readonly claimedAhead: StoredMail[] = [];
  /** Outcomes of ended sends the outbox could not record yet (a full disk); no mail is claimed until they are. */
  private readonly unrecorded: Attempt[] = [];
  private readonly stopping = new AbortController();
  /** When the relay last took a mail (ms): evidence that a refused recipient is refused for itself. */
  private relayAcceptedAt = Number.NEGATIVE_INFINITY;
  /** Rounds failed in a row, and since when and why they keep failing once they count as stalled. */
  private failedRounds = 0;
  private stalled: { since: number; error: string } | undefined;

  constructor(
    private readonly outbox: OutboxStore,
    private readonly resolver: RecipientResolver,
    private readonly mailer: Mailer,
    private readonly templates: TemplateSource,
    private readonly metrics: BridgeMetrics,
    private readonly logger: Logger,
    private readonly options: PipelineOptions,
  ) {
    const { config } = options;
    this.routeOptions = {
      operators: config.operators,
      resolvedMails: config.templates.resolved,
      defaultLanguage: config.templates.defaultLanguage,
      operatorTimeZone: options.operatorTimeZone,
    };
    this.window = coalescingWindow(config);
  }

  async start(): Promise<void> {
    // A reload starts a new pipeline: it is not stalled until its own rounds fail.
    this.metrics.pipelineStalled.set(0);
    const recovered = await this.outbox.recoverInFlight();
    if (recovered > 0)
      this.logger.warn({ mails: recovered }, "mails in flight at the last stop are sent again");
    this.running = Promise.all([
      this.loop(
        this.routing,
        () => this.prepare(),
        () => this.outbox.nextPreparation(this.window),
      ),
      this.sendLoop(),
      this.pruneLoop(),
    ]);
  }

  /** New work was accepted. */
  wake(): void {
    this.routing.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.routing.wake();
    this.sending.wake();
    this.pruning.wake();
    this.gathering.wake();
    await this.running;
    this.mailer.close();
  }

  /**
   * Retention: delete finished records older than `retentionDays`, one small transaction per batch
   * and a turn of the event loop between batches, so webhooks and sends never wait behind it.
   */
  async prune(now = Date.now()): Promise<number> {
    const cutoff = now - this.options.config.retentionDays * 86_400_000;
    let deleted = 0;
    while (!this.stopped) {
      const rows = await this.outbox.prune(cutoff, pruneBatch);
      if (rows === 0) break;
      deleted += rows;
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (deleted > 0)
      this.logger.info({ rows: deleted, before: new Date(cutoff).toISOString() }, "outbox pruned");
    return deleted;
  }

  private async pruneLoop(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.prune();
      } catch (error) {
        this.logger.warn({ err: error }, "outbox retention failed; trying again later");
      }
      await this.pruning.sleep(pruneIntervalMs);
    }
  }

  /**
   * What a failed send means. A 5xx to RCPT TO rejects the mail only once the relay has taken another
   * recipient since this one was first refused; until then it may be the relay refusing everyone
   * (a brief fault), and the mail is retried like any other temporary failure: with backoff, for at
   * most retry.maxAgeHours.
   */
  private failed(mail: StoredMail, startedAt: number, failure: SendError | undefined): AttemptOutcome {
    const { retry, smtp } = this.options.config;
    const message = failure?.message ?? `no answer within ${smtp.mailTimeoutMs} ms`;
    const now = Date.now();
    let refusedSince = mail.refusedSince;
    if (failure?.refusedRecipient) {
      refusedSince ??= startedAt;
      if (this.relayAcceptedAt >= refusedSince) {
        this.metrics.mailsFailed.inc();
        return { kind: "rejected", error: message };
      }
    }
    if (now - (mail.requeuedAt ?? mail.createdAt) >= retry.maxAgeHours * 3600_000) {
      this.metrics.mailsFailed.inc();
      this.metrics.deadLettersTotal.inc();
      return { kind: "dead", error: message };
    }
    this.metrics.mailsRetried.inc();
    return {
      kind: "temporary",
      error: message,
      retryAt: now + backoffMs(mail.attempts, retry),
      ...(refusedSince !== undefined ? { refusedSince } : {}),
    };
  }

  /**
   * Readiness: why this instance cannot work now, or undefined when it can: the store takes a real
   * write, every ended send is recorded, and the rounds do not keep failing.
   */
  async notReady(): Promise<string | undefined> {
    try {
      await this.outbox.probe(Date.now());
    } catch (error) {
      return `outbox not writable: ${errorText(error)}`;
    }
    if (this.unrecorded.length > 0) return `${this.unrecorded.length} sent mails not recorded yet`;
    if (this.stalled)
      return `routing rounds failing since ${new Date(this.stalled.since).toISOString()}: ${this.stalled.error}`;
    return undefined;
  }

  /**
   * A round failed: its claims go back to the store at once, so an instance that keeps failing holds
   * no work; after {@link stalledAfterRounds} in a row it reports not ready, until a round succeeds.
   */
  private async roundFailed(error: unknown): Promise<void> {
    this.metrics.pipelineRoundsFailed.inc();
    this.logger.error({ err: error }, "bridge pipeline round failed; trying again");
    try {
      await this.outbox.abandonClaims();
    } catch (releaseError) {
      this.logger.warn(
        { err: releaseError },
        "the failed round's claims could not be given back: they lapse",
      );
    }
    this.failedRounds++;
    if (this.failedRounds < stalledAfterRounds || this.stalled) return;
    this.stalled = { since: Date.now(), error: errorText(error) };
    this.metrics.pipelineStalled.set(1);
    this.logger.error(
      { err: error, rounds: this.failedRounds },
      "bridge pipeline cannot make progress: not ready, and its alerts are left to other instances",
    );
  }

  private roundSucceeded(): void {
    this.failedRounds = 0;
    if (!this.stalled) return;
    this.logger.warn(
      { since: new Date(this.stalled.since).toISOString() },
      "bridge pipeline rounds succeed again",
    );
    this.stalled = undefined;
    this.metrics.pipelineStalled.set(0);
  }

  private async loop(
    alarm: Alarm,
    round: () => Promise<boolean>,
    nextDue: () => Promise<number | undefined>,
  ): Promise<void> {
    while (!this.stopped) {
      const started = performance.now();
      let busy = false;
      try {
        busy = await round();
      } catch (error) {
        // Whatever broke (a full disk, a locked outbox), the work stays in the outbox: pause, then retry.
        await this.roundFailed(error);
        await alarm.sleep(maxIdleMs);
        continue;
      }
      this.roundSucceeded();
      if (this.stopped) break;
      // A busy round is followed by the next at once, but after the webhooks and sends that came meanwhile.
      if (busy) {
        await nextTurn();
        continue;
      }
      const next = await nextDue().catch(() => undefined);
      await alarm.sleep(next === undefined ? maxIdleMs : Math.min(maxIdleMs, next - Date.now()));
      const gathering = gatherMs - (performance.now() - started);
      if (gathering > 0 && !this.stopped) await this.gathering.sleep(gathering);
    }
  }

  private async prepare(): Promise<boolean> {
    const routed = await this.route(Date.now());
    // While routing is behind, a recipient's next item may wait in the backlog longer than the
    // window: only the maximum hold closes windows until routing has caught up.
    const behind = routed >= routeBatch;
    const mails = await this.coalesce(
      Date.now(),
      behind ? { ...this.window, quietMs: this.window.maxHoldMs } : this.window,
    );
    if (mails > 0) this.sending.wake();
    return routed >= routeBatch || mails >= recipientsPerRound;
  }

  /**
   * Stage 1: route due alerts; one batched directory lookup for all their accounts, bisected when it
   * fails, so that the alerts of an account whose look-up fails wait alone.
   */
  private async route(now: number): Promise<number> {
    const due = await this.outbox.claimAlerts(now, routeBatch);
    if (due.length === 0) return 0;
    const present = await this.presentState(await this.hold(due, now));
    const alerts = await this.holdContradicted(present, now);
    const uids = [...new Set(alerts.filter(needsDirectory).map((a) => a.account))];
    let lookup: AccountLookup | undefined;
    /** Why the look-up of an account failed, by uid. */
    let failed = new Map<string, string>();
    if (uids.length > 0) {
      try {
        const bisected = await lookUpBisecting(this.resolver, uids);
        lookup = bisected;
        failed = bisected.failed;
      } catch (error) {
        const message = errorText(error);
        failed = new Map(uids.map((uid) => [uid, message]));
      }
    }
    const lookUpFailed = (alert: StoredAlert): alert is StoredAlert & { account: string } =>
      needsDirectory(alert) && failed.has(alert.account);
    const ready = alerts.filter((alert) => !lookUpFailed(alert));
    const undeliverable =
      failed.size > 0 ? await this.waitForDirectory(alerts.filter(lookUpFailed), failed, now) : [];
    const paused = await this.pausedAccounts(ready);
    const problems = await this.outbox.problems(ready);
    const routed = ready.map((alert) => {
      const verdict = present.get(alert) ?? presentVerdict(alert, undefined);
      const items = this.routeOne(alert, lookup, verdict, problems.get(alert.id));
      return {
        alert,
        items: applyPause(items, alert.account === undefined ? undefined : paused.get(alert.account)),
      };
    });
    const unsubscribed = await this.unsubscribed(routed.flatMap((r) => r.items));
    for (const r of routed) r.items = applyUnsubscriptions(r.items, r.alert.account, unsubscribed);
    for (const { alert, reason } of undeliverable) {
      this.logger.error(
        { alert: alert.id, account: alert.account, task: alert.task, reason },
        "alert undeliverable: it goes to the operators",
      );
      routed.push({ alert, items: routeUndeliverable(alert, reason, this.routeOptions) });
    }
    await this.outbox.route(routed, Date.now());
    for (const { items } of routed) for (const item of items) this.countSuppressed(item);
    return due.length;
  }

  /**
   * Alerts whose account's look-up failed wait with the `retry.*` backoff; those waiting longer than
   * `retry.maxAgeHours` are returned, to go to the operators as undeliverable.
   */
  private async waitForDirectory(
    alerts: ReadonlyArray<StoredAlert & { account: string }>,
    failed: ReadonlyMap<string, string>,
    now: number,
  ): Promise<Array<{ alert: StoredAlert; reason: string }>> {
    const retry = this.options.config.retry;
    const maxAgeMs = retry.maxAgeHours * 3600_000;
    const undeliverable: Array<{ alert: StoredAlert; reason: string }> = [];
    const waiting = new Map<string, StoredAlert[]>();
    for (const alert of alerts) {
      const message = failed.get(alert.account) ?? "";
      if (now - alert.receivedAt >= maxAgeMs)
        undeliverable.push({
          alert,
          reason: `the directory look-up failed for ${retry.maxAgeHours} h (${message})`,
        });
      else waiting.set(message, [...(waiting.get(message) ?? []), alert]);
    }
    this.metrics.directoryErrors.inc();
    this.logger.warn(
      {
        err: [...waiting.keys()].join("; "),
        accounts: [...failed.keys()].slice(0, 10),
        failedAccounts: failed.size,
        alerts: alerts.length - undeliverable.length,
        givenUp: undeliverable.length,
      },
      "directory lookup failed: the alerts of these accounts stay in the outbox and are retried",
    );
    for (const [message, group] of waiting)
      await this.outbox.defer(group, (a) => Date.now() + backoffMs(a.attempts, retry), message);
    return undeliverable;
  }

  /** Schedule warnings about running backups wait for the grace period; the others are returned. */
  private async hold(alerts: readonly StoredAlert[], now: number): Promise<StoredAlert[]> {
    const graceMs = this.options.config.runningGraceSeconds * 1000;
    const until = new Map<StoredAlert, number>();
    for (const alert of alerts) {
      const due = heldUntil(alert, graceMs);
      if (due !== undefined && due > now) until.set(alert, due);
    }
    if (until.size === 0) return [...alerts];
    for (const [alert, due] of until)
      await this.outbox.defer(
        [alert],
        () => due,
        `held while the backup runs, until ${new Date(due).toISOString()}`,
      );
    return alerts.filter((alert) => !until.has(alert));
  }

  /**
   * What each alert's mail may say of the present: the exporter's state of the accounts of resolved
   * alerts is read once per round; when it cannot be read, those mails say only what is certain.
   */
  private async presentState(alerts: readonly StoredAlert[]): Promise<Map<StoredAlert, PresentVerdict>> {
    const uids = [...new Set(alerts.filter(needsPresentState).map((a) => a.account))];
    const source = this.options.status;
    let states = new Map<string, AccountStatus>();
    if (source && uids.length > 0) {
      try {
        // An account whose backup server did not answer is not checked against its old data: its mail
        // says only what is certain rather than "solved" or "still failing" from a state that may be past.
        states = new Map([...(await source.accounts(uids))].filter(([, status]) => !status.stale));
      } catch (error) {
        this.logger.warn(
          { err: error instanceof Error ? error.message : String(error) },
          "exporter state not readable: resolved mails say only that the problem is no longer reported",
        );
      }
    }
    return new Map(
      alerts.map((alert) => [alert, presentVerdict(alert, states.get(alert.account ?? ""))] as const),
    );
  }

  /**
   * A resolution the present state contradicts waits (recorded as `held (…)` in the history) and is
   * checked again; after `resolvedHold.maxHours` it is routed, and routing mails it to nobody.
   * Returns the alerts to route now.
   */
  private async holdContradicted(
    verdicts: ReadonlyMap<StoredAlert, PresentVerdict>,
    now: number,
  ): Promise<StoredAlert[]> {
    const { recheckSeconds, maxHours } = this.options.config.resolvedHold;
    const ready: StoredAlert[] = [];
    for (const [alert, verdict] of verdicts) {
      if (verdict.kind !== "persists" || now - alert.receivedAt >= maxHours * 3600_000) {
        ready.push(alert);
        continue;
      }
      this.logger.info(
        { alert: alert.id, account: alert.account, task: alert.task, why: verdict.why },
        "resolution held: the exporter's state still shows the problem",
      );
      await this.outbox.defer(
        [alert],
        () => now + recheckSeconds * 1000,
        `held until the exporter's state shows the problem solved: ${verdict.why}`,
      );
    }
    return ready;
  }

  /** Which of these alerts' accounts are paused now; a store that cannot answer fails the round, so nothing paused is mailed. */
  private async pausedAccounts(alerts: readonly StoredAlert[]): Promise<Map<string, AccountPause>> {
    const accounts = [...new Set(alerts.flatMap((a) => (a.account === undefined ? [] : [a.account])))];
    if (!this.options.pauses || accounts.length === 0) return new Map();
    return this.options.pauses(accounts, Date.now());
  }

  /** The unsubscriptions of these items' recipients; a store that cannot answer fails the round, so nobody unsubscribed is mailed. */
  private async unsubscribed(items: readonly RoutedItem[]): Promise<Unsubscription[]> {
    const addresses = [
      ...new Set(
        items.flatMap((i) =>
          i.kind === "queued" && i.recipient.audience !== "operator" ? [i.recipient.address] : [],
        ),
      ),
    ];
    if (!this.options.unsubscriptions || addresses.length === 0) return [];
    return this.options.unsubscriptions(addresses);
  }

  /** Route one alert; an alert routing cannot handle goes to the operators, never stops the others. */
  private routeOne(
    alert: StoredAlert,
    lookup: AccountLookup | undefined,
    verdict: PresentVerdict,
    problem: ProblemState | undefined,
  ): RoutedItem[] {
    try {
      const annotations = verdict.kind === "persists" ? {} : verdict.annotations;
      const items = routeAlert({ ...alert, annotations }, lookup, this.routeOptions, problem);
      if (verdict.kind === "persists") {
        const reason = `the exporter's state still shows the problem after ${this.options.config.resolvedHold.maxHours} h: ${verdict.why}`;
        return items.map((item) =>
          item.kind === "queued"
            ? { kind: "suppressed", audience: item.recipient.audience, reason, entry: item.entry }
            : item,
        );
      }
      if (verdict.kind === "confirmed") return items;
      const resolution = verdict.kind;
      return items.map((item) => ({ ...item, entry: { ...item.entry, resolution } }));
    } catch (error) {
      const reason = `routing failed: ${errorText(error)}`;
      this.logger.error({ alert: alert.id, account: alert.account, reason }, "alert undeliverable");
      return routeUndeliverable(alert, reason, this.routeOptions);
    }
  }

  private countSuppressed(item: RoutedItem): void {
    if (item.kind === "suppressed") this.metrics.mailsSuppressed.inc({ reason: reasonLabel(item.reason) });
  }

  /** Stage 2: one mail per recipient whose coalescing window has closed, listing all its items. */
  private coalesce(now: number, window: CoalescingWindow): Promise<number> {
    return this.outbox.coalesce(window, recipientsPerRound, (items) => this.compose(items), now);
  }

  /**
   * One recipient's mail. Should rendering fail even with the built-in templates, each item is tried
   * alone: the ones that render are mailed, the others become dead letters (logged, counted in
   * `dead_letters`, which the shipped rules alert the operators about), and nobody else waits.
   */
  private compose(items: readonly QueuedItem[]): Composition {
    try {
      return { mail: this.composeMail(items), itemIds: items.map((i) => i.id), dead: [] };
    } catch (error) {
      const failing = new Map<number, string>();
      for (const item of items) {
        try {
          this.composeMail([item]);
        } catch (itemError) {
          failing.set(item.id, errorText(itemError));
        }
      }
      if (failing.size === 0) for (const item of items) failing.set(item.id, errorText(error));
      const good = items.filter((i) => !failing.has(i.id));
      let mail: NewMail | undefined;
      try {
        mail = good.length > 0 ? this.composeMail(good) : undefined;
      } catch (goodError) {
        for (const item of good) failing.set(item.id, errorText(goodError));
      }
      const dead = items.flatMap((item) => {
        const reason = failing.get(item.id);
        return reason === undefined ? [] : [{ itemId: item.id, reason: `cannot render: ${reason}` }];
      });
      for (const item of dead) {
        const source = items.find((i) => i.id === item.itemId);
        this.metrics.deadLettersTotal.inc();
        this.logger.error(
          { item: item.itemId, alert: source?.alertId, account: source?.account, reason: item.reason },
          "mail item dead-lettered: it cannot be rendered",
        );
      }
      return mail
        ? { mail, itemIds: good.filter((i) => !failing.has(i.id)).map((i) => i.id), dead }
        : { itemIds: [], dead };
    }
  }

  private composeMail(items: readonly QueuedItem[]): NewMail {
    const { config, operatorTimeZone, builtinTemplates, clients } = this.options;
    return composeMail(items, {
      config,
      operatorTimeZone,
      ...(clients ? { clients } : {}),
      templates: this.templates,
      builtinTemplates,
      logger: this.logger,
    });
  }

  /**
   * Stage 3: keep up to `maxConnections` mails in flight; each one's outcome is recorded the moment
   * its send ends. A crash can therefore resend only the mails truly in flight, and a stalled
   * recipient holds one connection, not the others' mails. As many more mails are claimed ahead and
   * wait here (`claimedAhead`), so that a connection whose mail is recorded starts the next at once,
   * not after another claim; they are not in flight, and go back to pending at a stop.
   */
  private async sendLoop(): Promise<void> {
    const slots = this.options.config.smtp.maxConnections;
    while (!this.stopped) {
      let claimed = 0;
      let wanted = 0;
      try {
        await this.recordLeftovers();
        this.startClaimed();
        wanted = 2 * slots - this.inFlight.size - this.claimedAhead.length;
        if (wanted > 0) {
          const mails = await this.outbox.claimMails(Date.now(), wanted);
          claimed = mails.length;
          this.claimedAhead.push(...mails);
          this.startClaimed();
        }
      } catch (error) {
        this.logger.error({ err: error }, "bridge send round failed; trying again");
        await this.sending.sleep(maxIdleMs);
        continue;
      }
      if (claimed > 0 && claimed === wanted) continue;
      const next = wanted > 0 ? await this.outbox.nextSending().catch(() => undefined) : undefined;
      await this.sending.sleep(next === undefined ? maxIdleMs : Math.min(maxIdleMs, next - Date.now()));
    }
    for (const mail of this.claimedAhead.splice(0)) await this.release(mail.id);
    await this.drain();
  }

  /** Hand claimed mails to free connections, unless outcomes wait to be recorded (then nothing new goes). */
  private startClaimed(): void {
    const slots = this.options.config.smtp.maxConnections;
    while (!this.stopped && this.unrecorded.length === 0 && this.inFlight.size < slots) {
      const mail = this.claimedAhead.shift();
      if (!mail) return;
      this.startSending(mail);
    }
  }

  /** Let the mails in flight finish for a moment, then close their connections; they stay pending. */
  private async drain(): Promise<void> {
    if (this.inFlight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, stopGraceMs);
    });
    await Promise.race([Promise.all(this.inFlight.values()), grace]);
    clearTimeout(timer);
    this.stopping.abort();
    await Promise.all(this.inFlight.values());
    try {
      await this.recordLeftovers();
    } catch (error) {
      this.logger.error(
        { err: error, mails: this.unrecorded.map((a) => a.mailId) },
        "outcomes of sent mails could not be recorded before the stop: these mails go again at the next start",
      );
    }
  }

  private startSending(mail: StoredMail): void {
    const done = this.deliver(mail).then(async (attempt) => {
      if (attempt === undefined) await this.release(mail.id);
      else await this.recordOrKeep(attempt);
      this.inFlight.delete(mail.id);
      this.startClaimed();
      this.sending.wake();
    });
    this.inFlight.set(mail.id, done);
  }

  private async recordOrKeep(attempt: Attempt): Promise<void> {
    if (this.unrecorded.length === 0) {
      try {
        await this.outbox.record(attempt);
        return;
      } catch (error) {
        this.logger.error(
          { err: error, mail: attempt.mailId, outcome: attempt.outcome.kind },
          "outcome of a mail cannot be recorded: kept in memory, no new mail is sent until it is",
        );
      }
    }
    this.unrecorded.push(attempt);
  }

  /** Record what a full disk refused before; throws while it still refuses. */
  private async recordLeftovers(): Promise<void> {
    while (this.unrecorded.length > 0) {
      const [attempt] = this.unrecorded;
      if (attempt) await this.outbox.record(attempt);
      this.unrecorded.shift();
    }
  }

  private async release(mailId: number): Promise<void> {
    try {
      await this.outbox.release(mailId);
    } catch (error) {
      // Still `sending`: the next start sends it again.
      this.logger.warn({ err: error, mail: mailId }, "an interrupted mail could not be put back");
    }
  }

  /** Send one mail within the per-mail timeout; undefined when the stop interrupted it. */
  private async deliver(mail: StoredMail): Promise<Attempt | undefined> {
    const started = performance.now();
    const startedAt = Date.now();
    const stopTimer = this.metrics.smtpSendDuration.startTimer();
    const timeout = AbortSignal.timeout(this.options.config.smtp.mailTimeoutMs);
    let outcome: AttemptOutcome;
    try {
      const response = await this.mailer.send(
        {
          to: mail.recipient,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          messageId: mail.messageId,
          headers: mail.headers,
        },
        AbortSignal.any([timeout, this.stopping.signal]),
      );
      outcome = { kind: "sent", response };
      this.relayAcceptedAt = Date.now();
      this.metrics.mailsSent.inc();
    } catch (error) {
      if (this.stopping.signal.aborted && !timeout.aborted) return undefined;
      outcome = this.failed(mail, startedAt, timeout.aborted ? undefined : classifySendError(error));
    }
    stopTimer();
    this.logger.info(
      {
        audit: "mail",
        mail: mail.id,
        recipient: mail.recipient,
        accounts: mail.accounts,
        tasks: mail.tasks,
        messageId: mail.messageId,
        outcome: outcome.kind,
        attempt: mail.attempts + 1,
        ...(outcome.kind === "sent" ? {} : { error: outcome.error }),
      },
      outcome.kind === "sent"
        ? "mail sent"
        : `mail ${outcome.kind === "temporary" ? "deferred" : outcome.kind}`,
    );
    return { mailId: mail.id, outcome, at: Date.now(), durationMs: performance.now() - started };
  }
}
