import { randomUUID } from "node:crypto";
import { writeFile } from "node:fs/promises";
import nodemailer from "nodemailer";
import { type Config, type Language, type Task, tasks } from "../config/index.js";
import { type Directory, openDirectory } from "../directory/index.js";
import type { AccountStatus, AccountStatusSource } from "../exporter/index.js";
import type { Logger } from "../log.js";
import { composeMail } from "./compose.js";
import { digestOf } from "./digests/content.js";
import { lastCompletePeriod } from "./digests/period.js";
import { composeDigest, digestKinds } from "./digests/scheduler.js";
import { mailDomain } from "./headers.js";
import { clientFacts, directoryResolver, exporterStatus } from "./index.js";
import type { NewMail, QueuedItem, StoredAlert } from "./outbox.js";
import { presentVerdict } from "./present.js";
import { templateSource } from "./templates/index.js";
import { composedMail } from "./transport.js";

export interface PreviewOptions {
  task: Task | "digest";
  /** `partial`: the task's problem solved while another of the account's is still open. */
  status: "firing" | "resolved" | "partial";
  language: Language;
  audience: "customer" | "reseller" | "operator";
  /** A real account: its directory entry (names) and the exporter's state (facts) instead of the sample's. */
  account?: string;
}

const SAMPLE_ACCOUNT = "3723702";
const HOUR = 3_600_000;

/** A customer named as people in each language are, for greetings and reseller mails. */
const sampleNames: Record<Language, string> = { de: "Bruno Bärtschi", fr: "Zoë Lefèvre", en: "Anna Smith" };

/** The exporter's state of one healthy sample computer, after the problem was solved. */
const sampleStatus = (uid: string, now: number, extra: Partial<AccountStatus> = {}): AccountStatus => ({
  uid,
  resellers: ["4000001"],
  neverUsed: false,
  quota: { quotaBytes: 10 * 2 ** 30, usedBytes: 7.4 * 2 ** 30, usedRatio: 0.74, warningRatio: 0.9 },
  settings: {
    warnings: { value: true },
    quotaWarningPercent: { value: 90 },
    missedBackupsThreshold: { value: 1 },
    missedDaysThreshold: { value: 1 },
    failuresThreshold: { value: 1 },
    quotaFullDays: { value: 14 },
  },
  hosts: [
    {
      host: "büro-pc",
      status: "success",
      running: false,
      lastStart: new Date(now - 3 * HOUR).toISOString(),
      lastEnd: new Date(now - 2 * HOUR).toISOString(),
      lastSuccess: new Date(now - 2 * HOUR).toISOString(),
      missedRuns: 0,
      consecutiveFailures: 0,
      successfulRuns: 30,
      clientOutdated: false,
      clockSkewed: false,
      metadataErrors: 0,
      client: { identifier: "Sepiola Online Backup Client", version: "2.7.1", operatingSystem: "Windows" },
    },
  ],
  ...extra,
});

const seconds = (ms: number) => String(Math.round(ms / 1000));

/** What the alert rules annotate for each task, with plausible values. */
function sampleAnnotations(task: Task, now: number): Record<string, string> {
  switch (task) {
    case "quota":
      return {
        used_bytes: "10415295693",
        quota_bytes: "10737418240",
        used_ratio: "0.9700",
        warning_ratio: "0.9000",
      };
    case "schedule":
      return {
        missed_schedules: "2",
        threshold: "1",
        last_success_timestamp: seconds(now - 50 * HOUR),
        next_schedule_timestamp: seconds(now + 7 * HOUR),
      };
    case "unsuccessful":
      return { consecutive_failures: "3", threshold: "1", last_success_timestamp: seconds(now - 74 * HOUR) };
    case "upgrade":
      return { client_identifier: "Sepiola Online Backup Client", client_version: "2.4.0" };
    case "nobackup":
      return { created_timestamp: seconds(now - 30 * 24 * HOUR) };
    case "unreadable":
      return { metadata_errors: "2" };
  }
}

