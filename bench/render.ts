import { fork } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export interface RenderResult {
  accounts: number;
  seconds: number;
  plainBytes: number;
  gzipBytes: number;
  peakRssMiB: number;
  samplesRssMiB: number;
}

const renderScript = path.join(path.dirname(fileURLToPath(import.meta.url)), "render-case.ts");

/** Render and compress `accounts` synthetic accounts in a child process (the exporter's own share of a collection). */
export function benchRender(accounts: number): Promise<RenderResult> {
  return new Promise((resolve, reject) => {
    const child = fork(renderScript, [String(accounts)], { stdio: ["ignore", "pipe", "inherit", "ipc"] });
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on("exit", (code) =>
      code === 0
        ? resolve(JSON.parse(output) as RenderResult)
        : reject(new Error(`render case for ${accounts} accounts exited with ${code}`)),
    );
  });
}
