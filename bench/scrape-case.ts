import { type CompressedBody, compressBody } from "../src/exporter/body.js";
import { createApp } from "../src/exporter/http.js";
import { renderText } from "../src/exporter/render-text.js";
import { createLogger } from "../src/log.js";
import { syntheticSamples } from "./synthetic-samples.js";

/**
 * The exporter's HTTP side alone, in its own process: the body of `accounts` synthetic accounts served by
 * the real app on a loopback port. When `busy`, it renders and compresses the body again and again, as
 * back-to-back collections do, and each new body replaces the old one while scrapes of it may run.
 */
const accounts = Number(process.argv[2]);
const busy = process.argv[3] === "busy";
const send = (message: unknown) => process.send?.(message);

const samples = syntheticSamples(accounts, Date.now() / 1000);
const collect = () => compressBody(renderText(samples, new Date()));
let body: CompressedBody = await collect();
// About the size of the exporter's own metrics and the process metrics.
const tail =
  "# HELP stoney_exporter_self_test a self metric\n# TYPE stoney_exporter_self_test gauge\n".repeat(40);
const app = createApp(
  { body: () => body, selfMetrics: async () => tail, ready: () => true },
  createLogger("warn", "json"),
);
const server = app.listen(0, "127.0.0.1", () => {
  const address = server.address() as { port: number };
  send({ type: "listening", url: `http://127.0.0.1:${address.port}` });
});
process.on("message", (message: { type: string }) => {
  if (message.type === "usage") {
    const { user, system } = process.cpuUsage();
    send({ type: "usage", cpuMs: (user + system) / 1000 });
  }
  if (message.type === "report") send({ type: "report", maxRssBytes: process.resourceUsage().maxRSS * 1024 });
});
process.on("disconnect", () => process.exit(0));
if (busy) for (;;) body = await collect();
