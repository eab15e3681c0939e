import { compressBody } from "../src/exporter/body.js";
import { renderText } from "../src/exporter/render-text.js";
import { syntheticSamples } from "./synthetic-samples.js";

/**
 * Render and compress the per-account metrics of `accounts` synthetic accounts (1-3 hosts each) in
 * this process, without any file or directory work, and report the time and the peak RSS.
 */
const accounts = Number(process.argv[2]);

const now = Date.now() / 1000;
const samples = syntheticSamples(accounts, now);

const rssBefore = process.memoryUsage().rss;
const started = performance.now();
const body = await compressBody(renderText(samples, new Date(now * 1000)));
const seconds = (performance.now() - started) / 1000;
process.stdout.write(
  `${JSON.stringify({
    accounts,
    seconds,
    plainBytes: body.bytes,
    gzipBytes: body.deflated.length,
    peakRssMiB: (process.resourceUsage().maxRSS * 1024) / 2 ** 20,
    samplesRssMiB: rssBefore / 2 ** 20,
  })}\n`,
);
