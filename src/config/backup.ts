import path from "node:path";
import { z } from "zod";

const quotaSchema = z.discriminatedUnion("source", [
  z
    .object({ source: z.literal("ldap").describe("Quota and usage from the directory.") })
    .strict()
    .describe(
      "Quota `sstQuota`, used `sstBackupSize + sstIncrementSize` (either alone when the other is missing).",
    ),
  z
    .object({
      source: z.literal("repquota").describe("Quota and usage from `repquota -u` (1 KiB blocks)."),
      command: z
        .array(z.string())
        .min(1)
        .optional()
        .describe(
          "Run once per collection with execFile (no shell), e.g. `[repquota, -u, /srv]`; exactly one of command or file.",
        ),
      file: z
        .string()
        .optional()
        .describe(
          "A file with the output, written by cron (relative to the config file); exactly one of command or file.",
        ),
      users: z
        .record(z.string(), z.string())
        .default({})
        .describe(
          'Filesystem user name → account uid where they differ (`{ backup-42: "3723742" }`); otherwise the user name is the uid.',
        ),
      timeoutSeconds: z
        .number()
        .int()
        .positive()
        .default(60)
        .describe("The command is killed after this long."),
    })
    .strict()
    .refine((q) => (q.command === undefined) !== (q.file === undefined), {
      message: "set exactly one of command or file",
    })
    .describe(
      "Quota = the hard block limit (else the soft limit; both 0: unknown); a user on several filesystems is summed.",
    ),
  z
    .object({
      source: z
        .literal("du")
        .describe("Usage by walking each home; the quota is the directory's `sstQuota`."),
      refreshSeconds: z
        .number()
        .int()
        .positive()
        .default(3600)
        .describe("Each home is measured at most this often."),
      timeoutSeconds: z
        .number()
        .int()
        .positive()
        .default(600)
        .describe("One home's walk is abandoned after this long (its last usage is kept)."),
    })
    .strict()
    .describe(
      "Allocated blocks of each home, walked in the background (`du -s -B1 -P`); slow, so it has its own refresh interval.",
    ),
]);

