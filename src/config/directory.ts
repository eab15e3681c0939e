import { FilterParser } from "ldapts";
import { z } from "zod";

const fixedOffset = /^[+-](\d{2}):?(\d{2})$/;

/** An IANA zone the runtime knows, or a fixed offset of at most ±14:00 (what sstTimeZoneOffset holds). */
export function isTimeZone(value: string): boolean {
  const offset = fixedOffset.exec(value);
  if (offset) return Number(offset[1]) * 60 + Number(offset[2]) <= 14 * 60 && Number(offset[2]) < 60;
  try {
    new Intl.DateTimeFormat("en", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

const isFilter = (filter: string): boolean => {
  try {
    FilterParser.parseString(filter);
    return true;
  } catch {
    return false;
  }
};

const attribute = (name: string, readAs: string) => z.string().default(name).describe(readAs);

export const attributeNamesSchema = z
  .object({
    uid: attribute("uid", "Account, person and reseller id (the look-up key)."),
    home: attribute("homeDirectory", "Account home; absent: `<backup.root>/<uid>`."),
    active: attribute("sstIsActive", "Boolean; absent: active. Inactive accounts are not exported."),
    warningsFlag: z
      .array(z.string())
      .min(1)
      .default(["sstBackupWarnings", "sstBackupWarningOn"])
      .describe("Boolean; the first of these names present on the entry is used."),
    quotaWarningPercent: attribute(
      "sstNotificationWarningLevel",
      "Integer percent of the quota to warn above.",
    ),
    missedBackupsThreshold: attribute(
      "sstBackupWarningNumbers",
      "Integer: missed planned runs to warn after.",
    ),
    missedDaysThreshold: attribute(
      "sstBackupWarningDays",
      "Integer: days without a successful backup to warn after.",
    ),
    failuresThreshold: attribute(
      "sstBackupWarningFailures",
      "Integer: failed runs in a row to warn after (not in sst.schema; the monitor's schema adds it).",
    ),
    quotaFullDays: attribute(
      "sstBackupWarningQuotaFullDays",
      "Integer: warn when, at the trend of the last 30 days, the storage will be full within this many days (not in sst.schema; the monitor's schema adds it).",
    ),
    notices: attribute(
      "sstNotificationWarning",
      "Multi-valued notices the customer wants; the value `digest` asks for the monthly digest.",
    ),
    mail: attribute("mail", "Multi-valued addresses."),
    preferredLanguage: attribute("preferredLanguage", "Language of mails, e.g. `de-CH`, `fr`, `en-GB`."),
    timeZoneOffset: attribute("sstTimeZoneOffset", "A person's time zone: `+01:00` or an IANA name."),
    person: attribute("sstBelongsToPersonUID", "Owning person (accounts), own persons (resellers)."),
    reseller: attribute("sstBelongsToResellerUID", "Multi-valued, in order."),
    customer: attribute("sstBelongsToCustomerUID", "The account's customer."),
    informPerson: attribute("sstInformPersonUID", "Reseller contacts."),
    responsiblePerson: attribute(
      "sstResponsiblePersonUID",
      "Reseller contacts who may use the self-care portal for the reseller's accounts.",
    ),
    allowPerson: attribute(
      "sstAllowPersonUID",
      "Persons besides the owner who may see an account in the self-care portal.",
    ),
    useSelfcare: attribute("sstUseSelfcare", "Boolean on a person; FALSE: no self-care login."),
    password: attribute(
      "userPassword",
      "A person's password; read only from an LDIF directory (over LDAP the portal binds as the person).",
    ),
    quota: attribute("sstQuota", "Integer bytes."),
    backupSize: attribute("sstBackupSize", "Integer bytes."),
    incrementSize: attribute("sstIncrementSize", "Integer bytes."),
    lastSuccessfulBackup: attribute(
      "sstBackupLastSuccessfulBackup",
      "Multi-valued `host:YYYYMMDDThhmmssZ` (UTC); the time follows the last colon, so host names may hold colons; `0` = never; per host the latest wins.",
    ),
    createTimestamp: attribute(
      "createTimestamp",
      "Generalized time; operational, so it is requested by name.",
    ),
    givenName: attribute("givenName", "Name for `explain` and mails."),
    surname: attribute("sn", "Name for `explain` and mails."),
    organizationName: attribute("o", "Name for `explain` and mails."),
  })
  .strict()
  .prefault({})
  .describe(
    "Attribute names, for customised schemas. Use the name the server returns (the schema's first NAME, e.g. `sn`, `o`).",
  );

const searchSchema = (what: string, base: string, filter: string, note = "") =>
  z
    .object({
      base: z.string().min(1).default(base).describe(`Base of the subtree search for ${what}.`),
      filter: z
        .string()
        .min(1)
        .refine(isFilter, "expected an LDAP filter such as (objectClass=sstPerson)")
        .default(filter)
        .describe(`RFC 4515 filter, parenthesised, for ${what}.`),
    })
    .strict()
    .prefault({})
    .describe(`Where ${what} are (subtree search).${note}`);

export const accountDefaultsSchema = z
  .object({
    warnings: z.boolean().default(true).describe("Warnings flag (customer mails on)."),
    quotaWarningPercent: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .default(85)
      .describe("Quota warning threshold in percent; 0 switches the warning off."),
    missedBackupsThreshold: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .default(1)
      .describe("Missed planned runs to warn after; 0 switches the warning off."),
    missedDaysThreshold: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .default(1)
      .describe("Days without a successful backup to warn after; 0 switches the warning off."),
    failuresThreshold: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .default(1)
      .describe("Failed runs in a row to warn after; 0 switches the warning off."),
    quotaFullDays: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .default(14)
      .describe(
        "Warn when, at the trend of the last 30 days, the storage will be full within this many days, before the quota warning level is reached; 0 switches the warning off.",
      ),
    language: z.string().default("en").describe("Language of mails when no entry names one."),
    timeZone: z
      .string()
      .refine(isTimeZone, "expected an IANA time zone such as Europe/Zurich or an offset such as +01:00")
      .default("Europe/Zurich")
      .describe("Time zone of dates in mails when the person has none (IANA name or `+01:00`)."),
  })
  .strict()
  .prefault({})
  .describe(
    "The last link of the defaults chain account → reseller settings entry → configuration, and the default language and time zone.",
  );

export const directoryUrlSchema = z
  .string()
  .regex(/^(ldaps?:\/\/.+|file:.+)$/, "expected ldap://, ldaps:// or file:");

export const directorySchema = z
  .object({
    url: directoryUrlSchema.describe(
      "`ldap://host:389`, `ldaps://host:636` or `file:path/to/directory.ldif` (relative to the config file).",
    ),
    bindDN: z
      .string()
      .optional()
      .describe("DN to bind as, e.g. `cn=stoney-backup-monitor,dc=stoney-cloud,dc=org`; absent: anonymous."),
    bindPassword: z
      .string()
      .optional()
      .describe(
        "The bind password inline (discouraged: prefer `bindPasswordFile` or `STONEY_LDAP_BIND_PASSWORD`).",
      ),
    bindPasswordFile: z
      .string()
      .optional()
      .describe("File holding the bind password (one line); `STONEY_LDAP_BIND_PASSWORD` overrides it."),
    startTLS: z
      .boolean()
      .default(false)
      .describe("Upgrade an `ldap://` connection with StartTLS before binding."),
    tls: z
      .object({
        caFile: z
          .string()
          .optional()
          .describe("PEM file with the CA that signed the server's certificate; absent: the system CAs."),
        rejectUnauthorized: z.boolean().default(true).describe("Refuse certificates that do not verify."),
      })
      .strict()
      .prefault({})
      .describe("Certificate checks for `ldaps://` and StartTLS."),
    timeoutMs: z.number().int().positive().default(10_000).describe("Per LDAP operation."),
    connectTimeoutMs: z.number().int().positive().default(5_000).describe("Per TCP/TLS connection."),
    pageSize: z
      .number()
      .int()
      .positive()
      .max(10_000)
      .default(100)
      .describe(
        "Page size of the paged search of all accounts (RFC 2696); keep it at or under the server's size limit. A page is held until its accounts are read: at 500, a page outlived the young generation and a warm collection of 50,000 accounts cost about a fifth more CPU in garbage collection.",
      ),
    // 200 keeps a look-up of many accounts (accounts, resellers, persons) under one search per 50 accounts.
    batchSize: z
      .number()
      .int()
      .positive()
      .max(1_000)
      .default(200)
      .describe("Uids per OR-filter when many accounts, persons or resellers are looked up."),
    cacheTtlSeconds: z
      .number()
      .nonnegative()
      .default(60)
      .describe(
        'How long answers to look-ups by uid (including "no such uid") are reused; 0 disables the cache.',
      ),
    accountListCacheSeconds: z
      .number()
      .nonnegative()
      .default(0)
      .describe(
        "How long the list of all accounts may be reused by the next collection; 0: every collection searches the directory, so it sees the accounts as they are now.",
      ),
    accounts: searchSchema(
      "accounts",
      "ou=accounts,ou=backup,ou=services,dc=stoney-cloud,dc=org",
      "(|(objectClass=sstBackup)(objectClass=sstBackupMonitorSettings))",
      " Accounts carry sstBackup (sst.schema) or, where they rely on defaults, the monitor's auxiliary class sstBackupMonitorSettings.",
    ),
    people: searchSchema("persons", "ou=people,dc=stoney-cloud,dc=org", "(objectClass=sstPerson)"),
    resellers: searchSchema(
      "resellers",
      "ou=reseller,ou=configuration,ou=backup,ou=services,dc=stoney-cloud,dc=org",
      "(objectClass=sstReseller)",
    ),
    resellerSettingsRdn: z
      .string()
      .default("ou=settings")
      .describe("RDN of a reseller's settings entry below the reseller entry."),
    resellerMail: z
      .boolean()
      .default(true)
      .describe("Inform resellers at all (also about accounts whose customer opted out)."),
    attributes: attributeNamesSchema,
    defaults: accountDefaultsSchema,
  })
  .strict()
  .describe("The stoney cloud directory: accounts, persons and resellers, over LDAP or from an LDIF file.");

export type DirectoryConfig = z.infer<typeof directorySchema>;
export type AttributeNames = z.infer<typeof attributeNamesSchema>;
export type AccountDefaults = z.infer<typeof accountDefaultsSchema>;
