import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import type Database from "better-sqlite3";
import { type ParsedMail, simpleParser } from "mailparser";
import { pino } from "pino";
import { SMTPServer } from "smtp-server";
import { afterEach } from "vitest";
import { type BridgeParts, type RunningBridge, startBridge } from "../../src/bridge/index.js";
import { type MailRecipient, type NewMail, SqliteOutbox } from "../../src/bridge/outbox.js";
import { type Config, configSchema } from "../../src/config/index.js";
import type { AccountStatus, AccountStatusSource } from "../../src/exporter/index.js";
import type { Logger } from "../../src/log.js";

export { exampleLdif, freePort, repoRoot, runCli, spawnCli, waitFor } from "../support/common.js";

import { exampleBackupRoot, exampleLdif, freePort, spawnCli, waitFor } from "../support/common.js";

/**
 * The example directory and tree in `dir`, where these accounts asked for the monthly digest; the
 * bridge's settings are the digests' (due from 06:00 UTC), with `bridge` over them.
 */
export function exampleDigestConfig(
  dir: string,
  digestAccounts: readonly string[],
  bridge: Record<string, unknown>,
): Config {
  const ldif = readFileSync(exampleLdif, "utf8").replace(
    new RegExp(`^(uid: (${digestAccounts.join("|")}))$`, "gm"),
    "$1\nsstNotificationWarning: digest",
  );
  const file = path.join(dir, "directory.ldif");
  writeFileSync(file, ldif);
  return configSchema.parse({
    directory: { url: `file:${file}`, cacheTtlSeconds: 0 },
    backup: { root: exampleBackupRoot },
    history: { path: path.join(dir, "history.sqlite") },
    exporter: { listen: { port: 0 } },
    bridge: {
      listen: { port: 0 },
      outbox: path.join(dir, "outbox.sqlite"),
      digests: { hourUtc: 6 },
      ...bridge,
    },
    logging: { level: "fatal" },
  });
}