interface Sources {
  status?: AccountStatusSource;
  directory?: Directory;
}

interface Problem {
  task: Task;
  status: "firing" | "resolved";
}

/** The problems a preview mail is about: one, or for `partial` this one solved and another still open. */
const previewProblems = (task: Task, status: PreviewOptions["status"]): Problem[] =>
  status === "partial"
    ? [
        { task, status: "resolved" },
        { task: task === "schedule" ? "unsuccessful" : "schedule", status: "firing" },
      ]
    : [{ task, status }];

/** The queued item the bridge would hold for this alert and recipient. */
async function previewItem(
  config: Config,
  options: PreviewOptions,
  { task, status }: Problem,
  sources: Sources,
  now: number,
) {
  const uid = options.account ?? SAMPLE_ACCOUNT;
  let name = sampleNames[options.language];
  let address = `${options.audience}@example.org`;
  let contact = "customer@example.org";
  let timeZone = config.directory.defaults.timeZone;
  let state = sampleStatus(uid, now);
  if (options.account && sources.directory) {
    const lookup = await directoryResolver(sources.directory, config.directory)([options.account]);
    const resolved = lookup.found.get(options.account);
    const person = [resolved?.person?.givenName, resolved?.person?.surname].filter(Boolean).join(" ");
    if (person) name = person;
    const recipient = resolved?.resolution.recipients.find((r) => r.audience === options.audience);
    const customer = resolved?.resolution.recipients.find((r) => r.audience === "customer");
    if (customer) contact = customer.address;
    if (recipient) {
      address = recipient.address;
      timeZone = recipient.timeZone;
    }
  }
  if (options.account && sources.status) {
    const real = (await sources.status.accounts([options.account])).get(options.account);
    if (real) state = real;
  }
  const host = state.hosts[0]?.host ?? "büro-pc";
  const alert: StoredAlert = {
    id: 0,
    receivedAt: now,
    fingerprint: `preview ${task}`,
    status,
    startsAt: new Date(now - 26 * HOUR).toISOString(),
    ...(status === "resolved" ? { endsAt: new Date(now).toISOString() } : {}),
    account: uid,
    task,
    labels: { alertname: "Preview", account: uid, host, task, severity: "warning" },
    annotations: sampleAnnotations(task, now),
    attempts: 0,
  };
  const verdict = presentVerdict(alert, state);
  if (verdict.kind === "persists")
    throw new Error(
      `the bridge would hold this resolution: the exporter's state still shows the problem (${verdict.why})`,
    );
  const item: QueuedItem = {
    id: 0,
    alertId: 0,
    createdAt: now,
    account: uid,
    task,
    recipient: {
      address,
      audience: options.audience,
      language: options.language,
      timeZone,
      ...(options.audience === "customer" ? { name } : {}),
    },
    entry: {
      task,
      status,
      labels: alert.labels,
      annotations: verdict.annotations,
      ...(verdict.kind === "confirmed" ? {} : { resolution: verdict.kind }),
      startsAt: alert.startsAt,
      ...(alert.endsAt ? { endsAt: alert.endsAt } : {}),
      ...(options.audience === "customer" ? {} : { customerName: name, customerContact: contact }),
    },
  };
  return item;
}

