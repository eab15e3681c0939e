import { type ChildProcess, execFileSync, fork } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { request } from "node:http";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { directorySchema } from "../src/config/directory.js";
import { type Slapd, startSlapd } from "../test/support/slapd.js";
import { type FileFloor, ldapFloor, prepareFileFloor } from "./floor.js";
import { accountsBase, generateServer } from "./synthetic.js";

interface Collection {
  seconds: number;
  /** CPU time of the whole process (every thread) during the collection. */
  cpuSeconds: number;
  accounts: number;
  hosts: number;
  bytes: number;
}

type CaseMessage =
  | { type: "listening"; url: string }
  | ({ type: "collection" } & Collection)
  | { type: "report"; maxRssBytes: number };

const here = path.dirname(fileURLToPath(import.meta.url));
const caseScript = path.join(here, "exporter-case.mjs");
const staticScript = path.join(here, "static-server.ts");

/** The exporter runs the built code, as the service does: build it once before the first run. */
export function buildExporter(): void {
  process.stderr.write("exporter: building dist/ ...\n");
  execFileSync(
    process.execPath,
    [path.join(here, "..", "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"],
    {
      cwd: path.join(here, ".."),
      stdio: "inherit",
    },
  );
}

/** Latencies of one kind of scrape, in milliseconds. */
export interface Latencies {
  p50: number;
  p99: number;
  count: number;
}

/** One exporter process against its floors, measured side by side. */
export interface RunResult {
  /** backup.readerThreads: file-system calls in flight. */
  threads: number;
  load: { mean: number; max: number };
  floorFilesSeconds: number;
  floorLdapSeconds: number;
  coldSeconds: number;
  coldCpuSeconds: number;
  /** Median of the warm collections. */
  warmSeconds: number;
  warmCpuSeconds: number;
  /** The exporter's own account of its journal writes, over the cold and the warm collections. */
  journalWriteSeconds: number;
  exported: number;
  hosts: number;
  gzip: Latencies;
  staticGzip: Latencies;
  plain: Latencies;
  staticPlain: Latencies;
  gzipBytes: number;
  plainBytes: number;
  peakRssMiB: number;
  /** SIGTERM during a collection until the process is gone. */
  stopSeconds: number;
}

export interface ProfileEntry {
  name: string;
  percent: number;
}

export interface SizeResult {
  accounts: number;
  fileReader: string;
  ldapEntries: number;
  files: number;
  runs: RunResult[];
  /** The profiled run's main thread, and its busiest reader thread. */
  profile?: { main: ProfileEntry[]; reader?: ProfileEntry[] };
}

export interface ExporterBenchOptions {
  runs: number;
  /** Warm collections per run (after the cold one). */
  warmCollections: number;
  /** backup.readerThreads values to measure. */
  threads: number[];
  profile: boolean;
  /** Further flags for the exporter's node, as an operator would start it (e.g. `--single-threaded-gc`). */
  nodeFlags?: string[];
  /** Keep the synthetic server in this folder between benchmarks (else a temporary one, removed). */
  keepDir?: string;
}

export const percentile = (values: readonly number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
};
export const median = (values: readonly number[]): number => percentile(values, 50);
const latencies = (values: number[]): Latencies => ({
  p50: percentile(values, 50),
  p99: percentile(values, 99),
  count: values.length,
});

/** GET /metrics to the last byte; milliseconds, and the body when asked for. */
export const scrape = (url: string, gzip: boolean, keep = false): Promise<{ ms: number; body?: Buffer }> =>
  new Promise((resolve, reject) => {
    const started = performance.now();
    request(`${url}/metrics`, { headers: { "accept-encoding": gzip ? "gzip" : "identity" } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => {
        if (keep) chunks.push(chunk);
      });
      res.on("end", () =>
        resolve({ ms: performance.now() - started, ...(keep ? { body: Buffer.concat(chunks) } : {}) }),
      );
      res.on("error", reject);
    })
      .on("error", reject)
      .end();
  });

const timesOf = async (n: number, work: () => Promise<{ ms: number }>) =>
  (await Promise.all(Array.from({ length: n }, work))).map((result) => result.ms);

