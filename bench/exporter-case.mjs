import { Writable } from "node:stream";
import { pino } from "pino";
import { loadConfig } from "../dist/config/index.js";
import { startExporter } from "../dist/exporter/index.js";

/**
 * One exporter run in its own process, so its peak RSS (and CPU profile) is its own. It runs the built code
 * (`dist/`, as the service does), without tsx's loader and its thread. Start the exporter on
 * the given configuration (collecting back to back), report each collection to the parent,
 * the peak RSS when asked, and stop on SIGTERM as the service does.
 */
const configFile = process.argv[2];
const send = (message) => process.send?.(message);

// The collector logs each collection at info; read those lines instead of printing them.
const logs = new Writable({
  write(chunk, _encoding, done) {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (line.includes('"collection done"')) {
        const entry = JSON.parse(line);
        send({ type: "collection", ...entry });
      } else if (line.includes('"level":50') || line.includes('"level":40'))
        process.stderr.write(`${line}\n`);
    }
    done();
  },
});
const exporter = await startExporter(loadConfig(configFile), pino({ level: "info" }, logs));
send({ type: "listening", url: exporter.url });

process.on("message", (message) => {
  if (message.type === "report") send({ type: "report", maxRssBytes: process.resourceUsage().maxRSS * 1024 });
});
process.once("SIGTERM", async () => {
  await exporter.close();
  // process.exit, not a natural end: --cpu-prof writes its profile here too.
  process.exit(0);
});
// An interrupted benchmark must not leave an exporter behind.
process.on("disconnect", () => process.exit(1));
