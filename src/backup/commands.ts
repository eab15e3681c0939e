import { readdir } from "node:fs/promises";
import type { Writable } from "node:stream";
import type { Config } from "../config/index.js";

/**
 * The backup part of `check-config`: the exporter can list the backup root and every `homePrefixes`
 * target; prints one `ok` or `FAILED` line for each.
 */
export async function checkBackupCommand(
  config: Config,
  stdout: Pick<Writable, "write"> = process.stdout,
): Promise<boolean> {
  const { root, homePrefixes } = config.backup;
  let ok = true;
  for (const dir of new Set([root, ...homePrefixes.map((prefix) => prefix.to)])) {
    try {
      const entries = await readdir(dir);
      stdout.write(`backup ${dir}: ok (${entries.length} entries)\n`);
    } catch (error) {
      stdout.write(`backup ${dir}: FAILED: cannot list it (${(error as NodeJS.ErrnoException).code})\n`);
      ok = false;
    }
  }
  return ok;
}
