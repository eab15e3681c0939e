import { z } from "zod";
import { basicAuthSchema, listenSchema } from "./http.js";

export const tasks = ["quota", "schedule", "unsuccessful", "upgrade", "nobackup", "unreadable"] as const;
export type Task = (typeof tasks)[number];

export const languages = ["en", "de", "fr"] as const;
export type Language = (typeof languages)[number];

const smtpUrlSchema = z
  .string()
  .regex(/^(smtps?:\/\/.+|file:.+)$/, "expected smtp://, smtps:// or file: (a folder for .eml files)");

export const bridgeSchema = z
  .object({
    listen: listenSchema(9852),
    webhookPath: z.string().startsWith("/").default("/webhook"),
    /** Alertmanager authenticates with a bearer token or basic auth (either may come from a file). */
    auth: z
      .object({
        bearerToken: z.string().optional(),
        bearerTokenFile: z.string().optional(),
        basic: basicAuthSchema.optional(),
      })
      .strict()
      .optional(),
    bodyLimitBytes: z
      .number()
      .int()
      .positive()
      .default(16 * 1024 * 1024),
    /** SQLite outbox (relative to the config file). */
    outboxPath: z.string().default("./data/outbox.sqlite"),
    /** Apply pending outbox schema migrations when the bridge starts; false: only `migrate` does. */
    migrateAtStart: z.boolean().default(true),
    /** The same alert notification (fingerprint, status, startsAt) within this window sends no second mail. */
    dedupeWindowSeconds: z.number().nonnegative().default(3600),
    /**
     * The exporter whose `/api/v1/state` the bridge reads for what is true now (resolved mails, digests).
     * Default: this configuration's exporter.listen, with exporter.basicAuth.
     */
    exporterUrl: z.string().url().optional(),
    /**
     * A schedule warning for a computer whose backup is running waits until the run has had this long
     * (from its start) to finish; when it succeeds meanwhile, nobody is mailed. 0: no waiting.
     */
    runningGraceSeconds: z.number().nonnegative().default(7200),
    /** Mails to one recipient within this window go out as one mail. */
    coalesceSeconds: z.number().nonnegative().default(120),
    smtp: z
      .object({
        /** smtp://host:25, smtps://host:465, or file:./data/mail to write .eml files. */
        url: smtpUrlSchema.default("file:./data/mail"),
        /** Upgrade smtp:// with STARTTLS; fail if the server does not offer it. */
        requireTLS: z.boolean().default(false),
        username: z.string().optional(),
        password: z.string().optional(),
        passwordFile: z.string().optional(),
        tls: z
          .object({ caFile: z.string().optional(), rejectUnauthorized: z.boolean().default(true) })
          .strict()
          .prefault({}),
        from: z.string().default("stoney backup <backup-noreply@localhost>"),
        maxConnections: z.number().int().positive().default(5),
        /** Connecting, the greeting, and any silence of the server within a transaction. */
        timeoutMs: z.number().int().positive().default(30_000),
        /**
         * The whole SMTP transaction of one mail, connecting included; a server that stalls one mail
         * (e.g. by trickling its replies) then costs that mail a retry, and nobody else any time.
         */
        mailTimeoutMs: z.number().int().positive().default(120_000),
      })
      .strict()
      .prefault({}),
    retry: z
      .object({
        initialBackoffSeconds: z.number().positive().default(30),
        maxBackoffSeconds: z.number().positive().default(3600),
        /** After this long undelivered, a mail is dead-lettered. */
        maxAgeHours: z.number().positive().default(24),
      })
      .strict()
      .prefault({}),
    /** Alerts without an account label, with audience="operator", or for unknown accounts. */
    operators: z.array(z.string().email()).default([]),
    templates: z
      .object({
        /** Folder with operator overrides of the built-in templates. */
        overrideDir: z.string().optional(),
        /** Where mails send people; when not set, the self-care portal (selfcare.baseUrl, else its listen address). */
        selfCareUrl: z.string().default("https://selfcare.example.org/backup"),
        defaultLanguage: z.enum(languages).default("en"),
        /**
         * Send a mail when the problem is solved, per task (each key optional). A client upgrade or a
         * first backup is news the customer made themselves, so those are off by default.
         */
        resolved: z
          .object({
            quota: z.boolean().default(true),
            schedule: z.boolean().default(true),
            unsuccessful: z.boolean().default(true),
            upgrade: z.boolean().default(false),
            nobackup: z.boolean().default(false),
            unreadable: z.boolean().default(false),
            /** Any other task label, e.g. operator alerts. */
            generic: z.boolean().default(true),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

export type BridgeConfig = z.infer<typeof bridgeSchema>;
