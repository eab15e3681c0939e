export { account } from "../support/accounts.js";

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { afterEach } from "vitest";
import type { Logger } from "../../src/log.js";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const samplesDir = path.join(repoRoot, "test/fixtures/samples");
export const exampleBackupRoot = path.join(repoRoot, "examples/backup");

/** The fixed "now" every test of the example data uses. */
export const NOW = new Date("2026-11-26T12:00:00Z");

/** A logger whose JSON lines are kept for assertions. */
export function capturingLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const collected: string[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => collected.push(line) });
  return { logger, lines: () => collected.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

const temporary: string[] = [];
afterEach(() => {
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh folder removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "stoney-backup-test-"));
  temporary.push(dir);
  return dir;
}