export const tempDir = (): { dir: string; remove(): void } => {
  const dir = mkdtempSync(path.join(tmpdir(), "stoney-bridge-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
};

export interface ReceivedMail {
  envelopeTo: string[];
  /** The session was encrypted (smtps or STARTTLS). */
  secure: boolean;
  user?: string;
  parsed: ParsedMail;
  raw: string;
}

export interface SmtpSink {
  port: number;
  url: string;
  mails: ReceivedMail[];
  /** Recipients answered with 550 at RCPT TO. */
  rejected: Set<string>;
  /** While true, every RCPT TO is answered with 550 (a relay that refuses everyone). */
  refuseAll: boolean;
  /** While true, every message is answered with 554 after DATA. */
  refuseData: boolean;
  /** Hold the answer to DATA of mails to this address until the returned function is called. */
  hold(address: string): () => void;
  /** Called after each accepted mail was answered with 250. */
  onAccepted?: (mail: ReceivedMail) => void;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Mails addressed to one recipient. */
  to(address: string): ReceivedMail[];
}

/** A real SMTP server (smtp-server) on 127.0.0.1 that keeps every mail it accepts, parsed by mailparser. */
export async function smtpSink(
  options: {
    port?: number;
    started?: boolean;
    /** Implicit TLS (smtps) or STARTTLS, with smtp-server's built-in self-signed certificate. */
    tls?: "implicit" | "starttls";
    auth?: { username: string; password: string };
  } = {},
): Promise<SmtpSink> {
  const port = options.port ?? (await freePort());
  const mails: ReceivedMail[] = [];
  const rejected = new Set<string>();
  const held = new Map<string, Promise<void>>();
  let server: SMTPServer | undefined;
  const sink: SmtpSink = {
    port,
    url: `${options.tls === "implicit" ? "smtps" : "smtp"}://127.0.0.1:${port}`,
    mails,
    rejected,
    refuseAll: false,
    refuseData: false,
    hold(address) {
      let release = () => {};
      held.set(
        address,
        new Promise<void>((resolve) => {
          release = resolve;
        }),
      );
      return () => {
        held.delete(address);
        release();
      };
    },
    to: (address) => mails.filter((m) => m.envelopeTo.includes(address)),
    async start() {
      server = new SMTPServer({
        secure: options.tls === "implicit",
        authOptional: options.auth === undefined,
        allowInsecureAuth: true,
        disabledCommands: [
          ...(options.tls === "starttls" ? [] : ["STARTTLS"]),
          ...(options.auth ? [] : ["AUTH"]),
        ],
        onAuth(auth, _session, callback) {
          if (auth.username === options.auth?.username && auth.password === options.auth?.password)
            return callback(null, { user: auth.username });
          callback(new Error("invalid credentials"));
        },
        logger: false,
        size: 10 * 1024 * 1024,
        onRcptTo(address, _session, callback) {
          if (sink.refuseAll || rejected.has(address.address)) {
            const error = Object.assign(new Error("mailbox unavailable"), { responseCode: 550 });
            return callback(error);
          }
          callback();
        },
        onData(stream, session, callback) {
          const chunks: Buffer[] = [];
          stream.on("data", (chunk: Buffer) => chunks.push(chunk));
          stream.on("end", () => {
            if (sink.refuseData)
              return callback(Object.assign(new Error("transaction failed"), { responseCode: 554 }));
            const raw = Buffer.concat(chunks).toString("utf8");
            const envelopeTo = session.envelope.rcptTo.map((r) => r.address);
            Promise.all(envelopeTo.map((address) => held.get(address)))
              .then(() => simpleParser(raw))
              .then(
                (parsed) => {
                  const mail: ReceivedMail = {
                    envelopeTo,
                    secure: session.secure,
                    ...(typeof session.user === "string" ? { user: session.user } : {}),
                    parsed,
                    raw,
                  };
                  mails.push(mail);
                  callback();
                  sink.onAccepted?.(mail);
                },
                (error: Error) => callback(error),
              );
          });
        },
      });
      const s = server;
      await new Promise<void>((resolve, reject) => {
        s.once("error", reject);
        s.listen(port, "127.0.0.1", () => {
          s.off("error", reject);
          // A client killed mid-session (the crash tests do that) resets its connection: that is the client's end, not the sink's.
          s.on("error", () => {});
          resolve();
        });
      });
    },
    async stop() {
      const s = server;
      server = undefined;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
  if (options.started !== false) await sink.start();
  return sink;
}

/** A validated configuration with fast windows for tests; `bridge` and `directory` merge over the defaults. */
export function testConfig(input: {
  dir: string;
  directory?: Record<string, unknown>;
  bridge?: Record<string, unknown>;
}): Config {
  const bridge = input.bridge ?? {};
  return configSchema.parse({
    directory: { url: `file:${exampleLdif}`, cacheTtlSeconds: 0, ...input.directory },
    bridge: {
      listen: { port: 0 },
      outbox: path.join(input.dir, "outbox.sqlite"),
      coalesceSeconds: 0.2,
      dedupeWindowSeconds: 3600,
      operators: ["ops@backup.example"],
      ...bridge,
      retry: { initialBackoffSeconds: 0.1, maxBackoffSeconds: 0.5, ...(bridge.retry as object) },
      smtp: { url: `file:${path.join(input.dir, "mail")}`, ...(bridge.smtp as object) },
    },
    logging: { level: "warn" },
  });
}

/** A bridge started by a {@link bridgeFixture}, with what tests look at. */
export interface TestBridge {
  bridge: RunningBridge;
  sink: SmtpSink;
  /** The bridge's webhook. */
  url: string;
  config: Config;
  dir: string;
  /** The bridge's log lines at the chosen level and above. */
  lines: Array<Record<string, unknown>>;
}

/**
 * Folders, SMTP sinks and bridges one test starts, stopped after it in the reverse order (an
 * `afterEach` of the block that calls this): a teardown deferred after a bridge started runs
 * before that bridge closes.
 */
export function bridgeFixture() {
  const teardowns: Array<() => unknown> = [];
  /** Stops everything started so far; a test that starts again afterwards gets fresh ones. */
  const close = async () => {
    for (const teardown of teardowns.splice(0).reverse()) await teardown();
  };
  afterEach(close);
  const defer = (teardown: () => unknown) => {
    teardowns.push(teardown);
  };
  const temp = (): string => {
    const t = tempDir();
    defer(t.remove);
    return t.dir;
  };
  const sink = async (options?: Parameters<typeof smtpSink>[0]): Promise<SmtpSink> => {
    const started = await smtpSink(options);
    defer(() => started.stop());
    return started;
  };
  const startWith = async (
    config: Config,
    logger: Logger = captureLogger("fatal").logger,
    parts: BridgeParts = {},
  ): Promise<RunningBridge> => {
    const bridge = await startBridge(config, logger, parts);
    defer(() => bridge.close());
    return bridge;
  };
  /** A bridge on a fresh folder mailing to a fresh SMTP sink; `bridge` (its `smtp` too) and `directory` merge over {@link testConfig}. */
  const start = async (
    input: {
      bridge?: Record<string, unknown>;
      directory?: Record<string, unknown>;
      sink?: Parameters<typeof smtpSink>[0];
      log?: string;
      parts?: BridgeParts;
    } = {},
  ): Promise<TestBridge> => {
    const dir = temp();
    const smtp = await sink(input.sink);
    const bridgeConfig = input.bridge ?? {};
    const config = testConfig({
      dir,
      directory: input.directory,
      bridge: { ...bridgeConfig, smtp: { url: smtp.url, ...(bridgeConfig.smtp as object) } },
    });
    const log = captureLogger(input.log ?? "fatal");
    const bridge = await startWith(config, log.logger, input.parts);
    return { bridge, sink: smtp, url: `${bridge.url}/webhook`, config, dir, lines: log.lines };
  };
  return { temp, sink, start, startWith, defer, close };
}

/** Nothing left to route, coalesce or send. */
export const settled = async (bridge: RunningBridge): Promise<boolean> => {
  const s = await bridge.outbox.stats();
  return s.pendingAlerts === 0 && s.queuedItems === 0 && s.pendingMails === 0;
};

/** `bridge --config <file>` as a child process (put in `children` for the test's clean-up), once /healthz on `port` answers. */
export async function spawnBridge(configFile: string, port: number, children: ChildProcess[]) {
  const { child, exited, stderr } = spawnCli(["bridge", "--config", configFile]);
  children.push(child);
  await waitFor(
    "the bridge to listen",
    async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok,
    30_000,
  ).catch((error: Error) => {
    throw new Error(`${error.message}; stderr: ${stderr()}`);
  });
  return { child, exited };
}

/** A logger whose lines the test can read. */
export function captureLogger(level = "info"): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      for (const line of String(chunk).split("\n")) if (line.trim()) lines.push(JSON.parse(line));
      callback();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

export interface AlertInput {
  account?: string;
  task?: string;
  status?: "firing" | "resolved";
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  fingerprint?: string;
}

let fingerprints = 0;

export function alert(input: AlertInput = {}) {
  const status = input.status ?? "firing";
  const labels: Record<string, string> = {
    alertname: "StoneyBackupTest",
    severity: "warning",
    ...(input.task ? { task: input.task } : {}),
    ...(input.account ? { account: input.account } : {}),
    ...input.labels,
  };
  return {
    status,
    labels,
    annotations: { summary: "test alert", ...input.annotations },
    startsAt: input.startsAt ?? "2026-11-26T10:00:00Z",
    endsAt: status === "resolved" ? "2026-11-26T11:30:00Z" : "0001-01-01T00:00:00Z",
    generatorURL: "http://prometheus.example/graph",
    fingerprint: input.fingerprint ?? `fp${(fingerprints++).toString(16).padStart(12, "0")}`,
  };
}

export function payload(alerts: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}) {
  const status = alerts.some((a) => a.status === "firing") ? "firing" : "resolved";
  return {
    version: "4",
    groupKey: '{}:{task="test"}',
    truncatedAlerts: 0,
    status,
    receiver: "stoney-bridge",
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: "http://alertmanager.example",
    alerts,
    ...extra,
  };
}

export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: response.status, body: parsed };
}

/** The SQLite database under a bridge's outbox, for tests that look at its rows. */
export function sqliteOf(bridge: RunningBridge): Database.Database {
  if (!(bridge.outbox instanceof SqliteOutbox))
    throw new Error(`not a SQLite outbox: ${bridge.outbox.where}`);
  return bridge.outbox.db;
}

/** An English operator in UTC, as the routing stage makes recipients. */
export const operatorRecipient = (address: string): MailRecipient => ({
  address,
  audience: "operator",
  language: "en",
  timeZone: "UTC",
});

/** A plain operator mail with no items behind it, for tests that put mails straight into an outbox. */
export const operatorMail = (address: string, subject: string): { mail: NewMail; itemIds: number[] } => ({
  mail: {
    recipient: operatorRecipient(address),
    subject,
    text: "text",
    html: "<p>html</p>",
    accounts: [],
    tasks: ["monitoring"],
  },
  itemIds: [],
});

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Quota alert annotations as the stack's rules write them (3723702: 97 % of 10 GiB). */
export const quotaAnnotations = {
  summary: "Backup account 3723702 uses 97% of its quota",
  used_bytes: "10415295693",
  quota_bytes: "10737418240",
  used_ratio: "0.97",
  warning_ratio: "0.9",
};

/** One healthy account in the exporter's state: 5 GiB of 10 GiB used, computer "pc" backed up on 26 November. */
export const accountStatus = (uid: string, overrides: Partial<AccountStatus> = {}): AccountStatus => ({
  uid,
  resellers: [],
  neverUsed: false,
  quota: { quotaBytes: 10737418240, usedBytes: 5368709120, usedRatio: 0.5, warningRatio: 0.9 },
  settings: {} as AccountStatus["settings"],
  hosts: [
    {
      host: "pc",
      status: "success",
      running: false,
      lastSuccess: "2026-11-26T19:45:00.000Z",
      missedRuns: 0,
      consecutiveFailures: 0,
      successfulRuns: 12,
      clientOutdated: false,
      clockSkewed: false,
      metadataErrors: 0,
      client: { identifier: "Sepiola Online Backup Client", version: "2.7.1", operatingSystem: "Windows" },
    },
  ],
  ...overrides,
});

/** The exporter's state as the bridge reads it, here from a fixed map instead of an exporter. */
export const fixedStatusSource = (accounts: AccountStatus[]): AccountStatusSource => ({
  collectedAt: async () => new Date(),
  accounts: async (uids) => new Map(accounts.filter((a) => uids.includes(a.uid)).map((a) => [a.uid, a])),
  all: async () => accounts,
});
