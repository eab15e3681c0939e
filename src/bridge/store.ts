import type { MigrationReport } from "../store/migrations.js";
import type { CoalescingWindow } from "./coalescing.js";
import type {
  AcceptResult,
  Attempt,
  Composition,
  HistoryRow,
  NewDigest,
  OutboxStats,
  ProblemState,
  QueuedItem,
  RequeueFilter,
  RoutedItem,
  StoredAlert,
  StoredMail,
} from "./outbox.js";
import type { Notification } from "./payload.js";

/**
 * The outbox as the bridge's stages see it: a SQLite file for one process, or PostgreSQL shared by
 * several bridge instances. Every method is one transaction of the store, so each stage can stop
 * anywhere and any instance picks up where it left off. Work is claimed before it is done (alerts
 * for routing, mails for sending): in a shared store a claim is a lease, renewed only while the work
 * it covers goes on (a routing round, a send), that expires when its instance dies or gives up, so
 * another instance finishes the work.
 */
export interface OutboxStore {
  /** Where the outbox is, for messages: a file path, or a URL without its password. */
  readonly where: string;
  readonly migration: MigrationReport;
  /** Store one webhook payload; alerts seen within the dedupe window (by any instance) are stored as duplicates. */
  accept(notification: Notification, now: number, dedupeWindowMs: number): Promise<AcceptResult>;
  /** What became of each alert's problem (its fingerprint and startsAt) so far, by alert id. */
  problems(alerts: readonly StoredAlert[]): Promise<Map<number, ProblemState>>;
  /** Claim due alerts for routing. */
  claimAlerts(now: number, limit: number): Promise<StoredAlert[]>;
  /** Write the routing of claimed alerts: their items, and the alerts as routed. */
  route(
    routed: ReadonlyArray<{ alert: StoredAlert; items: readonly RoutedItem[] }>,
    now: number,
  ): Promise<void>;
  /**
   * A round that claimed alerts failed: its claims go back at once, for any instance to take (this one
   * included, at its next round). A claim is only kept while the round that made it goes on.
   */
  abandonClaims(): Promise<void>;
  /** The directory could not answer: these claimed alerts are tried again later. */
  defer(
    alerts: readonly StoredAlert[],
    retryAt: (alert: StoredAlert) => number,
    error: string,
  ): Promise<void>;
  /**
   * One mail per recipient whose coalescing window (see CoalescingWindow) closed at `now`,
   * composed from all the recipient's queued items; never two instances
   * at once, so a recipient gets one mail per window. The composition names the items its mail
   * carries and the dead ones (dead-lettered with their reason). Returns the number of mails created.
   */
  coalesce(
    window: CoalescingWindow,
    limit: number,
    compose: (items: readonly QueuedItem[]) => Composition,
    now: number,
  ): Promise<number>;
  /** Queue each digest whose (kind, recipient, period) has none yet; returns how many were new. */
  createDigests(digests: readonly NewDigest[], now: number): Promise<number>;
  /** The snapshot of the recipient's last digest of this kind before `period`. */
  previousDigest(kind: string, recipient: string, period: string): Promise<string | undefined>;
  /** Claim due mails for sending (marked `sending`). */
  claimMails(now: number, limit: number): Promise<StoredMail[]>;
  record(attempt: Attempt): Promise<void>;
  /** One small transaction of retention (rows older than `cutoff` nothing waits for); returns rows deleted. */
  prune(cutoff: number, limit: number): Promise<number>;
  /** The store's size in bytes, for the `outbox_size_bytes` metric. */
  sizeBytes(): Promise<number>;
  /** Rejected and dead mails matching the filter go back to pending, due now; returns how many. */
  requeue(filter: RequeueFilter, now: number): Promise<number>;
  /** A send given up at shutdown: back to pending, not counted as an attempt. */
  release(mailId: number): Promise<void>;
  /** Mails this store's owner left `sending` at its last stop go back to pending; returns how many. */
  recoverInFlight(): Promise<number>;
  /** Readiness: one real write; rejects when the store cannot write. */
  probe(now: number): Promise<void>;
  /** When routing or coalescing next has something to do (ms), or undefined when nothing waits. */
  nextPreparation(window: CoalescingWindow): Promise<number | undefined>;
  /** When the next pending mail is due (ms), or undefined when none waits. */
  nextSending(): Promise<number | undefined>;
  stats(): Promise<OutboxStats>;
  history(account: string, limit: number): Promise<HistoryRow[]>;
  /** Statements sent to the store since it opened (each one a round trip for PostgreSQL). */
  readonly statements: number;
  close(): Promise<void>;
}

/** The URL without its password, for messages and logs. */
export const redactUrl = (url: string): string => url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