export const backupSchema = z
  .object({
    root: z
      .string()
      .default("/var/backup")
      .describe("Homes of accounts without homeDirectory are `<root>/<uid>`. Relative to the config file."),
    homePrefixes: z
      .array(
        z
          .object({
            from: z
              .string()
              .refine((p) => path.posix.isAbsolute(p), "expected an absolute path such as /home")
              .describe(
                "A leading part of `homeDirectory` paths, absolute, matched by whole path components.",
              ),
            to: z.string().describe("What this host sees there instead (relative to the config file)."),
          })
          .strict(),
      )
      .default([])
      .describe(
        "Where this host sees the directory's `homeDirectory` paths when its mounts differ from the backup server's (a container, a remote mount): the longest `from` that is a leading part of the path is replaced by its `to`; paths no entry matches are read as they are, and `<root>/<uid>` is never rewritten. `check-config` lists `root` and every `to`.",
      ),
    onlyAccountsWithHome: z
      .boolean()
      .default(false)
      .describe(
        "Several backup servers sharing one directory, each with its own exporter: export only the accounts whose home exists on this server. An account without a home here lives on another server and is left out, no error. Off (one server): a missing home is an account error.",
      ),
    incomingDir: z
      .string()
      .default("incoming")
      .describe("Folder in the home that holds one folder per host (client computer)."),
    metadataDir: z
      .string()
      .default(".sepiola_backup")
      .describe("Folder in each host folder with the client files; folders without it are not hosts."),
    maxFileBytes: z
      .number()
      .int()
      .positive()
      .default(64 * 1024)
      .describe("Client files larger than this are not read (host error)."),
    maxHostsPerAccount: z
      .number()
      .int()
      .positive()
      .default(50)
      .describe(
        "Host folders beyond this (in byte order of their names) are not read; the account gets an error saying how many.",
      ),
    accountTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(10_000)
      .describe(
        "Time allowed for reading one home; after it the account is reported with no hosts and the error `reading <home> took longer than … ms; aborted`.",
      ),
    readerThreads: z
      .number()
      .int()
      .min(0)
      .max(64)
      .default(2)
      .describe(
        "Threads that walk the homes and parse the client files, each with one file-system call in flight and the parsed files of its share of the accounts (about 20 MiB each, plus that share). On network storage, where every call is a round trip, more threads (e.g. 16) overlap the round trips. `0`: on the main thread (small servers, tests).",
      ),
    recheckEveryCollections: z
      .number()
      .int()
      .positive()
      .default(10)
      .describe(
        "A metadata folder whose device, inode, mtime and ctime are unchanged since the last collection holds the same files (a client adding or renaming a file changes them): its files are looked at again only every this many collections, which catches a file rewritten in place. `1`: at every collection.",
      ),
    maxRunSeconds: z
      .number()
      .int()
      .positive()
      .default(24 * 3600)
      .describe(
        "A run started longer ago than this and never ended is `interrupted`, before that `running`.",
      ),
    clockSkewToleranceSeconds: z
      .number()
      .int()
      .positive()
      .default(6 * 3600)
      .describe(
        "How far a client date may lie after the file's mtime (or after now) before the host's clock counts as skewed and the mtime is used.",
      ),
    graceSeconds: z
      .number()
      .int()
      .nonnegative()
      .default(3600)
      .describe("A planned time counts as missed only once this long has passed after it."),
    missedCap: z.number().int().positive().default(1000).describe("Upper bound of the missed-runs count."),
    neverUsedAfterDays: z
      .number()
      .nonnegative()
      .default(7)
      .describe(
        "An account older than this (by `createTimestamp`) on which no host ever ran is _never used_.",
      ),
    minimumClientVersions: z
      .record(z.string(), z.string().regex(/^\d+(\.\d+)*$/, "expected a dotted version such as 2.6.0"))
      .default({
        "Sepiola Online Backup Client": "2.6.0",
        "Online Backup Perl Script": "1.3",
      })
      .describe(
        "Minimum version per client identifier; older clients get the upgrade warning. Identifiers not listed are never flagged. Versions compare numerically per dotted part (`2.10.0` > `2.6.1`).",
      ),
    quota: quotaSchema
      .default({ source: "ldap" })
      .describe(
        "Where used space and quota come from; the used/quota ratio is exported only where the quota is known and above 0.",
      ),
  })
  .strict()
  .prefault({})
  .describe("The backup server's file tree: what the backup clients upload into each account's home.");

export const historySchema = z
  .object({
    path: z
      .string()
      .default("./data/history.sqlite")
      .describe(
        "SQLite file (WAL) with the run history per (account, host) and, unless `journal.database` is set, the run journal. Relative to the config file; its folder is created. One exporter per file.",
      ),
    journal: z
      .object({
        database: z
          .string()
          .regex(/^postgres(ql)?:\/\//i, { message: "must be a postgres:// or postgresql:// URL" })
          .optional()
          .describe(
            "A `postgres://` URL (password from the URL or `PGPASSWORD`, TLS by `sslmode=`): the journal lives there, so portals on several machines read one journal. Absent: in the `path` file.",
          ),
        retentionDays: z
          .number()
          .int()
          .positive()
          .default(400)
          .describe(
            "Runs that ended and daily usage older than this are deleted, in small transactions, once an hour.",
          ),
      })
      .strict()
      .prefault({})
      .describe(
        "The run journal: every finished run the exporter sees (once, by account, host and run id) and each account's used bytes once a day; the portal's charts and `/api/v1/accounts/<uid>/runs` and `/usage` read it.",
      ),
  })
  .strict()
  .prefault({})
  .describe(
    "The exporter's run history: runs counted once, failures in a row, last successes, first seen; and the run journal.",
  );

export type BackupConfig = z.infer<typeof backupSchema>;
export type QuotaConfig = BackupConfig["quota"];
export type HomePrefix = BackupConfig["homePrefixes"][number];
export type HistoryConfig = z.infer<typeof historySchema>;
