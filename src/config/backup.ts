import path from "node:path";
import { z } from "zod";

const quotaSchema = z.discriminatedUnion("source", [
  /** sstQuota and sstBackupSize + sstIncrementSize from the directory. */
  z.object({ source: z.literal("ldap") }).strict(),
  /** `repquota -u` output (1 KiB blocks), from a command or from a file written by cron. */
  z
    .object({
      source: z.literal("repquota"),
      command: z.array(z.string()).min(1).optional(),
      file: z.string().optional(),
      /** Filesystem user name → account uid, where they differ (otherwise the user name is the uid). */
      users: z.record(z.string(), z.string()).default({}),
      /** The command is killed after this long. */
      timeoutSeconds: z.number().int().positive().default(60),
    })
    .strict()
    .refine((q) => (q.command === undefined) !== (q.file === undefined), {
      message: "set exactly one of command or file",
    }),
  /** Walk each home and add up allocated blocks; slow, so it has its own refresh interval. */
  z
    .object({
      source: z.literal("du"),
      refreshSeconds: z.number().int().positive().default(3600),
      /** One home's walk is abandoned after this long (its last usage is kept). */
      timeoutSeconds: z.number().int().positive().default(600),
    })
    .strict(),
]);

export const backupSchema = z
  .object({
    /** Homes of accounts without homeDirectory are `<root>/<uid>`. */
    root: z.string().default("/var/backup"),
    /**
     * Where the exporter sees the directory's homeDirectory paths when its mounts differ from the backup
     * server's (a container): the longest `from` that is a leading part of the path is replaced by its `to`.
     */
    homePrefixes: z
      .array(
        z
          .object({
            from: z
              .string()
              .refine((p) => path.posix.isAbsolute(p), "expected an absolute path such as /home"),
            to: z.string(),
          })
          .strict(),
      )
      .default([]),
    incomingDir: z.string().default("incoming"),
    metadataDir: z.string().default(".sepiola_backup"),
    maxFileBytes: z
      .number()
      .int()
      .positive()
      .default(64 * 1024),
    maxHostsPerAccount: z.number().int().positive().default(50),
    accountTimeoutMs: z.number().int().positive().default(10_000),
    /** A run started longer ago than this and never ended is `interrupted`, not `running`. */
    maxRunSeconds: z
      .number()
      .int()
      .positive()
      .default(24 * 3600),
    /** A client date further than this from the file's mtime is replaced by the mtime (clock skewed). */
    clockSkewToleranceSeconds: z
      .number()
      .int()
      .positive()
      .default(6 * 3600),
    /** A planned time counts as missed only once this much time has passed after it. */
    graceSeconds: z.number().int().nonnegative().default(3600),
    missedCap: z.number().int().positive().default(1000),
    /** Accounts older than this with no run ever are `never used`. */
    neverUsedAfterDays: z.number().nonnegative().default(7),
    /** Minimum version per client identifier; older clients get the upgrade warning. */
    minimumClientVersions: z
      .record(z.string(), z.string().regex(/^\d+(\.\d+)*$/, "expected a dotted version such as 2.6.0"))
      .default({
        "Sepiola Online Backup Client": "2.6.0",
        "Online Backup Perl Script": "1.3",
      }),
    quota: quotaSchema.default({ source: "ldap" }),
  })
  .strict()
  .prefault({});

export const historySchema = z
  .object({
    /** SQLite file with the per-host run history (relative to the config file). */
    path: z.string().default("./data/history.sqlite"),
  })
  .strict()
  .prefault({});

export type BackupConfig = z.infer<typeof backupSchema>;
export type QuotaConfig = BackupConfig["quota"];
export type HomePrefix = BackupConfig["homePrefixes"][number];
export type HistoryConfig = z.infer<typeof historySchema>;
