import type { Writable } from "node:stream";
import { homeOf } from "../backup/index.js";
import type { Config } from "../config/index.js";
import { createLogger } from "../log.js";
import { describeDirectoryCheck, type ExplainMore, explainAccounts } from "./explain.js";
import { openDirectory } from "./index.js";
import { DirectoryError } from "./model.js";

interface Output {
  stdout: Pick<Writable, "write">;
  stderr: Pick<Writable, "write">;
}

const standard: Output = { stdout: process.stdout, stderr: process.stderr };

/** `explain <uid...>`: 0 when every account was found, 1 for unknown uids or directory errors. */
export async function explainCommand(
  config: Config,
  uids: readonly string[],
  output = standard,
  more?: ExplainMore,
): Promise<number> {
  const directory = openDirectory(
    config.directory,
    createLogger(config.logging.level, config.logging.format),
  );
  try {
    const { text, unknown } = await explainAccounts(
      directory,
      uids,
      config.directory,
      (account) => homeOf(account, config.backup),
      more,
    );
    if (text) output.stdout.write(`${text}\n`);
    for (const uid of unknown)
      output.stderr.write(`explain: no account with uid ${uid} in ${config.directory.url}\n`);
    return unknown.length > 0 ? 1 : 0;
  } catch (error) {
    if (!(error instanceof DirectoryError)) throw error;
    output.stderr.write(`${error.message}\n`);
    return 1;
  } finally {
    await directory.close();
  }
}

/** The directory part of `check-config`: bind and one search; prints one `ok` or `FAILED` line. */
export async function checkDirectoryCommand(config: Config, output = standard): Promise<boolean> {
  let directory: ReturnType<typeof openDirectory>;
  try {
    directory = openDirectory(config.directory, createLogger(config.logging.level, config.logging.format));
  } catch (error) {
    if (!(error instanceof DirectoryError)) throw error;
    output.stdout.write(`directory ${config.directory.url}: FAILED: ${error.message}\n`);
    return false;
  }
  const result = await describeDirectoryCheck(directory, config.directory.url);
  await directory.close();
  output.stdout.write(`${result.line}\n`);
  return result.ok;
}
