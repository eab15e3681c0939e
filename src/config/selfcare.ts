import { z } from "zod";
import { listenSchema } from "./http.js";

const bound = (min: number, max: number) =>
  z
    .object({ min: z.number().int().min(0).default(min), max: z.number().int().min(0).default(max) })
    .strict()
    .refine((b) => b.min <= b.max, { message: "min must not exceed max" })
    .prefault({});

export const selfcareSchema = z
  .object({
    /** Default 127.0.0.1:9853. */
    listen: listenSchema(9853),
    /**
     * The address people open (behind a reverse proxy: its public https:// URL). Mails link to
     * `<baseUrl>/accounts/<uid>` unless bridge.templates.selfCareUrl is set; https:// marks the cookie Secure.
     */
    baseUrl: z.string().url().optional(),
    /**
     * The portal's own LDAP identity for settings changes (write access to the settings attributes
     * only); without it the directory's bindDN is used. Prefer bindPasswordFile or STONEY_SELFCARE_BIND_PASSWORD.
     */
    bindDN: z.string().optional(),
    bindPassword: z.string().optional(),
    bindPasswordFile: z.string().optional(),
    /** Where `selfcare` alone reads the exporter's state (with exporter.basicAuth); `start` reads it in memory. */
    exporterUrl: z.string().url().optional(),
    /** Alertmanager (API v2): a pause also becomes a silence matching `account`. */
    alertmanagerUrl: z.string().url().optional(),
    session: z
      .object({
        /** A session unused this long is gone; the person logs in again. */
        idleMinutes: z.number().positive().default(30),
        cookieName: z
          .string()
          .regex(/^[A-Za-z0-9_-]+$/)
          .default("stoney_selfcare"),
      })
      .strict()
      .prefault({}),
    /** Failed logins allowed per uid and per client address within the window before logins are refused. */
    throttle: z
      .object({
        maxFailures: z.number().int().positive().default(5),
        windowSeconds: z.number().int().positive().default(900),
      })
      .strict()
      .prefault({}),
    /** What customers and resellers may choose. */
    bounds: z
      .object({
        quotaWarningPercent: bound(50, 99),
        missedBackupsThreshold: bound(0, 99),
        missedDaysThreshold: bound(0, 99),
        failuresThreshold: bound(0, 99),
        /** The longest pause, in days. */
        pauseDays: z.number().int().positive().default(90),
      })
      .strict()
      .prefault({}),
    /** Accounts per page of the overview. */
    pageSize: z.number().int().positive().max(1000).default(50),
    /** How long a person's scope (which accounts they may see) is reused before the directory is asked again. */
    scopeCacheSeconds: z.number().nonnegative().default(30),
  })
  .strict()
  .prefault({});

export type SelfcareConfig = z.infer<typeof selfcareSchema>;
export type SettingBounds = SelfcareConfig["bounds"];
