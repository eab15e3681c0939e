import type { BridgeConfig } from "../../config/index.js";
import type { Recipient } from "../../directory/index.js";
import { type AccountStatus, type AccountStatusSource, staleServers } from "../../exporter/index.js";
import { DAY_MS, type LocalJournalReader } from "../../journal/index.js";
import type { Logger } from "../../log.js";
import { listHeaders, mailDomain, settingsUrl } from "../headers.js";
import type { NewDigest, NewMail } from "../outbox.js";
import type { AccountLookup, RecipientResolver, ResolvedAccount } from "../route.js";
import type { OutboxStore } from "../store.js";
import { toLanguage } from "../templates/index.js";
import {
  type UnsubscriptionSource,
  unsubscribedReason,
  unsubscribeUrl,
  unsubscriptionFor,
} from "../unsubscribe.js";
import { digestOf, type RunCount, runsInPeriod, type Snapshot, snapshotOf } from "./content.js";
import { lastCompletePeriod, type Period, zonedBounds } from "./period.js";
import { type DigestPeriod, renderCustomerDigest, renderResellerDigest } from "./render.js";

/** Where digests are kept: the outbox store (SQLite or PostgreSQL). */
export type DigestStore = Pick<OutboxStore, "createDigests" | "previousDigest">;

export interface DigestOptions {
  config: BridgeConfig;
  store: DigestStore;
  status: AccountStatusSource;
  resolver: RecipientResolver;
  logger: Logger;
  /** Addresses that unsubscribed from digests get none; without it nobody has. */
  unsubscriptions?: UnsubscriptionSource;
  /** The exporter's run journal: runs are counted over the period's days when it covers them. */
  journal?: Pick<LocalJournalReader, "runs" | "firstDay">;
  /** `kind|period` done in this process: later rounds skip them instead of composing them again. */
  done?: Set<string>;
}

export const digestKinds = [
  { kind: "reseller-week", period: "week", audience: "reseller" },
  { kind: "customer-month", period: "month", audience: "customer" },
] as const;
export type DigestKind = (typeof digestKinds)[number];

const personName = (resolved: ResolvedAccount | undefined): string | undefined => {
  const name = [resolved?.person?.givenName, resolved?.person?.surname].filter(Boolean).join(" ");
  return name === "" ? undefined : name;
};

export interface Addressee {
  recipient: Recipient;
  accounts: AccountStatus[];
  name?: string;
}

/** Who gets which kind of digest about which accounts, by the directory's rules (warnings flags, addresses). */
function addressees(
  kind: DigestKind,
  statuses: readonly AccountStatus[],
  lookup: AccountLookup,
): Map<string, Addressee> {
  const byAddress = new Map<string, Addressee>();
  for (const status of statuses) {
    const resolved = lookup.found.get(status.uid);
    if (!resolved) continue;
    if (kind.audience === "customer" && !resolved.account.notices?.includes("digest")) continue;
    for (const recipient of resolved.resolution.recipients) {
      if (recipient.audience !== kind.audience) continue;
      const key = recipient.address.toLowerCase();
      const entry = byAddress.get(key) ?? {
        recipient,
        accounts: [],
        ...(kind.audience === "customer" && personName(resolved) ? { name: personName(resolved) } : {}),
      };
      if (!entry.accounts.includes(status)) entry.accounts.push(status);
      byAddress.set(key, entry);
    }
  }
  return byAddress;
}

/**
 * The journal's runs of these accounts over the period's days in the recipient's zone, when the journal
 * has them all: it began before the first day and the exporter collected after the last. Otherwise
 * none, and the digest counts by the exporter's counters since the previous digest, saying since when.
 */
async function periodRuns(
  options: DigestOptions,
  firstDay: number | undefined,
  addressee: Addressee,
  period: Period,
  collectedAt: number,
): Promise<Map<string, RunCount> | undefined> {
  const { journal } = options;
  if (!journal || firstDay === undefined) return undefined;
  try {
    const { startMs, endMs } = zonedBounds(period, addressee.recipient.timeZone);
    // A usage day says the exporter was there that day, not since its midnight: the next day is whole.
    if ((firstDay + 1) * DAY_MS > startMs || collectedAt < endMs) return undefined;
    const runs = await Promise.all(addressee.accounts.map((a) => journal.runs(a.uid, startMs, endMs - 1)));
    return runsInPeriod(runs.flat(), startMs, endMs);
  } catch (error) {
    options.logger.warn(
      { period: period.key, err: error instanceof Error ? error.message : String(error) },
      "the run journal cannot be read: the digest counts runs since the previous one",
    );
    return undefined;
  }
}

/**
 * Compose every digest due at `now` (the week or month that ended before it, from `digests.hourUtc` on)
 * and queue those not queued before; returns how many mails were queued. Pure apart from the store,
 * the exporter's state and the directory, so a test runs one round at a chosen `now`.
 */
