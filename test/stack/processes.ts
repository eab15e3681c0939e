import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { findBinary } from "../support/binaries.js";

export { freePort, repoRoot, waitFor } from "../support/common.js";

import { repoRoot } from "../support/common.js";

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a Debian binary to completion; a non-zero exit is a result, not an exception. */
export function runBinary(name: string, args: string[], cwd = repoRoot): Promise<CommandResult> {
  const file = path.isAbsolute(name) ? name : findBinary(name);
  if (!file) throw new Error(`${name} is not installed`);
  return new Promise((resolve) => {
    execFile(file, args, { cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export interface Daemon {
  /** The process id (for its CPU time in /proc). */
  readonly pid: number | undefined;
  /** Everything the process wrote to stdout and stderr so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

/** Start a long-running Debian binary and wait until `readyUrl` answers 200. */
export async function startDaemon(name: string, args: string[], readyUrl: string): Promise<Daemon> {
  const file = findBinary(name);
  if (!file) throw new Error(`${name} is not installed`);
  const child: ChildProcess = spawn(file, args, { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const daemon: Daemon = {
    pid: child.pid,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(readyUrl);
      if (response.ok) return daemon;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await daemon.stop();
  throw new Error(`${name} did not become ready at ${readyUrl}:\n${output}`);
}
