#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import { checkBackupCommand } from "./backup/commands.js";
import {
  checkMailCommand,
  historyCommand,
  migrateCommand,
  type RequeueOptions,
  requeueCommand,
} from "./bridge/commands.js";
import { type RunningBridge, startBridge } from "./bridge/index.js";
import { type PreviewOptions, previewCommand, previewTasks } from "./bridge/preview.js";
import {
  type Config,
  ConfigError,
  configuredRoles,
  defaultConfigPaths,
  fileSections,
  findConfigFile,
  type Language,
  languages,
  loadConfig,
  loggingEnvironment,
  type Role,
  roles,
} from "./config/index.js";
import { checkDirectoryCommand, explainCommand } from "./directory/commands.js";
import { type RunningExporter, startExporter } from "./exporter/index.js";
import { createLogger, type LogFormat, type LogLevel, logFormats, logLevels } from "./log.js";
import {
  bridgePartsOf,
  existingSelfcareStore,
  explainPersonCommand,
  explainUnsubscriptions,
  openSelfcareStore,
  resubscribeCommand,
  type SelfcareStore,
  startSelfcare,
} from "./selfcare/index.js";
import { type RunningService, serveUntilSignal } from "./service.js";

interface GlobalOptions {
  config?: string;
  logLevel?: LogLevel;
  logFormat?: LogFormat;
}

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  version: string;
};

/** The file `--config` names, else the first default file that exists. */
const configFile = (): string => program.opts<GlobalOptions>().config ?? findConfigFile();

/** Load and validate the configuration; the command line's logging options win over the file and the environment. */
const readConfig = (file: string): Config => {
  const config = loadConfig(file);
  const { logLevel, logFormat } = program.opts<GlobalOptions>();
  if (logLevel) config.logging.level = logLevel;
  if (logFormat) config.logging.format = logFormat;
  return config;
};

/** Configuration problems exit 2 with their one-line reasons, without a stack trace. */
async function exitingOnConfigError(run: () => Promise<number | undefined>): Promise<void> {
  try {
    const code = await run();
    if (code !== undefined) process.exitCode = code;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 2;
  }
}

/** Run a subcommand with the validated configuration. */
const withConfig =
  <A extends unknown[]>(action: (config: Config, ...args: A) => Promise<number | undefined>) =>
  (...args: A): Promise<void> =>
    exitingOnConfigError(() => action(readConfig(configFile()), ...args));

/**
 * Run the exporter, the bridge and the self-care portal (or some of them) until SIGINT/SIGTERM. In
 * one process the portal reads the exporter's state and the bridge's history in memory; the
 * bridge and the portal share one self-care store (pauses), opened first and closed last. SIGHUP
 * reloads the configuration file.
 */
const serve = (parts: readonly Role[]) => () =>
  exitingOnConfigError(() => {
    const file = configFile();
    const config = readConfig(file);
    const logger = createLogger(config.logging.level, config.logging.format);
    let store: SelfcareStore | undefined;
    const sharedStore = () => {
      store ??= openSelfcareStore(config);
      return store;
    };
    let exporter: RunningExporter | undefined;
    let bridge: RunningBridge | undefined;
    const starters: Record<Role, () => Promise<RunningService>> = {
      exporter: async () => {
        exporter = await startExporter(config, logger);
        return exporter;
      },
      bridge: async () => {
        bridge = await startBridge(config, logger, {
          ...bridgePartsOf(sharedStore()),
          // A list of backup servers' exporters is read over HTTP, this one among them.
          ...(exporter && !config.bridge.exporters ? { status: exporter.status } : {}),
        });
        return bridge;
      },
      selfcare: () => {
        const outbox = bridge?.outbox;
        return startSelfcare(config, logger, {
          store: sharedStore(),
          ...(exporter && !config.selfcare.exporters ? { status: exporter.status } : {}),
          ...(outbox
            ? { history: async (account: string, limit: number) => outbox.history(account, limit) }
            : {}),
        });
      },
    };
    const storeService = {
      name: "selfcare store",
      start: async (): Promise<RunningService> => ({ url: "", close: async () => store?.close() }),
    };
    return serveUntilSignal(
      logger,
      [storeService, ...parts.map((name) => ({ name, start: starters[name] }))],
      () => readConfig(file),
      config,
    );
  });

const program = new Command()
  .name("stoney-backup-monitor")
  .description("Monitor stoney backup accounts: Prometheus exporter and Alertmanager mail bridge")
  .version(version, "-V, --version", "print the version and exit")
  .option("-c, --config <file>", `configuration file (default: ${defaultConfigPaths.join(", else ")})`)
  .addOption(
    new Option(
      "--log-level <level>",
      `log level, over ${loggingEnvironment.level} and logging.level`,
    ).choices(logLevels),
  )
  .addOption(
    new Option(
      "--log-format <format>",
      `pretty lines or JSON lines, over ${loggingEnvironment.format} and logging.format (auto: pretty on a terminal)`,
    ).choices(logFormats),
  );