export async function queueDueDigests(options: DigestOptions, now: number): Promise<number> {
  const { config, store, status, resolver } = options;
  const due = digestKinds.flatMap((kind) => {
    const wanted = kind.audience === "reseller" ? config.digests.resellers : config.digests.customers;
    const period = lastCompletePeriod(kind.period, now);
    const ready = now >= period.endMs + config.digests.hourUtc * 3_600_000;
    return wanted && ready && !options.done?.has(`${kind.kind}|${period.key}`) ? [{ kind, period }] : [];
  });
  if (due.length === 0) return 0;
  // Conditions are told as of the collection the state comes from, the moment its facts were true.
  // With several backup servers, the digest tells only what the servers that answered collected, as of
  // the oldest of their collections, and names the others rather than reporting their accounts.
  const servers = (await status.servers?.()) ?? [];
  const unanswered = staleServers(servers);
  const answered = servers.flatMap((s) => (!s.stale && s.collectedAt ? [s.collectedAt.getTime()] : []));
  const collectedAt =
    servers.length === 0
      ? (await status.collectedAt())?.getTime()
      : answered.length === 0
        ? undefined
        : Math.min(...answered);
  if (collectedAt === undefined) return 0;
  const statuses = (await status.all()).filter((account) => !account.stale);
  if (statuses.length === 0) return 0;
  const lookup = await resolver(statuses.map((s) => s.uid));
  const firstDay = await options.journal?.firstDay().catch((error: unknown) => {
    options.logger.warn(
      { err: error instanceof Error ? error.message : String(error) },
      "the run journal cannot be read: digests count runs since the previous one",
    );
    return undefined;
  });
  let queued = 0;
  for (const { kind, period } of due) {
    const digests: NewDigest[] = [];
    const byAddress = addressees(kind, statuses, lookup);
    const unsubscribed = (await options.unsubscriptions?.([...byAddress.keys()])) ?? [];
    for (const [address, addressee] of byAddress) {
      const unsubscription = unsubscriptionFor(unsubscribed, address, undefined);
      if (unsubscription) {
        options.logger.info(
          { digest: kind.kind, period: period.key, reason: unsubscribedReason(unsubscription) },
          "digest not sent: its recipient unsubscribed",
        );
        continue;
      }
      const previousText = await store.previousDigest(kind.kind, address, period.key);
      const previous = previousText === undefined ? undefined : (JSON.parse(previousText) as Snapshot);
      const names = new Map(
        addressee.accounts.flatMap((a) => {
          const name = personName(lookup.found.get(a.uid));
          return name ? [[a.uid, name] as const] : [];
        }),
      );
      const counted = await periodRuns(options, firstDay, addressee, period, collectedAt);
      const digest = digestOf(addressee.accounts, previous, collectedAt, names, counted);
      digests.push({
        kind: kind.kind,
        recipient: address,
        period: period.key,
        snapshot: JSON.stringify(snapshotOf(addressee.accounts, collectedAt)),
        mail: composeDigest(
          config,
          kind,
          {
            ...period,
            asOfMs: collectedAt,
            sinceMs: previous?.atMs,
            staleServers: unanswered,
            runsInPeriod: !!counted,
          },
          addressee,
          digest,
          now,
        ),
      });
    }
    queued += await store.createDigests(digests, now);
    options.done?.add(`${kind.kind}|${period.key}`);
  }
  return queued;
}

/** The digest mail to one addressee: rendered in its language, with the digest list headers. */
export function composeDigest(
  config: BridgeConfig,
  kind: DigestKind,
  period: DigestPeriod,
  addressee: Addressee,
  digest: ReturnType<typeof digestOf>,
  now: number = Date.now(),
): NewMail {
  const { recipient, accounts } = addressee;
  const language = toLanguage(recipient.language, config.templates.defaultLanguage);
  const [only] = accounts;
  const settings =
    kind.audience === "customer"
      ? accounts.length === 1 && only
        ? settingsUrl(config.templates.selfCareUrl, only.uid)
        : config.templates.selfCareUrl
      : undefined;
  const context = {
    language,
    timeZone: recipient.timeZone,
    period,
    selfCareUrl: config.templates.selfCareUrl,
    ...(addressee.name ? { recipientName: addressee.name } : {}),
    ...(settings ? { settingsUrl: settings } : {}),
  };
  const unsubscribe = unsubscribeUrl(config, recipient.address, "digest", now);
  const rendered =
    kind.audience === "reseller"
      ? renderResellerDigest(digest, context)
      : renderCustomerDigest(digest, context);
  return {
    recipient: {
      address: recipient.address,
      audience: kind.audience,
      language,
      timeZone: recipient.timeZone,
      ...(addressee.name ? { name: addressee.name } : {}),
    },
    ...rendered,
    headers: listHeaders({
      audience: "digest",
      language,
      domain: mailDomain(config.smtp.from),
      replyTo: config.replyTo,
      ...(unsubscribe ? { unsubscribe } : {}),
    }),
    accounts: accounts.map((a) => a.uid),
    tasks: ["digest"],
  };
}

/** Runs a digest round every `digests.checkSeconds` until stopped; each (kind, period) once per process. */
export class DigestScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  private readonly options: DigestOptions;

  constructor(options: DigestOptions) {
    this.options = { ...options, done: new Set() };
  }

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.round().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.options.config.digests.checkSeconds * 1000);
      });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private async round(): Promise<void> {
    try {
      const queued = await queueDueDigests(this.options, Date.now());
      if (queued > 0) this.options.logger.info({ digests: queued }, "digests queued");
    } catch (error) {
      // The exporter or the directory cannot answer: the next round tries again; nothing was half done.
      this.options.logger.warn(
        { err: error instanceof Error ? error.message : String(error) },
        "digests not queued this round; trying again",
      );
    }
  }
}
