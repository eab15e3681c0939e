import { accessSync, constants } from "node:fs";
import path from "node:path";

const searchPath = [
  "/usr/sbin",
  "/usr/bin",
  "/sbin",
  "/bin",
  ...(process.env.PATH ?? "").split(path.delimiter),
];

/** The absolute path of an executable, looked up in the sbin folders too (slapd lives in /usr/sbin). */
export function findBinary(name: string): string | undefined {
  for (const dir of searchPath) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

/**
 * True when every binary exists. Missing binaries skip the calling suite with a loud warning on a
 * developer machine, but throw in CI, where a skipped integration test would hide a broken build.
 */
export function requireBinaries(names: string[]): boolean {
  const missing = names.filter((name) => findBinary(name) === undefined);
  if (missing.length === 0) return true;
  const message = `missing binaries: ${missing.join(", ")} (install them, e.g. apt-get install slapd ldap-utils)`;
  if (process.env.CI === "true") throw new Error(`${message}; CI must run every integration test`);
  console.warn(`\n*** SKIPPING integration tests: ${message} ***\n`);
  return false;
}
