import { parseArgs } from "node:util";
import { bridgeSection } from "./bridge.js";
import { benchExporter, benchRender, type ExporterResult, type RenderResult } from "./exporter.js";

/**
 * `npm run bench [-- --accounts 5000,50000]`: prints one table per part. Each part's benchmark is a
 * function called below in turn; every case runs in a child process so peak RSS is per case.
 */
const { values } = parseArgs({
  options: {
    accounts: { type: "string", default: "5000,50000" },
    collections: { type: "string", default: "3" },
    scrapes: { type: "string", default: "40" },
    /** V8 old-space limit of the exporter case (`--max-old-space-size`), as an operator would set it. */
    "exporter-heap-mib": { type: "string" },
    /** Parts to run, comma separated: render, exporter, bridge (default all). */
    parts: { type: "string", default: "render,exporter,bridge" },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  process.stdout.write(
    "npm run bench -- [--parts render,exporter,bridge] [--accounts 5000,50000] [--collections 3] [--scrapes 40] [--exporter-heap-mib N]\n",
  );
  process.exit(0);
}
const parts = new Set((values.parts ?? "").split(","));
const sizes = (values.accounts ?? "").split(",").map(Number);
if (sizes.some((n) => !Number.isInteger(n) || n <= 0)) {
  process.stderr.write("--accounts: expected positive integers separated by commas, e.g. 5000,50000\n");
  process.exit(2);
}

const fixed = (n: number, digits: number) => n.toFixed(digits);
const mib = (bytes: number) => fixed(bytes / 2 ** 20, 1);

async function exporterTable(): Promise<void> {
  const rows: ExporterResult[] = [];
  for (const accounts of sizes) {
    process.stderr.write(`exporter: ${accounts} accounts ...\n`);
    rows.push(
      await benchExporter(accounts, {
        collections: Number(values.collections),
        scrapes: Number(values.scrapes),
        heapMiB: values["exporter-heap-mib"] === undefined ? undefined : Number(values["exporter-heap-mib"]),
      }),
    );
  }
  const lines = [
    "| accounts (exported) | hosts | collection s (first) | collection s | scrape p50 ms (gzip) | scrape p99 ms (gzip) | plain scrape ms | body MiB plain | body MiB gzip | peak RSS MiB |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.accounts} (${r.exported}) | ${r.hosts} | ${fixed(r.firstCollectionSeconds, 2)} | ${fixed(r.collectionSeconds, 2)} | ${fixed(r.scrapeP50Ms, 1)} | ${fixed(r.scrapeP99Ms, 1)} | ${fixed(r.plainScrapeMs, 1)} | ${mib(r.plainBytes)} | ${mib(r.gzipBytes)} | ${fixed(r.peakRssMiB, 0)} |`,
    ),
  ];
  const heap = values["exporter-heap-mib"];
  const title = heap === undefined ? "exporter" : `exporter (--max-old-space-size=${heap})`;
  process.stdout.write(`\n## ${title}\n\n${lines.join("\n")}\n`);
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

if (parts.has("render")) await renderTable();
if (parts.has("exporter")) await exporterTable();
if (parts.has("bridge")) await bridgeSection();