/** The 1-minute load average, sampled every second while `work` runs. */
async function withLoad<T>(
  work: () => Promise<T>,
): Promise<{ value: T; load: { mean: number; max: number } }> {
  const samples = [loadavg()[0] ?? 0];
  const timer = setInterval(() => samples.push(loadavg()[0] ?? 0), 1000);
  try {
    const value = await work();
    samples.push(loadavg()[0] ?? 0);
    return {
      value,
      load: { mean: samples.reduce((a, b) => a + b, 0) / samples.length, max: Math.max(...samples) },
    };
  } finally {
    clearInterval(timer);
  }
}

const startStatic = async (
  gzipFile: string,
  plainFile: string,
): Promise<{ url: string; child: ChildProcess }> => {
  const child = fork(staticScript, [gzipFile, plainFile], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const message = await new Promise<{ url: string }>((resolve) =>
    child.once("message", (m) => resolve(m as { url: string })),
  );
  return { url: message.url, child };
};

/** A script's path as a reader finds it: `src/…`, or the package for a dependency. */
const shortUrl = (url: string): string => {
  const inPackage = url.lastIndexOf("node_modules/");
  if (inPackage >= 0) return url.slice(inPackage + "node_modules/".length);
  const inRepository = url.lastIndexOf("/src/");
  return inRepository >= 0 ? url.slice(inRepository + 1) : url.replace(/^file:\/\//, "");
};

/** Self time by function, from a V8 .cpuprofile, largest first. */
export function topOfProfile(file: string, count: number): ProfileEntry[] {
  const profile = JSON.parse(readFileSync(file, "utf8")) as {
    nodes: {
      id: number;
      hitCount?: number;
      callFrame: { functionName: string; url: string; lineNumber: number };
    }[];
  };
  const byName = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? ` ${shortUrl(url)}:${lineNumber + 1}` : "";
    const name = `${functionName || "(anonymous)"}${where}`;
    byName.set(name, (byName.get(name) ?? 0) + hits);
    total += hits;
  }
  return [...byName.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, hits]) => ({ name, percent: (100 * hits) / total }));
}

interface Bench {
  root: string;
  backupRoot: string;
  slapd: Slapd;
  fileFloor: FileFloor;
  attributes: string[];
  filter: string;
  pageSize: number;
}

/** The floors once: reading every client file, then one paged search of all accounts. */
async function measureFloor(
  bench: Bench,
): Promise<{ files: number; ldap: number; fileCount: number; entries: number }> {
  const files = await bench.fileFloor.run(bench.backupRoot);
  const ldap = await ldapFloor(bench.slapd, accountsBase, bench.filter, bench.attributes, bench.pageSize);
  return { files: files.seconds, ldap: ldap.seconds, fileCount: files.files, entries: ldap.entries };
}

/**
 * One run: the floors, an exporter process from a fresh history (its first collection is the cold one, the
 * next ones warm, timed without scrapes), then two more collections with rounds of four concurrent gzip
 * scrapes and one plain scrape, each against the exporter and against a static server holding the same
 * body; then SIGTERM in a collection, and the floors again.
 */
