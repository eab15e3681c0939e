import { fork } from "node:child_process";
import { request } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

interface Collection {
  seconds: number;
  accounts: number;
  hosts: number;
  bytes: number;
}

type CaseMessage =
  | { type: "generated"; seconds: number }
  | { type: "listening"; url: string }
  | ({ type: "collection" } & Collection)
  | { type: "finished"; maxRssBytes: number };

export interface ExporterResult {
  accounts: number;
  /** Active accounts, the ones exported. */
  exported: number;
  hosts: number;
  generateSeconds: number;
  firstCollectionSeconds: number;
  collectionSeconds: number;
  scrapeP50Ms: number;
  scrapeP99Ms: number;
  plainScrapeMs: number;
  plainBytes: number;
  gzipBytes: number;
  peakRssMiB: number;
}

const caseScript = path.join(path.dirname(fileURLToPath(import.meta.url)), "exporter-case.ts");

/** Time one GET /metrics to the last byte; returns milliseconds and the bytes on the wire. */
const scrape = (url: string, gzip: boolean): Promise<{ ms: number; bytes: number }> =>
  new Promise((resolve, reject) => {
    const started = performance.now();
    request(`${url}/metrics`, { headers: { "accept-encoding": gzip ? "gzip" : "identity" } }, (res) => {
      let bytes = 0;
      res.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
      });
      res.on("end", () => resolve({ ms: performance.now() - started, bytes }));
      res.on("error", reject);
    })
      .on("error", reject)
      .end();
  });

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;

const median = (values: number[]): number =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

/**
 * Run the exporter on a synthetic server of `accounts` accounts in a child process: wait for
 * `collections` back-to-back collections, then scrape like Prometheus (gzip) `scrapes` times while
 * collections go on, plus a few plain scrapes.
 */
export async function benchExporter(
  accounts: number,
  { collections = 3, scrapes = 40, heapMiB }: { collections?: number; scrapes?: number; heapMiB?: number },
): Promise<ExporterResult> {
  const execArgv = [...process.execArgv, ...(heapMiB ? [`--max-old-space-size=${heapMiB}`] : [])];
  const child = fork(caseScript, [String(accounts)], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    execArgv,
  });
  const done: Collection[] = [];
  let generateSeconds = 0;
  let url = "";
  let onCollection: (() => void) | undefined;
  let onFinished: ((rss: number) => void) | undefined;
  const exited = new Promise<never>((_, reject) =>
    child.on("exit", (code) =>
      reject(new Error(`benchmark case for ${accounts} accounts exited with ${code}`)),
    ),
  );
  child.on("message", (message: CaseMessage) => {
    if (message.type === "generated") generateSeconds = message.seconds;
    if (message.type === "listening") url = message.url;
    if (message.type === "collection") {
      done.push(message);
      onCollection?.();
    }
    if (message.type === "finished") onFinished?.(message.maxRssBytes);
  });
  const collectionsDone = new Promise<void>((resolve) => {
    onCollection = () => {
      if (done.length >= collections) resolve();
    };
  });
  await Promise.race([collectionsDone, exited]);

  const gzipTimes: number[] = [];
  let gzipBytes = 0;
  for (let i = 0; i < scrapes; i++) {
    const result = await scrape(url, true);
    gzipTimes.push(result.ms);
    gzipBytes = result.bytes;
  }
  const plainTimes: number[] = [];
  let plainBytes = 0;
  for (let i = 0; i < 5; i++) {
    const result = await scrape(url, false);
    plainTimes.push(result.ms);
    plainBytes = result.bytes;
  }
  const finished = new Promise<number>((resolve) => {
    onFinished = resolve;
  });
  child.send({ type: "finish" });
  const maxRssBytes = await Promise.race([finished, exited]);
  child.removeAllListeners("exit");
  const sorted = [...gzipTimes].sort((a, b) => a - b);
  const last = done.at(-1) as Collection;
  return {
    accounts,
    exported: last.accounts,
    hosts: last.hosts,
    generateSeconds,
    firstCollectionSeconds: (done[0] as Collection).seconds,
    collectionSeconds: median(done.slice(1).map((c) => c.seconds)),
    scrapeP50Ms: percentile(sorted, 50),
    scrapeP99Ms: percentile(sorted, 99),
    plainScrapeMs: median(plainTimes),
    plainBytes,
    gzipBytes,
    peakRssMiB: maxRssBytes / 2 ** 20,
  };
}

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
