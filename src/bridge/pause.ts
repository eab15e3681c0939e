import type { RoutedItem } from "./outbox.js";

/** Someone paused the notifications about an account until a time (Unix ms). */
export interface AccountPause {
  createdBy: string;
  until: number;
}

/** The pause stage's source: the pause in force at `at` for each of these accounts. */
export type PauseSource = (accounts: readonly string[], at: number) => Promise<Map<string, AccountPause>>;

export const pausedReason = (pause: AccountPause): string =>
  `paused by ${pause.createdBy} until ${new Date(pause.until).toISOString().replace(/\.000Z$/, "Z")}`;

/**
 * The pause stage (pure): while an account is paused its customer and reseller mails become
 * suppressed items naming who paused it and until when; operator mails still go out.
 */
export function applyPause(items: readonly RoutedItem[], pause: AccountPause | undefined): RoutedItem[] {
  if (!pause) return [...items];
  const reason = pausedReason(pause);
  return items.map((item) =>
    item.kind === "queued" && item.recipient.audience !== "operator"
      ? { kind: "suppressed", audience: item.recipient.audience, reason, entry: item.entry }
      : item,
  );
}
