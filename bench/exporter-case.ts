import { Writable } from "node:stream";
import { pino } from "pino";
import { loadConfig } from "../src/config/index.js";
import { startExporter } from "../src/exporter/index.js";

/**
 * One exporter run in its own process, so its peak RSS (and CPU profile) is its own: start the exporter on
 * the given configuration (collecting back to back), report each collection to the parent,
 * the peak RSS when asked, and stop on SIGTERM as the service does.
 */
const configFile = process.argv[2] as string;
const send = (message: object) => process.send?.(message);

// The collector logs each collection at info; read those lines instead of printing them.
const logs = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (line.includes('"collection done"')) {
        const entry = JSON.parse(line) as { seconds: number; accounts: number; hosts: number; bytes: number };
        send({ type: "collection", ...entry });
      } else if (line.includes('"level":50') || line.includes('"level":40'))
        process.stderr.write(`${line}\n`);
    }
    done();
  },
});
const exporter = await startExporter(loadConfig(configFile), pino({ level: "info" }, logs));
send({ type: "listening", url: exporter.url });

process.on("message", (message: { type: string }) => {
  if (message.type === "report") send({ type: "report", maxRssBytes: process.resourceUsage().maxRSS * 1024 });
});
process.once("SIGTERM", async () => {
  await exporter.close();
  // process.exit, not a natural end: --cpu-prof writes its profile here too.
  process.exit(0);
});
// An interrupted benchmark must not leave an exporter behind.
process.on("disconnect", () => process.exit(1));
