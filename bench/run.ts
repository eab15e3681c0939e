import { parseArgs } from "node:util";
import { bridgeSection } from "./bridge.js";
import { benchBridgePeer, peerTables } from "./bridge-peer.js";
import {
  benchExporterSize,
  buildExporter,
  type Latencies,
  median,
  type ProfileEntry,
  type SizeResult,
} from "./exporter.js";
import { benchHa, haTable } from "./ha.js";
import { benchRender, type RenderResult } from "./render.js";
import { benchScrape, type ScrapeResult } from "./scrape.js";
import { selfcareSection } from "./selfcare.js";

/**
 * `npm run bench [-- --accounts 5000,50000]`: prints one table per part. Each part's benchmark is a
 * function called below in turn; every exporter run is a child process so peak RSS is per run.
 */
const { values } = parseArgs({
  options: {
    accounts: { type: "string", default: "5000,50000" },
    /** Runs of each case: exporter runs per size and concurrency (each: floors, a cold and the warm collections, SIGTERM), bridge bursts, peer and HA rounds. */
    runs: { type: "string", default: "3" },
    /** Warm collections per run. */
    collections: { type: "string", default: "3" },
    /** backup.readerThreads values to measure (file-system calls in flight), comma separated. */
    "reader-threads": { type: "string", default: "2" },
    /** The last run of each size under --cpu-prof, for the profile's top entries. */
    profile: { type: "boolean", default: true },
    "no-profile": { type: "boolean", default: false },
    /** Keep the synthetic servers in this folder and reuse them (generating 50,000 homes takes minutes). */
    "keep-tree": { type: "string" },
    /** Flags for the exporter case's node, separated by spaces, as an operator would set them (e.g. `--max-old-space-size=256`). */
    "exporter-node-flags": { type: "string" },
    /** Rounds of plain and gzip scrapes of the scrape part (the exporter's app and the static server alone). */
    "scrape-rounds": { type: "string", default: "30" },
    /** Parts to run, comma separated: render, scrape, exporter, bridge, peer (bridge vs Alertmanager), selfcare, ha (SQLite vs PostgreSQL outbox) (default all). */
    parts: { type: "string", default: "render,scrape,exporter,bridge,peer,selfcare,ha" },
    /** Keep the bridge's CPU profile and outboxes of the peer part in this folder. */
    "keep-bridge": { type: "string" },
    /** The peer part also feeds the bridge directly, without Alertmanager. */
    direct: { type: "boolean", default: false },
    /** Accounts in slapd for the self-care portal (a reseller contact sees a tenth of them). */
    "selfcare-accounts": { type: "string", default: "50000" },
    /** Accounts of them with 400 days of journal (SQLite; 50,000 write about 60 million runs). */
    "journal-accounts": { type: "string", default: "50000" },
    /** Self-care requests per case. */
    "selfcare-requests": { type: "string", default: "200" },
    /** The self-care part also measures with the scope searched on every request (seconds per request). */
    "selfcare-uncached": { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  process.stdout.write(
    'npm run bench -- [--parts render,scrape,exporter,bridge,peer,selfcare,ha] [--scrape-rounds 30] [--direct] [--keep-bridge DIR] [--selfcare-accounts 50000] [--journal-accounts 50000] [--selfcare-requests 200] [--selfcare-uncached] [--accounts 5000,50000] [--runs 3] [--collections 3] [--reader-threads 1,2,4] [--no-profile] [--keep-tree DIR] [--exporter-node-flags "--flag ..."]\n',
  );
  process.exit(0);
}
const parts = new Set((values.parts ?? "").split(","));
const positive = (text: string | undefined, option: string): number[] => {
  const numbers = (text ?? "").split(",").map(Number);
  if (numbers.some((n) => !Number.isInteger(n) || n <= 0)) {
    process.stderr.write(`--${option}: expected positive integers separated by commas, e.g. 5000,50000\n`);
    process.exit(2);
  }
  return numbers;
};
const sizes = positive(values.accounts, "accounts");

const fixed = (n: number, digits: number) => n.toFixed(digits);
const mib = (bytes: number) => fixed(bytes / 2 ** 20, 1);
const ms = (l: Latencies) => `${fixed(l.p50, 1)} / ${fixed(l.p99, 1)}`;

function exporterTables(result: SizeResult): string {
  const runs = result.runs;
  const floor = (r: (typeof runs)[number]) => r.floorFilesSeconds + r.floorLdapSeconds;
  const first = runs[0];
  const lines = [
    `\n## exporter: ${result.accounts} accounts (${first?.exported} exported, ${first?.hosts} hosts, ${result.files} client files, ${result.ldapEntries} directory entries)\n`,
    `Floor: the ${result.fileReader} reader of every client file plus one paged ldapsearch of all accounts on slapd, measured before and after each run (mean).\n`,
    "| run | reader threads | load 1 min (mean / max) | floor files s | floor LDAP s | cold s (CPU s) | warm s (CPU s) | journal writes s | gzip scrape p50 / p99 ms (static) | plain scrape p50 / p99 ms (static) | body MiB gzip / plain | peak RSS MiB | SIGTERM to exit s |",
    "|---:|---:|---|---:|---:|---:|---:|---:|---|---|---|---:|---:|",
    ...runs.map(
      (r, i) =>
        `| ${i + 1} | ${r.threads} | ${fixed(r.load.mean, 1)} / ${fixed(r.load.max, 1)} | ${fixed(r.floorFilesSeconds, 2)} | ${fixed(r.floorLdapSeconds, 2)} | ${fixed(r.coldSeconds, 2)} (${fixed(r.coldCpuSeconds, 1)}) | ${fixed(r.warmSeconds, 2)} (${fixed(r.warmCpuSeconds, 1)}) | ${fixed(r.journalWriteSeconds, 2)} | ${ms(r.gzip)} (${ms(r.staticGzip)}) | ${ms(r.plain)} (${ms(r.staticPlain)}) | ${mib(r.gzipBytes)} / ${mib(r.plainBytes)} | ${fixed(r.peakRssMiB, 0)} | ${fixed(r.stopSeconds, 2)} |`,
    ),
  ];
  for (const threads of new Set(runs.map((r) => r.threads))) {
    const these = runs.filter((r) => r.threads === threads);
    const row = (name: string, target: string, value: (r: (typeof runs)[number]) => number, digits = 2) => {
      const all = these.map(value);
      return `| ${name} | ${fixed(Math.min(...all), digits)} | ${fixed(median(all), digits)} | ${fixed(Math.max(...all), digits)} | ${target} |`;
    };
    lines.push(
      `\nRatios over ${these.length} run(s) with ${threads} reader thread(s):\n`,
      "| ratio | min | median | max | target |",
      "|---|---:|---:|---:|---|",
      row("warm collection / floor", "≤ 3", (r) => r.warmSeconds / floor(r)),
      row("cold collection / floor", "≤ 5", (r) => r.coldSeconds / floor(r)),
      row(
        "journal writes / cold collection CPU, % (every finished run recorded at once)",
        "< 5",
        (r) => (100 * r.journalWriteSeconds) / r.coldCpuSeconds,
        1,
      ),
      row("gzip scrape p99 / static p99 (4 concurrent)", "≤ 2", (r) => r.gzip.p99 / r.staticGzip.p99),
      row("gzip scrape p50 / static p50", "", (r) => r.gzip.p50 / r.staticGzip.p50),
      row("plain scrape p99 / static p99", "≤ 2", (r) => r.plain.p99 / r.staticPlain.p99),
      row(
        "peak RSS MiB (scrapes during collections)",
        "< 400 at 50,000; < 500 at 100,000",
        (r) => r.peakRssMiB,
        0,
      ),
      row("SIGTERM in a collection to exit, s", "≤ 2", (r) => r.stopSeconds),
    );
  }
  const profileTable = (title: string, entries: ProfileEntry[]) => [
    `\nCPU profile of the last run (self time, ${title}, whole run):\n`,
    "| % | function |",
    "|---:|---|",
    ...entries.map((entry) => `| ${fixed(entry.percent, 1)} | \`${entry.name}\` |`),
  ];
  if (result.profile) lines.push(...profileTable("main thread", result.profile.main));
  if (result.profile?.reader) lines.push(...profileTable("busiest reader thread", result.profile.reader));
  return `${lines.join("\n")}\n`;
}

/** How collection time and memory grow between the measured sizes. */
function growthTable(results: SizeResult[]): string {
  if (results.length < 2) return "";
  const lines = [
    "\n## exporter growth per 1,000 accounts\n",
    "| between | warm collection s | cold collection s | peak RSS MiB |",
    "|---|---:|---:|---:|",
  ];
  const of = (r: SizeResult, value: (run: SizeResult["runs"][number]) => number) => median(r.runs.map(value));
  for (let i = 1; i < results.length; i++) {
    const a = results[i - 1] as SizeResult;
    const b = results[i] as SizeResult;
    const per = (value: (run: SizeResult["runs"][number]) => number) =>
      ((of(b, value) - of(a, value)) / (b.accounts - a.accounts)) * 1000;
    lines.push(
      `| ${a.accounts} and ${b.accounts} | ${fixed(
        per((r) => r.warmSeconds),
        3,
      )} | ${fixed(
        per((r) => r.coldSeconds),
        3,
      )} | ${fixed(
        per((r) => r.peakRssMiB),
        2,
      )} |`,
    );
  }
  return `${lines.join("\n")}\n`;
}

async function exporterSection(): Promise<void> {
  buildExporter();
  const results: SizeResult[] = [];
  for (const accounts of sizes) {
    const result = await benchExporterSize(accounts, {
      runs: positive(values.runs, "runs")[0] ?? 3,
      warmCollections: positive(values.collections, "collections")[0] ?? 3,
      threads: positive(values["reader-threads"], "reader-threads"),
      profile: values.profile === true && values["no-profile"] !== true,
      ...(values["keep-tree"] === undefined ? {} : { keepDir: values["keep-tree"] }),
      ...(values["exporter-node-flags"] === undefined
        ? {}
        : { nodeFlags: values["exporter-node-flags"].split(" ").filter((flag) => flag !== "") }),
    });
    results.push(result);
    if (values["exporter-node-flags"] !== undefined)
      process.stdout.write(`\nThe exporter ran as \`node ${values["exporter-node-flags"]}\`.\n`);
    process.stdout.write(exporterTables(result));
  }
  process.stdout.write(growthTable(results));
}

/** The exporter's own share of a collection: rendering and compressing, without file or directory work. */
async function renderTable(): Promise<void> {
  const rows: RenderResult[] = [];
  for (const accounts of sizes) rows.push(await benchRender(accounts));
  const lines = [
    "| accounts | render + compress s | body MiB plain | body MiB gzip | peak RSS MiB (samples alone) |",
    "|---:|---:|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.accounts} | ${fixed(r.seconds, 2)} | ${mib(r.plainBytes)} | ${mib(r.gzipBytes)} | ${fixed(r.peakRssMiB, 0)} (${fixed(r.samplesRssMiB, 0)}) |`,
    ),
  ];
  process.stdout.write(`\n## exporter rendering\n\n${lines.join("\n")}\n`);
}

/** Scrapes of the exporter's app against the static server, without files or a directory, idle and busy. */
async function scrapeTable(): Promise<void> {
  const rows: ScrapeResult[] = [];
  const rounds = positive(values["scrape-rounds"], "scrape-rounds")[0] ?? 30;
  for (const accounts of sizes)
    for (const busy of [false, true]) rows.push(await benchScrape(accounts, rounds, busy));
  const latency = (l: ScrapeResult["plain"]) => `${fixed(l.p50, 1)} / ${fixed(l.p99, 1)}`;
  const lines = [
    "| accounts | exporter meanwhile | body MiB plain / gzip | plain p50 / p99 ms (static) | plain p99 / static p99 | gzip p50 / p99 ms (static) | CPU ms per plain scrape | peak RSS MiB |",
    "|---:|---|---|---|---:|---|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.accounts} | ${r.busy ? "rendering + compressing" : "idle"} | ${mib(r.plainBytes)} / ${mib(r.gzipBytes)} | ${latency(r.plain)} (${latency(r.staticPlain)}) | ${fixed(r.plain.p99 / r.staticPlain.p99, 2)} | ${latency(r.gzip)} (${latency(r.staticGzip)}) | ${r.plainCpuMs === undefined ? "" : fixed(r.plainCpuMs, 0)} | ${fixed(r.peakRssMiB, 0)} |`,
    ),
  ];
  process.stdout.write(`\n## exporter scrapes (${rounds} rounds)\n\n${lines.join("\n")}\n`);
}

if (parts.has("render")) await renderTable();
if (parts.has("scrape")) await scrapeTable();
if (parts.has("exporter")) await exporterSection();
const runs = positive(values.runs, "runs")[0] ?? 3;
if (parts.has("bridge")) await bridgeSection(runs);
if (parts.has("peer"))
  process.stdout.write(
    peerTables(
      await benchBridgePeer({
        runs,
        direct: values.direct === true,
        ...(values["keep-bridge"] === undefined ? {} : { keepIn: values["keep-bridge"] }),
        profile: values.profile === true && values["no-profile"] !== true,
      }),
    ),
  );
if (parts.has("selfcare"))
  await selfcareSection({
    accounts: positive(values["selfcare-accounts"], "selfcare-accounts")[0] ?? 50_000,
    journalAccounts: positive(values["journal-accounts"], "journal-accounts")[0] ?? 50_000,
    requests: positive(values["selfcare-requests"], "selfcare-requests")[0] ?? 200,
    uncached: values["selfcare-uncached"] === true,
  });
if (parts.has("ha")) process.stdout.write(haTable(await benchHa(runs)));
