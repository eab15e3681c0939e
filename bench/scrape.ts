import { type ChildProcess, fork } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { percentile, scrape } from "./exporter.js";

/** Latencies of one kind of scrape, in milliseconds. */
export interface ScrapeLatencies {
  p50: number;
  p99: number;
  max: number;
}

export interface ScrapeResult {
  accounts: number;
  /** The exporter rendered and compressed new bodies back to back meanwhile. */
  busy: boolean;
  rounds: number;
  plainBytes: number;
  gzipBytes: number;
  plain: ScrapeLatencies;
  staticPlain: ScrapeLatencies;
  gzip: ScrapeLatencies;
  staticGzip: ScrapeLatencies;
  /** CPU time of the exporter's process per plain scrape (median), when it does nothing else. */
  plainCpuMs?: number;
  peakRssMiB: number;
}

type CaseMessage =
  | { type: "listening"; url: string }
  | { type: "usage"; cpuMs: number }
  | { type: "report"; maxRssBytes: number };

const here = path.dirname(fileURLToPath(import.meta.url));

const latencies = (values: number[]): ScrapeLatencies => ({
  p50: percentile(values, 50),
  p99: percentile(values, 99),
  max: Math.max(...values),
});

/** The next message of `type` from `child`. */
const next = <T extends CaseMessage["type"]>(
  child: ChildProcess,
  type: T,
): Promise<Extract<CaseMessage, { type: T }>> =>
  new Promise((resolve, reject) => {
    const exited = (code: number | null) =>
      reject(new Error(`waiting for ${type}: the child exited with ${code}`));
    const listener = (message: CaseMessage) => {
      if (message.type !== type) return;
      child.off("message", listener);
      child.off("exit", exited);
      resolve(message as Extract<CaseMessage, { type: T }>);
    };
    child.on("message", listener);
    child.once("exit", exited);
  });

/** The exporter process's CPU milliseconds so far. */
const cpuOf = async (child: ChildProcess): Promise<number> => {
  const usage = next(child, "usage");
  child.send({ type: "usage" });
  return (await usage).cpuMs;
};

/**
 * The scrape alone, without files or a directory: the exporter's app serving the body of `accounts`
 * synthetic accounts (`busy`: rendering and compressing new bodies back to back, as collections do) and the
 * static server holding the same bytes, in processes of their own; `rounds` rounds of a plain scrape of
 * each, then a gzip scrape of each, one at a time, so that only the serving differs.
 */
export async function benchScrape(accounts: number, rounds: number, busy: boolean): Promise<ScrapeResult> {
  const dir = mkdtempSync(path.join(tmpdir(), "stoney-scrape-"));
  const children: ChildProcess[] = [];
  try {
    const exporter = fork(path.join(here, "scrape-case.ts"), [String(accounts), busy ? "busy" : "idle"], {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    children.push(exporter);
    const { url } = await next(exporter, "listening");
    const gzipBody = (await scrape(url, true, true)).body as Buffer;
    const plainBody = (await scrape(url, false, true)).body as Buffer;
    writeFileSync(path.join(dir, "body.gz"), gzipBody);
    writeFileSync(path.join(dir, "body.txt"), plainBody);
    const staticServer = fork(
      path.join(here, "static-server.ts"),
      [path.join(dir, "body.gz"), path.join(dir, "body.txt")],
      { stdio: ["ignore", "inherit", "inherit", "ipc"] },
    );
    children.push(staticServer);
    const staticUrl = (await next(staticServer, "listening")).url;
    const times = {
      plain: [] as number[],
      staticPlain: [] as number[],
      gzip: [] as number[],
      staticGzip: [] as number[],
      plainCpu: [] as number[],
    };
    for (let round = 0; round < rounds; round++) {
      const cpuBefore = await cpuOf(exporter);
      times.plain.push((await scrape(url, false)).ms);
      times.plainCpu.push((await cpuOf(exporter)) - cpuBefore);
      times.staticPlain.push((await scrape(staticUrl, false)).ms);
      times.gzip.push((await scrape(url, true)).ms);
      times.staticGzip.push((await scrape(staticUrl, true)).ms);
    }
    const report = next(exporter, "report");
    exporter.send({ type: "report" });
    return {
      accounts,
      busy,
      rounds,
      plainBytes: plainBody.length,
      gzipBytes: gzipBody.length,
      plain: latencies(times.plain),
      staticPlain: latencies(times.staticPlain),
      gzip: latencies(times.gzip),
      staticGzip: latencies(times.staticGzip),
      ...(busy ? {} : { plainCpuMs: latencies(times.plainCpu).p50 }),
      peakRssMiB: (await report).maxRssBytes / 2 ** 20,
    };
  } finally {
    for (const child of children) child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}
