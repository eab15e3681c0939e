import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import express, { type NextFunction, type Request, type Response } from "express";
import { type BridgeConfig, dedupeWindowMs } from "../config/index.js";
import { basicAuthorized, sameSecret } from "../http-auth.js";
import type { Logger } from "../log.js";
import type { BridgeMetrics } from "./metrics.js";
import { parseNotification } from "./payload.js";
import type { OutboxStore } from "./store.js";

/** True when the request carries one of the configured credentials (or none are configured). */
function authorized(header: string | undefined, auth: BridgeConfig["auth"]): boolean {
  const token = auth?.bearerToken;
  const basic = auth?.basic;
  if (!token && !basic) return true;
  const bearer = /^\s*Bearer\s+(\S+)\s*$/i.exec(header ?? "")?.[1];
  if (token && bearer !== undefined) return sameSecret(bearer, token);
  return basic !== undefined && basicAuthorized(header, basic.username, basic.password ?? "");
}

export interface WebhookDeps {
  config: BridgeConfig;
  outbox: OutboxStore;
  metrics: BridgeMetrics;
  logger: Logger;
  /** Called after a notification is committed, to start processing it. */
  accepted(): void;
  /** Readiness: why the instance cannot work now (the outbox cannot write, the pipeline is stuck), or undefined. */
  notReady(): Promise<string | undefined>;
}

/** A JSON answer written straight to the socket (the webhook's skip Express, see `createApp`). */
const reply = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
};
const refuse = (res: ServerResponse, status: number, error: string, headers?: Record<string, string>) =>
  reply(res, status, { status: "error", error }, headers);

/** `application/json`, with no charset or UTF-8: the reason it is not, or undefined. */
function contentTypeProblem(header: string | undefined): string | undefined {
  const [type = "", ...parameters] = (header ?? "").split(";").map((part) => part.trim().toLowerCase());
  if (type !== "application/json") return `expected Content-Type application/json, got ${header ?? "none"}`;
  const charset = parameters
    .find((p) => p.startsWith("charset="))
    ?.slice("charset=".length)
    .replaceAll('"', "");
  if (charset !== undefined && charset !== "utf-8" && charset !== "utf8")
    return `unsupported charset "${charset.toUpperCase()}"`;
  return undefined;
}

/** The body of `req` up to `limit` bytes; undefined (and drained) when it is larger. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return undefined;
  }
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length <= limit) chunks.push(chunk);
  }
  return length > limit ? undefined : Buffer.concat(chunks, length);
}

/**
 * Alertmanager's webhook. A burst is thousands of posts, each one new connection and one small
 * transaction, so every step Express would add (routing, body parsing, ETags) counts: the webhook is
 * served here, before Express, with the same answers (401, 413, 415, 400 with the reason, 503).
 */
function webhookHandler(deps: WebhookDeps) {
  const { config, outbox, metrics, logger } = deps;
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!authorized(req.headers.authorization, config.auth))
      return refuse(res, 401, "missing or wrong credentials", {
        "WWW-Authenticate": config.auth?.bearerToken ? "Bearer" : 'Basic realm="stoney-backup-monitor"',
      });
    const typeProblem = contentTypeProblem(req.headers["content-type"]);
    if (typeProblem !== undefined) {
      req.resume();
      return refuse(res, 415, typeProblem);
    }
    const encoding = req.headers["content-encoding"];
    if (encoding !== undefined && encoding.toLowerCase() !== "identity") {
      req.resume();
      return refuse(res, 415, `unsupported content encoding "${encoding}"`);
    }
    const body = await readBody(req, config.bodyLimitBytes);
    if (body === undefined) return refuse(res, 413, `body larger than ${config.bodyLimitBytes} bytes`);
    let json: unknown;
    try {
      json = JSON.parse(body.toString("utf8"));
    } catch (error) {
      return refuse(res, 400, `invalid JSON: ${(error as Error).message}`);
    }
    const parsed = parseNotification(json);
    if (!parsed.ok) {
      logger.warn({ error: parsed.error }, "webhook payload rejected");
      return refuse(res, 400, parsed.error);
    }
    let result: Awaited<ReturnType<OutboxStore["accept"]>>;
    try {
      result = await outbox.accept(parsed.value, Date.now(), dedupeWindowMs(config, parsed.value.receiver));
    } catch (error) {
      // Alertmanager retries on 5xx, so nothing is lost while the store is broken.
      logger.error({ err: error }, "outbox cannot store the notification");
      return refuse(res, 503, "outbox cannot store the notification; retry later");
    }
    if (parsed.refused.length > 0)
      logger.warn(
        { refused: parsed.refused, groupKey: parsed.value.groupKey },
        "webhook alerts refused for their recipients: they go to the operators as undeliverable",
      );
    if (parsed.notes.length > 0)
      logger.warn(
        { notes: parsed.notes, groupKey: parsed.value.groupKey },
        "webhook values left out of the mails (the alerts are kept)",
      );
    if (parsed.value.truncatedAlerts > 0)
      logger.warn(
        { truncated: parsed.value.truncatedAlerts, groupKey: parsed.value.groupKey },
        "Alertmanager truncated this notification (max_alerts): the missing alerts are not mailed",
      );
    metrics.notificationsReceived.inc();
    metrics.alertsReceived.inc(result.alerts);
    if (result.duplicates > 0) metrics.mailsSuppressed.inc({ reason: "duplicate" }, result.duplicates);
    logger.debug(
      { notification: result.notificationId, alerts: result.alerts, duplicates: result.duplicates },
      "accepted",
    );
    deps.accepted();
    const notes = [...parsed.refused, ...parsed.notes];
    reply(res, 200, { status: "accepted", ...result, ...(notes.length > 0 ? { notes } : {}) });
  };
}

/** The bridge's HTTP server: the webhook, then Express for health, readiness and metrics. */
export function createApp(deps: WebhookDeps): RequestListener {
  const { config, metrics, logger } = deps;
  const app = express();
  app.disable("x-powered-by");

  app.get("/healthz", (_req, res) => {
    res.type("text/plain").send("ok\n");
  });
  app.get("/readyz", async (_req, res) => {
    const reason = await deps.notReady();
    if (reason === undefined) res.type("text/plain").send("ready\n");
    else res.status(503).type("text/plain").send(`not ready: ${reason}\n`);
  });
  app.get("/metrics", async (_req, res, next) => {
    try {
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    } catch (error) {
      next(error);
    }
  });
  /** Any request that failed unexpectedly: a 500, or the connection cut when the answer had begun. */
  const failed = (res: ServerResponse, error: unknown) => {
    logger.error({ err: error }, "request failed");
    if (!res.headersSent) refuse(res, 500, "internal error");
    else res.destroy();
  };
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => failed(res, error));

  const webhook = webhookHandler(deps);
  return (req, res) => {
    if (req.method === "POST" && (req.url ?? "").split("?")[0] === config.webhookPath)
      webhook(req, res).catch((error: unknown) => failed(res, error));
    else app(req, res);
  };
}