async function runOnce(
  bench: Bench,
  options: ExporterBenchOptions,
  threads: number,
  profileDir?: string,
): Promise<RunResult & { fileCount: number; entries: number }> {
  const historyPath = path.join(bench.root, "history.sqlite");
  for (const suffix of ["", "-wal", "-shm"]) rmSync(`${historyPath}${suffix}`, { force: true });
  const configFile = path.join(bench.root, "config.yaml");
  writeFileSync(
    configFile,
    stringify({
      directory: { ...bench.slapd.configFor(), pageSize: bench.pageSize },
      backup: { root: bench.backupRoot, readerThreads: threads },
      history: { path: historyPath },
      exporter: { listen: { host: "127.0.0.1", port: 0 }, intervalSeconds: 1 },
      logging: { level: "info" },
    }),
  );
  const { value, load } = await withLoad(async () => {
    const before = await measureFloor(bench);
    const execArgv = [
      ...(options.nodeFlags ?? []),
      ...(profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []),
    ];
    const child = fork(caseScript, [configFile], {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      execArgv,
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const failed = exited.then((code) => Promise.reject(new Error(`exporter run exited with ${code}`)));
    failed.catch(() => undefined);
    const collections: Collection[] = [];
    let url = "";
    let report: ((rss: number) => void) | undefined;
    const waiters: (() => void)[] = [];
    child.on("message", (message: CaseMessage) => {
      if (message.type === "listening") url = message.url;
      if (message.type === "collection") {
        collections.push(message);
        for (const wake of waiters.splice(0)) wake();
      }
      if (message.type === "report") report?.(message.maxRssBytes);
    });
    const nextCollection = () =>
      Promise.race([new Promise<void>((resolve) => waiters.push(resolve)), failed]);
    let staticServer: { url: string; child: ChildProcess } | undefined;
    try {
      // Cold, then the warm collections timed without scrapes in between.
      while (collections.length < 1 + options.warmCollections) await nextCollection();
      const warm = collections.slice(1).map((c) => c.seconds);
      const warmCpu = collections.slice(1).map((c) => c.cpuSeconds);
      const gzipBody = (await scrape(url, true, true)).body as Buffer;
      const plainBody = (await scrape(url, false, true)).body as Buffer;
      const journalWriteSeconds = Number(
        /^stoney_backup_journal_write_seconds_total (\S+)$/m.exec(plainBody.toString("utf8"))?.[1] ??
          Number.NaN,
      );
      writeFileSync(path.join(bench.root, "body.gz"), gzipBody);
      writeFileSync(path.join(bench.root, "body.txt"), plainBody);
      staticServer = await startStatic(path.join(bench.root, "body.gz"), path.join(bench.root, "body.txt"));
      const times = {
        gzip: [] as number[],
        staticGzip: [] as number[],
        plain: [] as number[],
        staticPlain: [] as number[],
      };
      // Then scrapes during two more collections: rounds of four concurrent gzip scrapes and one plain
      // scrape, the same against the static server right after, a fifth of a second apart.
      const scrapedUntil = collections.length + 2;
      while (collections.length < scrapedUntil) {
        times.gzip.push(...(await timesOf(4, () => scrape(url, true))));
        times.staticGzip.push(
          ...(await timesOf(4, () => scrape((staticServer as { url: string }).url, true))),
        );
        times.plain.push((await scrape(url, false)).ms);
        times.staticPlain.push((await scrape(staticServer.url, false)).ms);
        await Promise.race([
          exited.then(() => undefined),
          new Promise((resolve) => setTimeout(resolve, 200)),
        ]);
        if (child.exitCode !== null) await failed;
      }
      const rss = await new Promise<number>((resolve) => {
        report = resolve;
        child.send({ type: "report" });
      });
      // SIGTERM a third into a collection (they run back to back), at most a second.
      await nextCollection();
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000, (median(warm) * 1000) / 3)));
      const signalled = performance.now();
      child.kill("SIGTERM");
      await exited;
      const stopSeconds = (performance.now() - signalled) / 1000;
      const after = await measureFloor(bench);
      const last = collections.at(-1) as Collection;
      return {
        threads,
        floorFilesSeconds: (before.files + after.files) / 2,
        floorLdapSeconds: (before.ldap + after.ldap) / 2,
        coldSeconds: (collections[0] as Collection).seconds,
        coldCpuSeconds: (collections[0] as Collection).cpuSeconds,
        warmSeconds: median(warm),
        warmCpuSeconds: median(warmCpu),
        journalWriteSeconds,
        exported: last.accounts,
        hosts: last.hosts,
        gzip: latencies(times.gzip),
        staticGzip: latencies(times.staticGzip),
        plain: latencies(times.plain),
        staticPlain: latencies(times.staticPlain),
        gzipBytes: gzipBody.length,
        plainBytes: plainBody.length,
        peakRssMiB: rss / 2 ** 20,
        stopSeconds,
        fileCount: before.fileCount,
        entries: before.entries,
      };
    } finally {
      staticServer?.child.kill();
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
  return { ...value, load };
}

/**
 * The exporter at one size: generate the synthetic server once (tree and directory, loaded into a real
 * slapd), then `runs` runs for each file-system concurrency, and one profiled run when asked.
 */
export async function benchExporterSize(
  accounts: number,
  options: ExporterBenchOptions,
): Promise<SizeResult> {
  // Generating and removing 50,000 homes takes minutes: with --keep-tree they are made once and kept.
  const root = options.keepDir
    ? path.join(options.keepDir, `accounts-${accounts}`)
    : mkdtempSync(path.join(tmpdir(), "stoney-bench-"));
  let slapd: Slapd | undefined;
  const cleanUp = () => {
    if (!options.keepDir) rmSync(root, { recursive: true, force: true });
  };
  process.once("SIGINT", cleanUp);
  try {
    const generated = path.join(root, "generated");
    let server = { backupRoot: path.join(root, "backup"), ldifFile: path.join(root, "directory.ldif") };
    if (!existsSync(generated)) {
      process.stderr.write(`exporter: generating ${accounts} accounts ...\n`);
      rmSync(root, { recursive: true, force: true });
      mkdirSync(root, { recursive: true });
      server = generateServer(root, accounts);
      if (options.keepDir) writeFileSync(generated, "");
    }
    const { backupRoot, ldifFile } = server;
    process.stderr.write("exporter: loading them into slapd ...\n");
    slapd = await startSlapd({ ldif: [ldifFile], maxSizeBytes: Math.max(100, accounts / 100) * 2 ** 20 * 4 });
    const bench: Bench = {
      root,
      backupRoot,
      slapd,
      fileFloor: prepareFileFloor(root),
      attributes: ["uid", "homeDirectory", "sstIsActive", "objectClass", "sstQuota"],
      filter: "(|(objectClass=sstBackup)(objectClass=sstBackupMonitorSettings))",
      // The exporter's default, for its collections and the LDAP floor alike.
      pageSize: directorySchema.parse({ url: slapd.url }).pageSize,
    };
    const runs: RunResult[] = [];
    let files = 0;
    let entries = 0;
    // The last run is profiled (--cpu-prof costs a few per cent; a run more would cost minutes).
    const profileDir = path.join(root, "profile");
    const last = { threads: options.threads.at(-1), run: options.runs };
    for (const threads of options.threads)
      for (let run = 1; run <= options.runs; run++) {
        const profiled = options.profile && threads === last.threads && run === last.run;
        process.stderr.write(
          `exporter: ${accounts} accounts, ${threads} reader thread(s), run ${run}${profiled ? " (profiled)" : ""} ...\n`,
        );
        if (profiled) {
          rmSync(profileDir, { recursive: true, force: true });
          mkdirSync(profileDir);
        }
        const result = await runOnce(bench, options, threads, profiled ? profileDir : undefined);
        const floor = result.floorFilesSeconds + result.floorLdapSeconds;
        process.stderr.write(
          `  floor ${floor.toFixed(2)} s, cold ${result.coldSeconds.toFixed(2)} s, warm ${result.warmSeconds.toFixed(2)} s, gzip p99 ${result.gzip.p99.toFixed(0)} ms (static ${result.staticGzip.p99.toFixed(0)}), plain p99 ${result.plain.p99.toFixed(0)} ms (static ${result.staticPlain.p99.toFixed(0)}), peak RSS ${result.peakRssMiB.toFixed(0)} MiB, SIGTERM ${result.stopSeconds.toFixed(2)} s, load ${result.load.mean.toFixed(1)}\n`,
        );
        files = result.fileCount;
        entries = result.entries;
        runs.push(result);
      }
    let profile: SizeResult["profile"];
    if (options.profile) {
      // One profile per thread, CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile: thread 0 is the main one.
      const files = readdirSync(profileDir).filter((name) => name.endsWith(".cpuprofile"));
      const main = files.find((name) => name.split(".")[4] === "0");
      const [reader] = files
        .filter((name) => name !== main)
        .map((name) => path.join(profileDir, name))
        .sort((a, b) => statSync(b).size - statSync(a).size);
      if (main)
        profile = {
          main: topOfProfile(path.join(profileDir, main), 15),
          ...(reader ? { reader: topOfProfile(reader, 10) } : {}),
        };
    }
    return {
      accounts,
      fileReader: bench.fileFloor.reader,
      ldapEntries: entries,
      files,
      runs,
      ...(profile ? { profile } : {}),
    };
  } finally {
    process.removeListener("SIGINT", cleanUp);
    await slapd?.dispose();
    cleanUp();
  }
}
