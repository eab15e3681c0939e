#!/usr/bin/env node
import { Command } from "commander";
import { checkMailCommand, historyCommand, migrateCommand } from "./bridge/commands.js";
import { type RunningBridge, startBridge } from "./bridge/index.js";
import { type Config, ConfigError, defaultConfigPath, loadConfig } from "./config/index.js";
import { checkDirectoryCommand, explainCommand } from "./directory/commands.js";
import { type RunningExporter, startExporter } from "./exporter/index.js";
import { createLogger } from "./log.js";
import {
  explainPersonCommand,
  openSelfcareStore,
  type SelfcareStore,
  startSelfcare,
} from "./selfcare/index.js";
import { type RunningService, serveUntilSignal } from "./service.js";

/** Run a subcommand with the validated configuration; configuration problems exit 2 without a stack trace. */
export const withConfig =
  <A extends unknown[]>(action: (config: Config, ...args: A) => Promise<number | undefined>) =>
  async (...args: A): Promise<void> => {
    const options = program.opts<{ config: string }>();
    try {
      const config = loadConfig(options.config);
      const code = await action(config, ...args);
      if (code !== undefined) process.exitCode = code;
    } catch (error) {
      if (error instanceof ConfigError) {
        process.stderr.write(`${error.message}\n`);
        process.exitCode = 2;
        return;
      }
      throw error;
    }
  };

type Part = "exporter" | "bridge" | "selfcare";

/**
 * Run the exporter, the bridge and the self-care portal (or some of them) until SIGINT/SIGTERM. In
 * one process the portal reads the exporter's state and the bridge's history in memory; the
 * bridge and the portal share one self-care store (pauses), opened first and closed last.
 */
const serve = (config: Config, parts: readonly Part[]): Promise<number> => {
  const logger = createLogger(config.logging.level);
  let store: SelfcareStore | undefined;
  const sharedStore = () => {
    store ??= openSelfcareStore(config);
    return store;
  };
  let exporter: RunningExporter | undefined;
  let bridge: RunningBridge | undefined;
  const starters: Record<Part, () => Promise<RunningService>> = {
    exporter: async () => {
      exporter = await startExporter(config, logger);
      return exporter;
    },
    bridge: async () => {
      const pauses = sharedStore();
      bridge = await startBridge(config, logger, {
        pauses: (accounts, at) => pauses.activePauses(accounts, at),
      });
      return bridge;
    },
    selfcare: () => {
      const outbox = bridge?.outbox;
      return startSelfcare(config, logger, {
        store: sharedStore(),
        ...(exporter ? { status: exporter.status } : {}),
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
  return serveUntilSignal(logger, [storeService, ...parts.map((name) => ({ name, start: starters[name] }))]);
};

const program = new Command()
  .name("stoney-backup-monitor")
  .description("Monitor stoney backup accounts: Prometheus exporter and Alertmanager mail bridge")
  .option("-c, --config <file>", "configuration file", defaultConfigPath);

program
  .command("check-config")
  .description(
    "validate the configuration, then connect to the directory and the mail server and report each check",
  )
  .action(
    withConfig(async (config) => {
      process.stdout.write("configuration: ok\n");
      const directoryOk = await checkDirectoryCommand(config);
      const mailOk = await checkMailCommand(config);
      return directoryOk && mailOk ? 0 : 1;
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
      return explainCommand(config, uids);
    }),
  );

program
  .command("exporter")
  .description("run the Prometheus exporter: background collection of every active account, /metrics")
  .action(withConfig((config) => serve(config, ["exporter"])));

program
  .command("bridge")
  .description("run the Alertmanager webhook: durable outbox, recipients from the directory, mails over SMTP")
  .action(withConfig((config) => serve(config, ["bridge"])));

program
  .command("start")
  .description("run the exporter, the bridge and the self-care portal in one process")
  .action(withConfig((config) => serve(config, ["exporter", "bridge", "selfcare"])));

program
  .command("selfcare")
  .description(
    "run the self-care portal: customers and resellers see their accounts, change thresholds, pause notifications",
  )
  .action(withConfig((config) => serve(config, ["selfcare"])));

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
  .command("migrate")
  .description(
    "apply pending outbox schema migrations (the bridge does at start unless bridge.migrateAtStart is false)",
  )
  .action(withConfig((config) => migrateCommand(config)));

await program.parseAsync(process.argv);
