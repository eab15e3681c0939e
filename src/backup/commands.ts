import { readdir } from "node:fs/promises";
import type { Writable } from "node:stream";
import type { Config } from "../config/index.js";

/** The backup part of `check-config`: the exporter can list the backup root; prints one `ok` or `FAILED` line. */
export async function checkBackupCommand(
  config: Config,
  stdout: Pick<Writable, "write"> = process.stdout,
): Promise<boolean> {
  const { root } = config.backup;
  try {
    const entries = await readdir(root);
    stdout.write(`backup ${root}: ok (${entries.length} entries)\n`);
    return true;
  } catch (error) {
    stdout.write(`backup ${root}: FAILED: cannot list it (${(error as NodeJS.ErrnoException).code})\n`);
    return false;
  }
}
