import { z } from "zod";
import { backupServerExportersSchema, listenSchema } from "./http.js";

const bound = (min: number, max: number, what: string) =>
  z
    .object({
      min: z.number().int().min(0).default(min).describe("Smallest value a person may choose."),
      max: z.number().int().min(0).default(max).describe("Largest value a person may choose."),
    })
    .strict()
    .refine((b) => b.min <= b.max, { message: "min must not exceed max" })
    .prefault({})
    .describe(what);

export const selfcareSchema = z
  .object({
    listen: listenSchema(9853, "HTTP listener of the self-care portal (pages, `/api/v1`, `/healthz`)."),
    baseUrl: z
      .string()
      .url()
      .optional()
      .describe(
        "The address people open (behind a reverse proxy its public `https://` URL, which also marks the session cookie `Secure`); mails link to `<baseUrl>/accounts/<uid>` unless `bridge.templates.selfCareUrl` is set.",
      ),
    bindDN: z
      .string()
      .optional()
      .describe(
        "The portal's own LDAP account for settings changes (write access to the settings attributes only); absent: `directory.bindDN`.",
      ),
    bindPassword: z
      .string()
      .optional()
      .describe("Its password inline (prefer `bindPasswordFile` or `STONEY_SELFCARE_BIND_PASSWORD`)."),
    bindPasswordFile: z
      .string()
      .optional()
      .describe("File holding that password; `STONEY_SELFCARE_BIND_PASSWORD` overrides it."),
    exporters: backupServerExportersSchema(
      "the portal",
      " Without `history.journal.database`, each account's run journal is read from the same exporter (`/api/v1/journal/…`): a server that does not answer shows its accounts' history as unavailable.",
    ),
    exporterUrl: z
      .string()
      .url()
      .optional()
      .describe(
        "Where `selfcare` alone reads the exporter's `/api/v1/state` (with `exporter.basicAuth`) when there is one backup server; absent (and no `exporters`): `exporter.listen`. `start` reads it in memory.",
      ),
    alertmanagerUrl: z
      .string()
      .url()
      .optional()
      .describe("Alertmanager (API v2): a pause also becomes a silence matching `account`."),
    session: z
      .object({
        idleMinutes: z
          .number()
          .positive()
          .default(30)
          .describe("A session unused this long ends; the person logs in again."),
        cookieName: z
          .string()
          .regex(/^[A-Za-z0-9_-]+$/)
          .default("stoney_selfcare")
          .describe("Name of the session cookie (HttpOnly, SameSite=Lax)."),
      })
      .strict()
      .prefault({})
      .describe("Sessions, kept in the self-care store."),
    throttle: z
      .object({
        freeFailures: z
          .number()
          .int()
          .nonnegative()
          .default(3)
          .describe("Failed logins of one uid from one client address before each further try has to wait."),
        initialDelaySeconds: z
          .number()
          .positive()
          .default(2)
          .describe(
            "The wait after the first failure beyond `freeFailures`; it doubles with each further failure.",
          ),
        maxDelaySeconds: z
          .number()
          .positive()
          .default(900)
          .describe("The longest wait between tries of one uid from one address."),
        uidMaxFailures: z
          .number()
          .int()
          .positive()
          .default(100)
          .describe(
            "Failed logins of one uid from all addresses together within the window, after which that uid is refused from everywhere until they age out (a ceiling for guessers with many addresses).",
          ),
        addressMaxFailures: z
          .number()
          .int()
          .positive()
          .default(30)
          .describe(
            "Failed logins from one client address for any uids within the window, after which that address is refused.",
          ),
        windowSeconds: z.number().int().positive().default(3600).describe("How long a failed login counts."),
      })
      .strict()
      .prefault({})
      .describe(
        "Login throttling: a guesser waits longer after each failure, a person logging in from another address does not; a throttled login gets 429 whatever the password.",
      ),
    bounds: z
      .object({
        quotaWarningPercent: bound(50, 99, "Quota warning level in percent."),
        missedBackupsThreshold: bound(0, 99, "Missed backups to warn after."),
        missedDaysThreshold: bound(0, 99, "Days without a backup to warn after."),
        failuresThreshold: bound(0, 99, "Failed backups to warn after."),
        quotaFullDays: bound(0, 90, "Days ahead to warn of a storage that, at its trend, will be full."),
        pauseDays: z.number().int().positive().default(90).describe("The longest pause, in days."),
      })
      .strict()
      .prefault({})
      .describe("What customers and resellers may choose; a value outside gets 400."),
    pageSize: z
      .number()
      .int()
      .positive()
      .max(1000)
      .default(50)
      .describe("Accounts per page of the overview."),
    scopeCacheSeconds: z
      .number()
      .nonnegative()
      .default(30)
      .describe(
        "How long a person's scope (which accounts they may see) is reused before the directory is asked again.",
      ),
  })
  .strict()
  .prefault({})
  .describe("The self-care portal for customers and resellers.");

export type SelfcareConfig = z.infer<typeof selfcareSchema>;
export type SettingBounds = SelfcareConfig["bounds"];
