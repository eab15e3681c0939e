import express, { type Express, type NextFunction, type Request, type Response } from "express";
import { basicAuthorized } from "../http-auth.js";
import { dayOf, type JournalReader, journalRange } from "../journal/index.js";
import type { Logger } from "../log.js";
import { type CompressedBody, emptyBody, gzipParts, writePlain } from "./body.js";
import type { AccountSample } from "./sample.js";
import { accountStatus, selectSamples } from "./state.js";

export const contentType = "text/plain; version=0.0.4; charset=utf-8";

export interface MetricsSource {
  /** The per-account metrics of the last good collection (empty before the first one). */
  body(): CompressedBody | undefined;
  /** The exporter's own metrics and the process metrics, rendered at each scrape. */
  selfMetrics(): Promise<string>;
  /** True once a collection has succeeded. */
  ready(): boolean;
  /** The samples of the last good collection, for the JSON state. */
  state?(): { collectedAt: Date; samples: ReadonlyMap<string, AccountSample> } | undefined;
  /** The run journal this exporter writes, for the portal of another machine. */
  journal?: JournalReader;
}

export interface Credentials {
  username: string;
  password: string;
}

const basicAuth = (credentials: Credentials) => (req: Request, res: Response, next: NextFunction) => {
  if (basicAuthorized(req.get("authorization"), credentials.username, credentials.password)) return next();
  res.set("WWW-Authenticate", 'Basic realm="stoney-backup-monitor", charset="UTF-8"');
  res.status(401).type("text/plain").send("authentication required\n");
};

const landingPage = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>stoney backup exporter</title></head>
<body>
<h1>stoney backup exporter</h1>
<p>Prometheus exporter for the stoney backup accounts of this server.</p>
<ul>
<li><a href="metrics">/metrics</a>: the metrics (last complete collection)</li>
<li><a href="healthz">/healthz</a>: the process is alive</li>
<li><a href="readyz">/readyz</a>: a collection has succeeded</li>
<li><a href="api/v1/state">/api/v1/state</a>: per-account state as JSON (needs exporter.basicAuth)</li>
<li>/api/v1/journal/accounts/&lt;uid&gt;/runs and /usage: an account's run journal as JSON (needs exporter.basicAuth)</li>
</ul>
</body>
</html>
`;

export function createApp(source: MetricsSource, logger: Logger, credentials?: Credentials): Express {
  const app = express();
  app.disable("x-powered-by");
  app.get("/", (_req, res) => {
    res.type("html").send(landingPage);
  });
  app.get("/healthz", (_req, res) => {
    res.type("text/plain").send("ok\n");
  });
  app.get("/readyz", (_req, res) => {
    if (source.ready()) res.type("text/plain").send("ready\n");
    else res.status(503).type("text/plain").send("no successful collection yet\n");
  });
  const scrape = async (req: Request, res: Response) => {
    const body = source.body() ?? emptyBody;
    const tail = await source.selfMetrics();
    res.set("Content-Type", contentType);
    res.set("Vary", "Accept-Encoding");
    res.set("Cache-Control", "no-store");
    if (req.acceptsEncodings("gzip", "identity") === "gzip") {
      const parts = gzipParts(body, tail);
      res.set("Content-Encoding", "gzip");
      res.set("Content-Length", String(parts.reduce((sum, part) => sum + part.length, 0)));
      res.status(200);
      for (const part of parts.slice(0, -1)) res.write(part);
      res.end(parts.at(-1));
      return;
    }
    res.set("Content-Length", String(body.bytes + Buffer.byteLength(tail)));
    res.status(200);
    try {
      await writePlain(body, tail, res);
    } catch (error) {
      logger.debug({ err: error }, "plain scrape aborted");
      res.destroy();
    }
  };
  if (credentials) app.get("/metrics", basicAuth(credentials), scrape);
  else app.get("/metrics", scrape);
  app.use("/api/v1", (req, res, next) => {
    // Account and reseller ids are not for anyone who can reach the port: no credentials, no API.
    if (!credentials)
      return void res.status(404).json({
        error: "the state and journal endpoints are served only when exporter.basicAuth is configured",
      });
    basicAuth(credentials)(req, res, next);
  });
  app.get("/api/v1/state", (req, res) => {
    const state = source.state?.();
    res.set("Cache-Control", "no-store");
    if (!state) return void res.status(503).json({ error: "no successful collection yet" });
    const list = (name: string) => [req.query[name] ?? []].flat().map(String);
    const selected = selectSamples(state.samples, { accounts: list("account"), resellers: list("reseller") });
    res.type("application/json");
    res.write(`{"collectedAt":${JSON.stringify(state.collectedAt.toISOString())},"accounts":[`);
    selected.forEach((sample, index) => {
      res.write(`${index > 0 ? "," : ""}${JSON.stringify(accountStatus(sample))}`);
    });
    res.end("]}\n");
  });
  const journalRoute = (kind: "runs" | "usage") =>
    app.get(`/api/v1/journal/accounts/:uid/${kind}`, async (req, res, next) => {
      const journal = source.journal;
      if (!journal)
        return void res.status(404).json({
          error: "this exporter's run journal is in PostgreSQL (history.journal.database): read it there",
        });
      const range = journalRange(req.query, Date.now());
      if (!range.ok) return void res.status(400).json({ error: range.error });
      const { sinceMs, untilMs } = range.value;
      const uid = String(req.params.uid);
      res.set("Cache-Control", "no-store");
      try {
        res.json(
          kind === "runs"
            ? { runs: await journal.runs(uid, sinceMs, untilMs) }
            : { usage: await journal.usage(uid, dayOf(sinceMs), dayOf(untilMs)) },
        );
      } catch (error) {
        next(error);
      }
    });
  journalRoute("runs");
  journalRoute("usage");
  return app;
}
