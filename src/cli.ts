#!/usr/bin/env node
import { Command } from "commander";
import { checkMailCommand, historyCommand, migrateCommand } from "./bridge/commands.js";
import { startBridge } from "./bridge/index.js";
import { type Config, ConfigError, defaultConfigPath, loadConfig } from "./config/index.js";
import { checkDirectoryCommand, explainCommand } from "./directory/commands.js";
import { startExporter } from "./exporter/index.js";
import { createLogger } from "./log.js";
import { serveUntilSignal } from "./service.js";

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

/** Run the exporter, the bridge or both until SIGINT/SIGTERM. */
const serve = (config: Config, parts: ReadonlyArray<"exporter" | "bridge">): Promise<number> => {
  const logger = createLogger(config.logging.level);
  const starters = { exporter: startExporter, bridge: startBridge };
  return serveUntilSignal(
    logger,
    parts.map((name) => ({ name, start: () => starters[name](config, logger) })),
  );
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
    "show accounts' directory data, effective thresholds (and their sources) and who would be mailed",
  )
  .argument("<uid...>", "account uids")
  .action(withConfig((config, uids: string[]) => explainCommand(config, uids)));

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
  .description("run the exporter and the bridge in one process")
  .action(withConfig((config) => serve(config, ["exporter", "bridge"])));

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
