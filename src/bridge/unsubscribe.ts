import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import type { BridgeConfig } from "../config/index.js";
import type { RoutedItem } from "./outbox.js";

/**
 * What a recipient can unsubscribe from: one account's alert mails (`alerts:<uid>`), the alert mails
 * about every account (`alerts`, offered by a mail that lists several accounts), or the digests (`digest`).
 */
export type Stream = `alerts:${string}` | "alerts" | "digest";

export const isStream = (text: string): text is Stream =>
  text === "alerts" || text === "digest" || /^alerts:[^\s:]{1,256}$/.test(text);

/** The streams that carry a mail about `account` (or a digest): an unsubscription from any of them stops it. */
export const streamsOf = (account: string | undefined): Stream[] =>
  account === undefined ? ["digest"] : [`alerts:${account}`, "alerts"];

/** The streams an account's page shows for its recipients: its own alerts, every account's alerts, digests. */
export const accountStreams = (account: string): Stream[] => [`alerts:${account}`, "alerts", "digest"];

/** The account a stream names, if it names one. */
export const streamAccount = (stream: Stream): string | undefined =>
  stream.startsWith("alerts:") ? stream.slice("alerts:".length) : undefined;

/** `alerts of account 3723702`, `alerts about every account`, `digests`: the stream in log and history text. */
export const streamText = (stream: Stream): string => {
  const account = streamAccount(stream);
  return account !== undefined
    ? `alerts of account ${account}`
    : stream === "alerts"
      ? "alerts about every account"
      : "digests";
};

/** What a one-click link says: this address no longer wants this stream; the link works until `expires` (Unix ms). */
export interface UnsubscribeClaim {
  address: string;
  stream: Stream;
  expires: number;
}

const claimSchema = z
  .object({
    a: z.string().min(3).max(320),
    s: z.string().refine(isStream),
    e: z.number().int().positive(),
  })
  .strict();

const signature = (secret: string, payload: string): Buffer =>
  createHmac("sha256", secret).update(payload).digest();

/** `<payload>.<signature>`, both base64url: the payload is JSON `{a, s, e}` (address, stream, expiry in seconds). */
export function signClaim(secret: string, claim: UnsubscribeClaim): string {
  const payload = Buffer.from(
    JSON.stringify({ a: claim.address, s: claim.stream, e: Math.ceil(claim.expires / 1000) }),
  ).toString("base64url");
  return `${payload}.${signature(secret, payload).toString("base64url")}`;
}

export type ClaimCheck =
  | { ok: true; claim: UnsubscribeClaim }
  /** `forged`: not signed with the secret, or altered; `expired`: signed, but too old (the claim says what it was). */
  | { ok: false; reason: "forged" }
  | { ok: false; reason: "expired"; claim: UnsubscribeClaim };

/** Check a token's signature (in constant time) before reading anything in it, then its expiry. */
export function checkClaim(secret: string, token: string, now: number): ClaimCheck {
  const [payload, signed, ...rest] = token.split(".");
  if (payload === undefined || signed === undefined || rest.length > 0)
    return { ok: false, reason: "forged" };
  const expected = signature(secret, payload);
  const given = Buffer.from(signed, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: "forged" };
  let parsed: z.infer<typeof claimSchema>;
  try {
    parsed = claimSchema.parse(JSON.parse(Buffer.from(payload, "base64url").toString("utf8")));
  } catch {
    // Signed with our key but not ours in shape: treated as forged, never trusted.
    return { ok: false, reason: "forged" };
  }
  const claim: UnsubscribeClaim = { address: parsed.a, stream: parsed.s as Stream, expires: parsed.e * 1000 };
  return claim.expires > now ? { ok: true, claim } : { ok: false, reason: "expired", claim };
}

/**
 * The one-click link of a mail to `address` about `stream`: `<selfCareUrl>/unsubscribe/<token>`. None
 * without a signing key, or when the portal is not on `https://` (RFC 8058 wants one).
 */
export function unsubscribeUrl(
  config: Pick<BridgeConfig, "unsubscribe" | "templates">,
  address: string,
  stream: Stream,
  now: number,
): string | undefined {
  const { secret, linkDays } = config.unsubscribe;
  const base = config.templates.selfCareUrl;
  if (!secret || !base.startsWith("https://")) return undefined;
  const token = signClaim(secret, { address, stream, expires: now + linkDays * 86_400_000 });
  return `${base.replace(/\/+$/, "")}/unsubscribe/${token}`;
}

/** An address unsubscribed from a stream (`address` in lower case); ended when undone. */
export interface Unsubscription {
  id: number;
  address: string;
  stream: Stream;
  createdAt: number;
  /** Who unsubscribed: the address itself through its link. */
  createdBy: string;
  endedAt?: number;
  endedBy?: string;
}

/** The unsubscription stage's source: the unsubscriptions in force for these addresses (any case). */
export type UnsubscriptionSource = (addresses: readonly string[]) => Promise<Unsubscription[]>;

const day = (at: number) => new Date(at).toISOString().slice(0, 10);

/** `unsubscribed: anna@example.org from alerts of account 3723702 on 2026-12-06`: history's reason. */
export const unsubscribedReason = (u: Pick<Unsubscription, "address" | "stream" | "createdAt">): string =>
  `unsubscribed: ${u.address} from ${streamText(u.stream)} on ${day(u.createdAt)}`;

/** The unsubscription of `address` that stops a mail about `account` (a digest: undefined), if any. */
export function unsubscriptionFor(
  unsubscriptions: readonly Unsubscription[],
  address: string,
  account: string | undefined,
): Unsubscription | undefined {
  const key = address.toLowerCase();
  const streams: readonly Stream[] = streamsOf(account);
  return unsubscriptions.find((u) => u.address === key && streams.includes(u.stream));
}

/**
 * The unsubscription stage (pure): a customer's or reseller's mail about an account whose address
 * unsubscribed from that account's alerts (or from all alerts) becomes a suppressed item saying so.
 */
export function applyUnsubscriptions(
  items: readonly RoutedItem[],
  account: string | undefined,
  unsubscriptions: readonly Unsubscription[],
): RoutedItem[] {
  if (unsubscriptions.length === 0 || account === undefined) return [...items];
  return items.map((item) => {
    if (item.kind !== "queued" || item.recipient.audience === "operator") return item;
    const found = unsubscriptionFor(unsubscriptions, item.recipient.address, account);
    return found
      ? {
          kind: "suppressed",
          audience: item.recipient.audience,
          reason: unsubscribedReason(found),
          entry: item.entry,
        }
      : item;
  });
}
