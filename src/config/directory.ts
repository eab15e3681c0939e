import { FilterParser } from "ldapts";
import { z } from "zod";

const isFilter = (filter: string): boolean => {
  try {
    FilterParser.parseString(filter);
    return true;
  } catch {
    return false;
  }
};

/** Where each account setting lives in the directory; every name can be changed for a customised schema. */
export const attributeNamesSchema = z
  .object({
    uid: z.string().default("uid"),
    home: z.string().default("homeDirectory"),
    active: z.string().default("sstIsActive"),
    /** Read whichever of the two flag names is present (sstBackupWarnings first). */
    warningsFlag: z.array(z.string()).min(1).default(["sstBackupWarnings", "sstBackupWarningOn"]),
    quotaWarningPercent: z.string().default("sstNotificationWarningLevel"),
    missedBackupsThreshold: z.string().default("sstBackupWarningNumbers"),
    missedDaysThreshold: z.string().default("sstBackupWarningDays"),
    failuresThreshold: z.string().default("sstBackupWarningFailures"),
    mail: z.string().default("mail"),
    preferredLanguage: z.string().default("preferredLanguage"),
    timeZoneOffset: z.string().default("sstTimeZoneOffset"),
    person: z.string().default("sstBelongsToPersonUID"),
    reseller: z.string().default("sstBelongsToResellerUID"),
    customer: z.string().default("sstBelongsToCustomerUID"),
    informPerson: z.string().default("sstInformPersonUID"),
    /** Reseller contacts who may use the self-care portal for the reseller's accounts. */
    responsiblePerson: z.string().default("sstResponsiblePersonUID"),
    /** Persons besides the owner who may see an account in the self-care portal. */
    allowPerson: z.string().default("sstAllowPersonUID"),
    /** A person with this set FALSE cannot log in to the self-care portal. */
    useSelfcare: z.string().default("sstUseSelfcare"),
    password: z.string().default("userPassword"),
    quota: z.string().default("sstQuota"),
    backupSize: z.string().default("sstBackupSize"),
    incrementSize: z.string().default("sstIncrementSize"),
    lastSuccessfulBackup: z.string().default("sstBackupLastSuccessfulBackup"),
    createTimestamp: z.string().default("createTimestamp"),
    givenName: z.string().default("givenName"),
    surname: z.string().default("sn"),
    organizationName: z.string().default("o"),
  })
  .strict()
  .prefault({});

const searchSchema = (base: string, filter: string) =>
  z
    .object({
      base: z.string().min(1).default(base),
      /** An RFC 4515 filter, parenthesised: `(objectClass=sstPerson)`. */
      filter: z
        .string()
        .min(1)
        .refine(isFilter, "expected an LDAP filter such as (objectClass=sstPerson)")
        .default(filter),
    })
    .strict()
    .prefault({});

/** Program defaults: the last link of the chain account → reseller settings → configuration. */
export const accountDefaultsSchema = z
  .object({
    warnings: z.boolean().default(true),
    quotaWarningPercent: z.number().int().min(0).max(1000).default(85),
    missedBackupsThreshold: z.number().int().min(0).max(1000).default(1),
    missedDaysThreshold: z.number().int().min(0).max(1000).default(1),
    failuresThreshold: z.number().int().min(0).max(1000).default(1),
    language: z.string().default("en"),
    timeZone: z.string().default("Europe/Zurich"),
  })
  .strict()
  .prefault({});

export const directoryUrlSchema = z
  .string()
  .regex(/^(ldaps?:\/\/.+|file:.+)$/, "expected ldap://, ldaps:// or file:");

export const directorySchema = z
  .object({
    /** `ldap://host:389`, `ldaps://host:636`, or `file:path/to/directory.ldif` (relative to the config file). */
    url: directoryUrlSchema,
    bindDN: z.string().optional(),
    /** Prefer bindPasswordFile or the STONEY_LDAP_BIND_PASSWORD environment variable. */
    bindPassword: z.string().optional(),
    bindPasswordFile: z.string().optional(),
    startTLS: z.boolean().default(false),
    tls: z
      .object({
        caFile: z.string().optional(),
        rejectUnauthorized: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    timeoutMs: z.number().int().positive().default(10_000),
    connectTimeoutMs: z.number().int().positive().default(5_000),
    /** Page size of the paged search of all accounts (RFC 2696); stay at or under the server's size limit. */
    pageSize: z.number().int().positive().max(10_000).default(500),
    /**
     * Uids per OR-filter when many accounts, persons or resellers are looked up at once; 200 keeps
     * a look-up of many accounts (accounts, resellers, persons) under one search per 50 accounts.
     */
    batchSize: z.number().int().positive().max(1_000).default(200),
    /** How long answers to look-ups by uid (the bridge's) are reused; 0 asks the server every time. */
    cacheTtlSeconds: z.number().nonnegative().default(60),
    /**
     * How long the list of all accounts may be reused by the next collection; 0 (the default): every
     * collection searches the directory, so it sees the accounts as they are now.
     */
    accountListCacheSeconds: z.number().nonnegative().default(0),
    /**
     * Accounts carry sstBackup (sst.schema) or, where they rely on defaults, the monitor's
     * auxiliary class sstBackupMonitorSettings (examples/ldap/stoney-backup-monitor.schema).
     */
    accounts: searchSchema(
      "ou=accounts,ou=backup,ou=services,dc=stoney-cloud,dc=org",
      "(|(objectClass=sstBackup)(objectClass=sstBackupMonitorSettings))",
    ),
    people: searchSchema("ou=people,dc=stoney-cloud,dc=org", "(objectClass=sstPerson)"),
    resellers: searchSchema(
      "ou=reseller,ou=configuration,ou=backup,ou=services,dc=stoney-cloud,dc=org",
      "(objectClass=sstReseller)",
    ),
    /** RDN of the reseller's settings entry below the reseller entry. */
    resellerSettingsRdn: z.string().default("ou=settings"),
    /** Inform resellers about their accounts' warnings, also where the customer opted out. */
    resellerMail: z.boolean().default(true),
    attributes: attributeNamesSchema,
    defaults: accountDefaultsSchema,
  })
  .strict();

export type DirectoryConfig = z.infer<typeof directorySchema>;
export type AttributeNames = z.infer<typeof attributeNamesSchema>;
export type AccountDefaults = z.infer<typeof accountDefaultsSchema>;