program
  .command("check-config")
  .description(
    "validate the configuration, then check what the roles need: the directory for both, the backup tree for the exporter, the mail server for the bridge",
  )
  .addOption(
    new Option(
      "--role <role...>",
      "roles to check (default: those whose sections the file sets: exporter for exporter, backup or history; bridge for bridge; selfcare for selfcare; exporter and bridge when it sets none)",
    ).choices(roles),
  )
  .action((options: { role?: Role[] }) =>
    exitingOnConfigError(async () => {
      const file = configFile();
      const config = readConfig(file);
      const checked = options.role ?? configuredRoles(fileSections(file));
      process.stdout.write(`configuration ${file}: ok (roles: ${checked.join(", ")})\n`);
      const checks = [
        checkDirectoryCommand,
        ...(checked.includes("exporter") ? [checkBackupCommand] : []),
        ...(checked.includes("bridge") ? [checkMailCommand] : []),
      ];
      let ok = true;
      for (const check of checks) ok = (await check(config)) && ok;
      return ok ? 0 : 1;
    }),
  );

program
  .command("explain")
  .description(
    "show accounts' directory data, effective thresholds (and their sources) and who would be mailed; with --person, what a person may see in the self-care portal and why",
  )
  .argument("[uid...]", "account uids")
  .option("--person <uid>", "a person of the people base")
  .action(
    withConfig(async (config, uids: string[], options: { person?: string }) => {
      if (options.person !== undefined) return explainPersonCommand(config, options.person);
      if (uids.length === 0) {
        process.stderr.write("explain: name account uids, or --person <uid>\n");
        return 2;
      }
      const store = existingSelfcareStore(config);
      try {
        return await explainCommand(config, uids, undefined, store && explainUnsubscriptions(store));
      } finally {
        await store?.close();
      }
    }),
  );

program
  .command("resubscribe")
  .description(
    "undo an unsubscription (made through the link in a mail; `explain` shows their ids): the address gets those mails again",
  )
  .argument("<id>", "the unsubscription's id")
  .action(
    withConfig(async (config, id: string) => {
      const store = existingSelfcareStore(config);
      if (!store) {
        process.stderr.write(`resubscribe: no outbox at ${config.bridge.outbox}: nobody unsubscribed\n`);
        return 1;
      }
      try {
        return await resubscribeCommand(store, Number(id));
      } finally {
        await store.close();
      }
    }),
  );

program
  .command("exporter")
  .description("run the Prometheus exporter: background collection of every active account, /metrics")
  .action(serve(["exporter"]));

program
  .command("bridge")
  .description("run the Alertmanager webhook: durable outbox, recipients from the directory, mails over SMTP")
  .action(serve(["bridge"]));

program
  .command("start")
  .description("run the exporter, the bridge and the self-care portal in one process")
  .action(serve(["exporter", "bridge", "selfcare"]));

program
  .command("selfcare")
  .description(
    "run the self-care portal: customers and resellers see their accounts, change thresholds, pause notifications",
  )
  .action(serve(["selfcare"]));

program
  .command("history")
  .description("list what the bridge mailed (or suppressed, and why) about an account, newest first")
  .requiredOption("--account <uid>", "account uid")
  .option("--limit <n>", "at most this many rows", "100")
  .option("--json", "print JSON instead of a table")
  .action(
    withConfig((config, options: { account: string; limit: string; json?: boolean }) =>
      historyCommand(config, options),
    ),
  );

program
  .command("preview")
  .description(
    "print (or write as .eml) the mail the bridge would send: a sample alert or digest, or about a real account",
  )
  .addOption(
    new Option("--task <task>", "the alert's task, or digest").choices(previewTasks).default("quota"),
  )
  .addOption(
    new Option("--status <status>", "firing, resolved, or partial (solved while another problem is open)")
      .choices(["firing", "resolved", "partial"])
      .default("firing"),
  )
  .addOption(new Option("--lang <language>", "language of the mail").choices(languages).default("en"))
  .addOption(
    new Option("--audience <audience>", "who reads it")
      .choices(["customer", "reseller", "operator"])
      .default("customer"),
  )
  .option("--account <uid>", "a real account: names from the directory, facts from the exporter's state")
  .option("--out <file>", "write the whole message (headers, text and HTML parts) to this .eml file")
  .option("--html", "print the HTML part instead of the text")
  .action(
    withConfig(
      (
        config,
        options: {
          task: PreviewOptions["task"];
          status: PreviewOptions["status"];
          lang: Language;
          audience: PreviewOptions["audience"];
          account?: string;
          out?: string;
          html?: boolean;
        },
      ) =>
        previewCommand(
          config,
          {
            task: options.task,
            status: options.status,
            language: options.lang,
            audience: options.audience,
            ...(options.account ? { account: options.account } : {}),
            ...(options.out ? { out: options.out } : {}),
            ...(options.html ? { html: true } : {}),
          },
          createLogger("warn", config.logging.format),
        ),
    ),
  );

program
  .command("requeue")
  .description(
    "send rejected and dead mails again (a running bridge picks them up), chosen by creation time, recipient or account",
  )
  .option("--since <time>", "created at or after this time (e.g. 2026-12-01T08:00:00Z)")
  .option("--until <time>", "created before this time")
  .option("--recipient <address>", "mails to this address")
  .option("--account <uid>", "mails about this account")
  .action(withConfig((config, options: RequeueOptions) => requeueCommand(config, options)));

program
  .command("migrate")
  .description(
    "apply pending outbox schema migrations (the bridge does at start unless bridge.migrateAtStart is false)",
  )
  .action(withConfig((config) => migrateCommand(config)));

// `history | head`: once the reader has left, the rest of the output has nowhere to go; that is
// the reader's choice, not an error of ours.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
  process.exit(0);
});

await program.parseAsync(process.argv);
