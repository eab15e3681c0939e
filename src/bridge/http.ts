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

const answer = (res: Response, status: number, error: string) =>
  res.status(status).json({ status: "error", error });

export function createApp(deps: WebhookDeps): express.Express {
  const { config, outbox, metrics, logger } = deps;
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

  const authenticate = (req: Request, res: Response, next: NextFunction) => {
    if (authorized(req.get("authorization"), config.auth)) return next();
    res.set("WWW-Authenticate", config.auth?.bearerToken ? "Bearer" : 'Basic realm="stoney-backup-monitor"');
    answer(res, 401, "missing or wrong credentials");
  };
  const requireJson = (req: Request, res: Response, next: NextFunction) => {
    if (req.is("application/json")) return next();
    answer(res, 415, `expected Content-Type application/json, got ${req.get("content-type") ?? "none"}`);
  };
  const parseJson = express.json({ limit: config.bodyLimitBytes, strict: false });
  const bodyErrors = (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    const type = (error as { type?: string }).type;
    if (type === "entity.too.large")
      return answer(res, 413, `body larger than ${config.bodyLimitBytes} bytes`);
    if (type === "encoding.unsupported" || type === "charset.unsupported")
      return answer(res, 415, (error as Error).message);
    if (type === "entity.parse.failed") return answer(res, 400, `invalid JSON: ${(error as Error).message}`);
    next(error);
  };

  app.post(
    config.webhookPath,
    authenticate,
    requireJson,
    parseJson,
    bodyErrors,
    async (req: Request, res: Response) => {
      const parsed = parseNotification(req.body);
      if (!parsed.ok) {
        logger.warn({ error: parsed.error }, "webhook payload rejected");
        return answer(res, 400, parsed.error);
      }
      let result: Awaited<ReturnType<OutboxStore["accept"]>>;
      try {
        result = await outbox.accept(parsed.value, Date.now(), dedupeWindowMs(config, parsed.value.receiver));
      } catch (error) {
        // Alertmanager retries on 5xx, so nothing is lost while the store is broken.
        logger.error({ err: error }, "outbox cannot store the notification");
        return answer(res, 503, "outbox cannot store the notification; retry later");
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
      res.json({ status: "accepted", ...result, ...(notes.length > 0 ? { notes } : {}) });
    },
  );

  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    logger.error({ err: error }, "request failed");
    if (!res.headersSent) answer(res, 500, "internal error");
  });
  return app;
}
