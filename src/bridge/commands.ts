import { existsSync } from "node:fs";
import { type Config, isPostgresUrl } from "../config/index.js";
import { accountHistory, type HistoryRow, migrateOutbox, openOutbox, outboxName } from "./index.js";
import type { RequeueFilter } from "./outbox.js";
import { classifySendError, createMailer } from "./transport.js";

/** `history --account <uid>`: what the outbox sent (or did not send, and why) about one account. */
export async function historyCommand(
  config: Config,
  options: { account: string; limit: string; json?: boolean },
): Promise<number> {
  const { bridge } = config;
  if (!isPostgresUrl(bridge.outbox) && !existsSync(bridge.outbox)) {
    process.stderr.write(`no outbox at ${bridge.outbox}: the bridge has not run with this configuration\n`);
    return 1;
  }
  const limit = Number.parseInt(options.limit, 10);
  let rows: HistoryRow[];
  try {
    rows = await accountHistory(bridge, options.account, Number.isFinite(limit) && limit > 0 ? limit : 100);
  } catch (error) {
    process.stderr.write(`cannot read the outbox ${outboxName(bridge)}: ${(error as Error).message}\n`);
    return 1;
  }
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify(
        rows.map((r) => ({ ...r, at: new Date(r.at).toISOString() })),
        null,
        2,
      )}\n`,
    );
    return 0;
  }
  if (rows.length === 0) {
    process.stdout.write(`nothing recorded for account ${options.account}\n`);
    return 0;
  }
  const table = [
    ["time (UTC)", "recipient", "audience", "task", "status", "outcome", "message id"],
    ...rows.map((r) => [
      new Date(r.at).toISOString().replace("T", " ").slice(0, 19),
      r.recipient ?? "-",
      r.audience ?? "-",
      r.task,
      r.status,
      r.outcome,
      r.messageId ?? "-",
    ]),
  ];
  const widths = table[0]?.map((_, i) => Math.max(...table.map((row) => (row[i] ?? "").length))) ?? [];
  for (const row of table)
    process.stdout.write(
      `${row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd()}\n`,
    );
  return 0;
}

/** `migrate`: apply pending outbox schema migrations, for operators who run them apart from the bridge. */
export async function migrateCommand(config: Config): Promise<number> {
  const where = outboxName(config.bridge);
  try {
    const { from, to, applied } = await migrateOutbox(config.bridge);
    process.stdout.write(
      applied.length === 0
        ? `outbox ${where}: schema at version ${to}, nothing to do\n`
        : `outbox ${where}: schema migrated from version ${from} to ${to} (${applied.map((m) => `${m.version} ${m.name}`).join(", ")})\n`,
    );
    return 0;
  } catch (error) {
    process.stderr.write(`cannot migrate the outbox ${where}: ${(error as Error).message}\n`);
    return 1;
  }
}

export interface RequeueOptions {
  since?: string;
  until?: string;
  recipient?: string;
  account?: string;
}

/** A time on the command line: RFC 3339 / ISO 8601 (`2026-12-01T08:00:00Z`, `2026-12-01`). */
function commandLineTime(option: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms))
    throw new Error(`--${option}: expected a time such as 2026-12-01T08:00:00Z, got "${text}"`);
  return ms;
}

/**
 * `requeue`: rejected and dead mails (by creation time range, recipient or account) go back to
 * pending; a running bridge sends them within a second, with the same Message-ID. Bad options exit 2.
 */
export async function requeueCommand(config: Config, options: RequeueOptions): Promise<number> {
  let filter: RequeueFilter;
  try {
    const since = commandLineTime("since", options.since);
    const until = commandLineTime("until", options.until);
    filter = {
      ...(since !== undefined ? { since } : {}),
      ...(until !== undefined ? { until } : {}),
      ...(options.recipient ? { recipient: options.recipient } : {}),
      ...(options.account ? { account: options.account } : {}),
    };
    if (Object.keys(filter).length === 0)
      throw new Error("name the mails to requeue: --since/--until, --recipient or --account");
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  const { bridge } = config;
  if (!isPostgresUrl(bridge.outbox) && !existsSync(bridge.outbox)) {
    process.stderr.write(`no outbox at ${bridge.outbox}: the bridge has not run with this configuration\n`);
    return 1;
  }
  try {
    const outbox = await openOutbox(bridge, { owner: false, migrate: false });
    try {
      const count = await outbox.requeue(filter, Date.now());
      process.stdout.write(`requeued ${count} rejected or dead mail${count === 1 ? "" : "s"}\n`);
    } finally {
      await outbox.close();
    }
    return 0;
  } catch (error) {
    process.stderr.write(`cannot requeue in the outbox ${outboxName(bridge)}: ${(error as Error).message}\n`);
    return 1;
  }
}

/** The mail part of `check-config`: connect to the SMTP server (or check the .eml folder) and say how it went. */
export async function checkMailCommand(config: Config): Promise<boolean> {
  const mailer = createMailer(config.bridge.smtp);
  const where = config.bridge.smtp.url.replace(/\/\/[^@/]*@/, "//");
  try {
    process.stdout.write(`mail ${where}: ok (${await mailer.verify()})\n`);
    return true;
  } catch (error) {
    process.stdout.write(`mail ${where}: FAILED: ${classifySendError(error).message}\n`);
    return false;
  } finally {
    mailer.close();
  }
}
