import { z } from "zod";
import { backupServerExportersSchema, basicAuthSchema, listenSchema } from "./http.js";

export const tasks = ["quota", "schedule", "unsuccessful", "upgrade", "nobackup", "unreadable"] as const;
export type Task = (typeof tasks)[number];

export const languages = ["en", "de", "fr"] as const;
export type Language = (typeof languages)[number];

const smtpUrlSchema = z
  .string()
  .regex(/^(smtps?:\/\/.+|file:.+)$/, "expected smtp://, smtps:// or file: (a folder for .eml files)");

/** A `postgres://` or `postgresql://` outbox; anything else is a SQLite file. */
export const isPostgresUrl = (outbox: string): boolean => /^postgres(ql)?:\/\//i.test(outbox);

export const bridgeSchema = z
  .object({
    listen: listenSchema(9852, "HTTP listener of the bridge (webhook, metrics, health)."),
    webhookPath: z.string().startsWith("/").default("/webhook").describe("Where Alertmanager posts."),
    auth: z
      .object({
        bearerToken: z
          .string()
          .optional()
          .describe("`Authorization: Bearer …` expected, inline (prefer the file or `STONEY_BRIDGE_TOKEN`)."),
        bearerTokenFile: z
          .string()
          .optional()
          .describe("File holding the bearer token; `STONEY_BRIDGE_TOKEN` overrides it."),
        basic: basicAuthSchema
          .optional()
          .describe("Basic auth expected (either credential is accepted when both are set)."),
      })
      .strict()
      .optional()
      .describe(
        "How Alertmanager authenticates: a bearer token or basic auth (either may come from a file).",
      ),
    bodyLimitBytes: z
      .number()
      .int()
      .positive()
      .default(16 * 1024 * 1024)
      .describe("Larger bodies get 413 (10,000 alerts are about 4.3 MiB)."),
    outbox: z
      .string()
      .min(1)
      .default("./data/outbox.sqlite")
      .describe(
        "The outbox: a SQLite file (relative to the config file) that one bridge process owns, or a `postgres://` URL that several bridge instances share (see docs/ha.md).",
      ),
    outboxPath: z
      .never({ error: "renamed to bridge.outbox (a SQLite file or a postgres:// URL)" })
      .optional()
      .describe("Old name of `outbox`: refused with the new name."),
    postgres: z
      .object({
        password: z
          .string()
          .optional()
          .describe(
            "The PostgreSQL password, inline (prefer the file or `PGPASSWORD`); wins over one in the URL.",
          ),
        passwordFile: z
          .string()
          .optional()
          .describe("File holding the PostgreSQL password; `PGPASSWORD` overrides it."),
        tls: z
          .object({
            caFile: z
              .string()
              .optional()
              .describe("CA certificate of the server, when it is not a public one."),
            rejectUnauthorized: z.boolean().default(true).describe("Check the server's certificate."),
          })
          .strict()
          .optional()
          .describe(
            "TLS towards PostgreSQL (present: on). Without it, `sslmode=` in the URL works too; with it, the URL's ssl parameters are ignored.",
          ),
        leaseSeconds: z
          .number()
          .positive()
          .default(30)
          .describe(
            "An instance's claim on alerts and mails, renewed only while the work it covers goes on: a dead or stuck instance's work waits at most this long for another.",
          ),
        poolSize: z.number().int().positive().default(10).describe("Connections per bridge instance."),
      })
      .strict()
      .prefault({})
      .describe("A `postgres://` outbox: password, TLS, leases."),
    migrateAtStart: z
      .boolean()
      .default(true)
      .describe("Apply pending outbox schema migrations when the bridge starts; false: only `migrate` does."),
    retentionDays: z
      .number()
      .positive()
      .default(90)
      .describe(
        "Finished outbox records (mails sent, rejected or dead, their attempts, items and alerts) older than this are deleted, in small transactions, and no longer show in `history`.",
      ),
    repeatIntervalSeconds: z
      .number()
      .positive()
      .default(14_400)
      .describe(
        "Alertmanager's `repeat_interval` for the bridge's receivers (Alertmanager's default, 4 h): an alert already mailed is mailed again as a reminder once this long has passed; a sooner repeat (a group change, an HA replica, a retry) is a duplicate.",
      ),
    repeatIntervals: z
      .record(z.string(), z.number().positive())
      .default({})
      .describe(
        "`repeat_interval` in seconds per Alertmanager receiver name, for routes that set their own (e.g. `bridge-customers: 86400`).",
      ),
    dedupeWindowSeconds: z
      .number()
      .nonnegative()
      .optional()
      .describe(
        "Overrides the window the repeat intervals give: the same alert notification (fingerprint, status, startsAt) within this window sends no second mail.",
      ),
    exporters: backupServerExportersSchema("the bridge"),
    exporterUrl: z
      .string()
      .url()
      .optional()
      .describe(
        "The exporter whose `/api/v1/state` the bridge reads for what is true now (resolved mails, digests), when there is one backup server; absent (and no `exporters`): this configuration's `exporter.listen`, with `exporter.basicAuth`.",
      ),
    runningGraceSeconds: z
      .number()
      .nonnegative()
      .default(7200)
      .describe(
        "A schedule warning for a computer whose backup is running waits until the run has had this long (from its start) to finish; when it succeeds meanwhile, nobody is mailed. 0: no waiting.",
      ),
    resolvedHold: z
      .object({
        recheckSeconds: z
          .number()
          .positive()
          .default(300)
          .describe(
            "A resolution the exporter's state contradicts (usage still at or above the warning level, no successful backup since the problem began, …) is held and checked again this often.",
          ),
        maxHours: z
          .number()
          .nonnegative()
          .default(24)
          .describe(
            "A resolution the state still contradicts after this long (from its arrival) is mailed to nobody; `history` shows why.",
          ),
      })
      .prefault({})
      .describe("Resolutions the exporter's present state does not agree with yet."),
    digests: z
      .object({
        resellers: z
          .boolean()
          .default(true)
          .describe("A weekly report (the ISO week just ended) to each reseller about all its accounts."),
        customers: z
          .boolean()
          .default(true)
          .describe(
            "A monthly report to each customer whose account lists `digest` in `directory.attributes.notices`.",
          ),
        hourUtc: z
          .number()
          .int()
          .min(0)
          .max(23)
          .default(6)
          .describe("The hour (UTC) of the first day after the week or month from which its digests go out."),
        checkSeconds: z
          .number()
          .positive()
          .default(600)
          .describe("How often the bridge looks whether digests are due (they need the exporter's state)."),
      })
      .strict()
      .prefault({})
      .describe(
        "Digests from the exporter's state, sent through the outbox: one per recipient and period, however many bridges run.",
      ),
    coalesceSeconds: z
      .number()
      .nonnegative()
      .default(120)
      .describe(
        "Coalescing window: a recipient's mail waits until no new problem for them arrived for this long, so a burst's problems go out as one mail (see `coalesceMaxSeconds`). 0: a mail per routing round.",
      ),
    coalesceMaxSeconds: z
      .number()
      .nonnegative()
      .default(600)
      .describe(
        "The longest a recipient's mail waits for further problems after their first queued one, however often new ones arrive (never less than `coalesceSeconds`).",
      ),
    smtp: z
      .object({
        url: smtpUrlSchema
          .default("file:./data/mail")
          .describe("`smtp://host:25`, `smtps://host:465`, or `file:<folder>` to write `.eml` files."),
        requireTLS: z
          .boolean()
          .default(false)
          .describe("Upgrade `smtp://` with STARTTLS; fail if the server does not offer it."),
        username: z.string().optional().describe("SMTP AUTH user (user and password in the URL work too)."),
        password: z
          .string()
          .optional()
          .describe("SMTP AUTH password inline (prefer `passwordFile` or `STONEY_SMTP_PASSWORD`)."),
        passwordFile: z
          .string()
          .optional()
          .describe("File holding the SMTP password; `STONEY_SMTP_PASSWORD` overrides it."),
        tls: z
          .object({
            caFile: z.string().optional().describe("PEM file with the CA of the mail server's certificate."),
            rejectUnauthorized: z.boolean().default(true).describe("Refuse certificates that do not verify."),
          })
          .strict()
          .prefault({})
          .describe("Server certificate checks."),
        from: z
          .string()
          .default("stoney backup <backup-noreply@localhost>")
          .describe("Sender; its domain is the Message-ID domain."),
        // Each mail waits for the relay's answers; a burst of thousands goes out at the rate of the
        // connections, and a local relay takes 10 from one client at ease (Postfix allows 50).
        maxConnections: z
          .number()
          .int()
          .positive()
          .default(10)
          .describe("SMTP pool size: at most this many mails in flight (and resent after a crash)."),
        threads: z
          .number()
          .int()
          .min(1)
          .max(16)
          .default(2)
          .describe(
            "Threads that build and send the mails, sharing maxConnections (at most that many are used): building a mail costs milliseconds, so one thread sends a few hundred a second.",
          ),
        timeoutMs: z
          .number()
          .int()
          .positive()
          .default(30_000)
          .describe(
            "Connecting, the greeting, and any silence of the server within a transaction (socket timeout).",
          ),
        // A server that stalls one mail (e.g. by trickling its replies) then costs that mail a retry,
        // and nobody else any time.
        mailTimeoutMs: z
          .number()
          .int()
          .positive()
          .default(120_000)
          .describe(
            "The whole SMTP transaction of one mail, connecting included; past it the mail is retried later.",
          ),
      })
      .strict()
      .prefault({})
      .describe("The mail server, or a folder for `.eml` files."),
    retry: z
      .object({
        initialBackoffSeconds: z
          .number()
          .positive()
          .default(30)
          .describe("First retry delay of a temporary failure; doubles per attempt …"),
        maxBackoffSeconds: z.number().positive().default(3600).describe("… up to this."),
        maxAgeHours: z
          .number()
          .positive()
          .default(24)
          .describe("A mail undelivered this long is dead-lettered."),
      })
      .strict()
      .prefault({})
      .describe("Backoff of mail retries, also used while the directory cannot answer."),
    replyTo: z
      .string()
      .email()
      .optional()
      .describe(
        "The operator's support address: the `Reply-To` of customer and reseller mails and digests, so a reply reaches a human. A customer whose account's reseller has its own `mail` in the directory gets that address instead. Absent: no `Reply-To` (replies go to `smtp.from`).",
      ),
    operators: z
      .array(z.string().email())
      .default([])
      .describe(
        "Addresses for operator alerts, alerts without an `account` label, and unknown accounts. Operator mails use `templates.defaultLanguage` and `directory.defaults.timeZone`.",
      ),
    unsubscribe: z
      .object({
        secret: z
          .string()
          .optional()
          .describe(
            "Key that signs the one-click unsubscribe links, inline (prefer `secretFile` or `STONEY_UNSUBSCRIBE_SECRET`); at least 32 characters, e.g. `openssl rand -base64 48`. The bridge signs with it and the portal checks with it, so both need the same.",
          ),
        secretFile: z
          .string()
          .optional()
          .describe("File holding that key; `STONEY_UNSUBSCRIBE_SECRET` overrides it."),
        linkDays: z
          .number()
          .int()
          .positive()
          .max(3650)
          .default(90)
          .describe("How long an unsubscribe link in a mail works, in days."),
      })
      .strict()
      .prefault({})
      .describe(
        "One-click unsubscribing (RFC 8058): customer, reseller and digest mails carry a signed `List-Unsubscribe` link to the portal. Without a key (and an `https://` `templates.selfCareUrl`) mails carry no such link.",
      ),
    templates: z
      .object({
        overrideDir: z
          .string()
          .optional()
          .describe(
            "Folder with `<language>.yaml` overrides of the built-in templates (relative to the config file).",
          ),
        selfCareUrl: z
          .string()
          .default("https://selfcare.example.org/backup")
          .describe(
            "Link in every customer and reseller mail (a mail about one account links to `<selfCareUrl>/accounts/<uid>`); absent: the self-care portal, `selfcare.baseUrl` or else its listen address.",
          ),
        clientDownloads: z
          .record(z.string(), z.url({ protocol: /^https?$/ }))
          .default({})
          .describe(
            "Download page per backup client identifier (as in `backup.minimumClientVersions`), linked in upgrade mails next to the installed and the minimum version; a client not listed links to the account's page in the portal.",
          ),
        defaultLanguage: z
          .enum(languages)
          .default("en")
          .describe("Language when `preferredLanguage` is absent or not en, de or fr."),
        // A client upgrade or a first backup is news the customer made themselves, so those are off.
        resolved: z
          .object({
            quota: z.boolean().default(true).describe("Mail when the quota problem is solved."),
            schedule: z.boolean().default(true).describe("Mail when the schedule problem is solved."),
            unsuccessful: z.boolean().default(true).describe("Mail when failing backups succeed again."),
            upgrade: z.boolean().default(false).describe("Mail when the client was upgraded."),
            nobackup: z
              .boolean()
              .default(false)
              .describe("Mail when a never-used account made its first backup."),
            unreadable: z.boolean().default(false).describe("Mail when the client files can be read again."),
            generic: z.boolean().default(true).describe("Any other task label, e.g. operator alerts."),
          })
          .strict()
          .prefault({})
          .describe("Send a mail when the problem is solved, per task (each key optional)."),
      })
      .strict()
      .prefault({})
      .describe("Mail texts: built-in templates in en, de and fr, and their overrides."),
  })
  .strict()
  .prefault({})
  .describe("The Alertmanager webhook and mail sender.");

export type BridgeConfig = z.infer<typeof bridgeSchema>;

/**
 * How long a repeat of an already mailed alert is a duplicate, for a notification of `receiver`: the
 * receiver's repeat_interval less a little slack (Alertmanager repeats at the first group_interval
 * tick after it, never sooner), unless dedupeWindowSeconds says otherwise.
 */
export function dedupeWindowMs(config: BridgeConfig, receiver: string): number {
  if (config.dedupeWindowSeconds !== undefined) return config.dedupeWindowSeconds * 1000;
  const repeatMs = (config.repeatIntervals[receiver] ?? config.repeatIntervalSeconds) * 1000;
  return repeatMs - Math.min(60_000, repeatMs / 10);
}
