import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { loadConfig } from "../src/config/index.js";
import { startExporter } from "../src/exporter/index.js";
import { generateServer } from "./synthetic.js";

/**
 * One exporter benchmark case in its own process, so its peak RSS is its own: generate the synthetic
 * server, start the exporter (collecting back to back), report each collection to the parent, and
 * report the peak RSS when the parent has finished scraping.
 */
const accounts = Number(process.argv[2]);
const send = (message: object) => process.send?.(message);

const root = mkdtempSync(path.join(tmpdir(), "stoney-bench-"));
// An interrupted benchmark must not leave 50,000 homes behind.
process.on("disconnect", () => {
  rmSync(root, { recursive: true, force: true });
  process.exit(1);
});
const generating = performance.now();
const configFile = generateServer(root, accounts);
send({ type: "generated", seconds: (performance.now() - generating) / 1000 });

// The collector logs each collection at info; read those lines instead of printing them.
const logs = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (!line.includes('"collection done"')) continue;
      const entry = JSON.parse(line) as { seconds: number; accounts: number; hosts: number; bytes: number };
      send({ type: "collection", ...entry });
    }
    done();
  },
});
const config = loadConfig(configFile);
const exporter = await startExporter(config, pino({ level: "info" }, logs));
send({ type: "listening", url: exporter.url });

process.on("message", async (message: { type: string }) => {
  if (message.type !== "finish") return;
  const maxRssBytes = process.resourceUsage().maxRSS * 1024;
  await exporter.close();
  rmSync(root, { recursive: true, force: true });
  send({ type: "finished", maxRssBytes });
  process.removeAllListeners("disconnect");
  process.disconnect();
});
