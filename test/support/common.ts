import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { createRequire } from "node:module";
import net from "node:net";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const exampleLdif = path.join(repoRoot, "examples/directory.ldif");
export const exampleBackupRoot = path.join(repoRoot, "examples/backup");

/** A port that was free on 127.0.0.1 a moment ago. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject()));
    });
  });

/**
 * Poll `probe` until it returns something other than undefined or false; a probe that throws is
 * retried, and its last error is named if time runs out.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ""}`,
      );
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Node's arguments that run the CLI from source, from any working directory. */
const cliArguments = (args: readonly string[]): string[] => [
  "--import",
  pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href,
  path.join(repoRoot, "src/cli.ts"),
  ...args,
];

/** Run the CLI from source as an operator would; never rejects. */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  cwd = repoRoot,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      cliArguments(args),
      { cwd, env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The CLI (from source) as a child process, for tests of the subcommands' process behaviour. */
export function spawnCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  stdout: "ignore" | "pipe" = "ignore",
): {
  child: ChildProcess;
  exited: Promise<number | null>;
  stderr: () => string;
} {
  const child = spawn(process.execPath, cliArguments(args), {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", stdout, "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = once(child, "exit").then(([code]) => code as number | null);
  return { child, exited, stderr: () => stderr };
}