/** A reseller's week or a customer's month over a few sample accounts: healthy, full, failing, never used. */
function previewDigest(config: Config, options: PreviewOptions, now: number): NewMail {
  const period = lastCompletePeriod(options.audience === "customer" ? "month" : "week", now);
  const healthy = sampleStatus("3723701", now);
  const full = sampleStatus("3723702", now, {
    quota: { quotaBytes: 10 * 2 ** 30, usedBytes: 9.7 * 2 ** 30, usedRatio: 0.97, warningRatio: 0.9 },
  });
  const failing = sampleStatus("3723703", now, {
    hosts: (healthy.hosts ?? []).map((h) => ({
      ...h,
      host: "srv",
      status: "failed",
      consecutiveFailures: 3,
    })),
  });
  const never = sampleStatus("3723706", now, { neverUsed: true, hosts: [], quota: { warningRatio: 0.9 } });
  const accounts = options.audience === "customer" ? [healthy] : [failing, full, never, healthy];
  const previous = {
    accounts: Object.fromEntries(
      accounts.map((a) => [
        a.uid,
        {
          ...(a.quota.usedBytes === undefined ? {} : { usedBytes: a.quota.usedBytes - 0.3 * 2 ** 30 }),
          runs: Object.fromEntries(a.hosts.map((h) => [h.host, h.successfulRuns - 29])),
        },
      ]),
    ),
  };
  const names = new Map([
    ["3723701", "Jürg Müller"],
    ["3723702", "Jürg Müller"],
    ["3723703", "Zoë Lefèvre"],
  ]);
  const digest = digestOf(accounts, previous, now, names);
  const [kind] = digestKinds.filter(
    (k) => k.audience === (options.audience === "customer" ? "customer" : "reseller"),
  );
  if (!kind) throw new Error("no digest kind");
  const recipient = {
    address: `${options.audience}@example.org`,
    audience: kind.audience,
    language: options.language,
    timeZone: config.directory.defaults.timeZone,
    source: { kind: "person" as const, uid: "sample" },
  };
  // The sample's previous digest was taken at the start of the period, its state collected now.
  return composeDigest(
    config.bridge,
    kind,
    { ...period, asOfMs: now, sinceMs: period.startMs },
    { recipient, accounts, name: sampleNames[options.language] },
    digest,
    now,
  );
}

/** The mail the bridge would send, from a sample alert (or digest) or a real account. */
export async function previewMail(
  config: Config,
  options: PreviewOptions,
  logger: Logger,
  now = Date.now(),
): Promise<NewMail> {
  if (options.task === "digest") return previewDigest(config, options, now);
  const directory = options.account ? openDirectory(config.directory, logger) : undefined;
  const status = options.account ? exporterStatus(config, logger) : undefined;
  try {
    const sources = { ...(status ? { status } : {}), ...(directory ? { directory } : {}) };
    const items = await Promise.all(
      previewProblems(options.task, options.status).map((problem) =>
        previewItem(config, options, problem, sources, now),
      ),
    );
    return composeMail(items, {
      config: config.bridge,
      operatorTimeZone: config.directory.defaults.timeZone,
      templates: templateSource(config.bridge.templates.overrideDir, logger),
      builtinTemplates: templateSource(undefined, logger),
      logger,
      clients: clientFacts(config),
      now,
    });
  } finally {
    await directory?.close();
  }
}

/** The message as it would go out (RFC 5322, both parts), for `preview --out`. */
export async function messageOf(config: Config, mail: NewMail): Promise<Buffer> {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "unix" });
  const info = await transport.sendMail(
    composedMail(config.bridge.smtp.from, {
      to: mail.recipient.address,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      messageId: `<${randomUUID()}@${mailDomain(config.bridge.smtp.from)}>`,
      ...(mail.headers ? { headers: mail.headers } : {}),
    }),
  );
  return info.message as Buffer;
}

export const previewTasks: readonly string[] = [...tasks, "digest"];

/** `preview`: print the text part (or the HTML) or write the whole message to a file. */
export async function previewCommand(
  config: Config,
  options: PreviewOptions & { out?: string; html?: boolean },
  logger: Logger,
): Promise<number> {
  const mail = await previewMail(config, options, logger);
  if (options.out) {
    await writeFile(options.out, await messageOf(config, mail));
    process.stdout.write(`wrote ${options.out}: ${mail.subject}\n`);
    return 0;
  }
  const headers = Object.entries(mail.headers ?? {}).map(([k, v]) => `${k}: ${v}`);
  process.stdout.write(
    [
      `To: ${mail.recipient.address}`,
      `Subject: ${mail.subject}`,
      ...headers,
      "",
      options.html ? mail.html : mail.text,
    ].join("\n"),
  );
  return 0;
}
