// Container health check of the stoney-backup-monitor image (Dockerfile HEALTHCHECK, compose
// healthcheck): healthy when one of the given /readyz URLs answers 200. The image holds no curl or
// wget, and one image runs either role, so the default asks the exporter's and the bridge's port.
//   node healthcheck.mjs [url ...]
const urls = process.argv.slice(2);
if (urls.length === 0) urls.push("http://127.0.0.1:9851/readyz", "http://127.0.0.1:9852/readyz");

const ready = async (url) => {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
};

try {
  await Promise.any(urls.map(ready));
  process.exit(0);
} catch (error) {
  const reasons = error instanceof AggregateError ? error.errors : [error];
  console.error(`not ready: ${reasons.map((r) => (r instanceof Error ? r.message : String(r))).join("; ")}`);
  process.exit(1);
}
