import { readFileSync } from "node:fs";
import { createServer } from "node:http";

/**
 * The scrape's floor: a server that holds one body, compressed and plain, in memory and does nothing else;
 * it answers as the exporter does (gzip when asked for, else identity).
 */
const gzip = readFileSync(process.argv[2] as string);
const plain = readFileSync(process.argv[3] as string);
const server = createServer((req, res) => {
  const wantsGzip = /\bgzip\b/.test(req.headers["accept-encoding"] ?? "");
  res.writeHead(200, {
    "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
    "Content-Length": wantsGzip ? gzip.length : plain.length,
    ...(wantsGzip ? { "Content-Encoding": "gzip" } : {}),
  });
  res.end(wantsGzip ? gzip : plain);
});
server.listen(0, "127.0.0.1", () => {
  const address = server.address() as { port: number };
  process.send?.({ type: "listening", url: `http://127.0.0.1:${address.port}` });
});
process.on("disconnect", () => process.exit(0));
