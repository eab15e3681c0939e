import { randomBytes } from "node:crypto";
import express, { type NextFunction, type Request, type Response } from "express";
import { z } from "zod";
import type { Language } from "../config/index.js";
import { formatIssues } from "../config/index.js";
import { DirectoryError, type SettingName } from "../directory/index.js";
import { sameSecret } from "../http-auth.js";
import type { Logger } from "../log.js";
import type { Scope } from "./access.js";
import { type MessageKey, translator } from "./i18n.js";
import { journalRange, runJson, usageJson } from "./journal-api.js";
import {
  accountPage,
  errorPage,
  loginPage,
  overviewPage,
  ownSettings,
  type PageContext,
  pausePage,
  settingsPage,
  stylesheet,
} from "./pages.js";
import { type Portal, PortalError } from "./portal.js";
import { type SettingValues, settingValuesSchema } from "./settings.js";
import type { Session } from "./store.js";

/** No scripts, no inline styles, no framing, forms only to ourselves. */
const contentSecurityPolicy =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const loginSchema = z.object({ uid: z.string().min(1).max(256), password: z.string().max(1024) }).strict();
const pauseSchema = z.object({ until: z.string().min(1), comment: z.string().max(200).default("") }).strict();

interface Authenticated {
  session: Session;
  scope: Scope;
}

const cookies = (header: string | undefined): Map<string, string> => {
  const result = new Map<string, string>();
  for (const part of (header ?? "").split(";")) {
    const equals = part.indexOf("=");
    if (equals > 0)
      result.set(part.slice(0, equals).trim(), decodeURIComponent(part.slice(equals + 1).trim()));
  }
  return result;
};

const acceptLanguage = (header: string | undefined, fallback: Language): Language => {
  for (const part of (header ?? "").split(",")) {
    const code = part.trim().slice(0, 2).toLowerCase();
    if (code === "de" || code === "fr" || code === "en") return code;
  }
  return fallback;
};

/** A form's settings: empty fields mean "the default" (the entry's own value is removed). */
const formSettings = (body: Record<string, unknown>): Record<string, unknown> => {
  const values: Record<string, unknown> = {};
  const text = (name: string) => (typeof body[name] === "string" ? (body[name] as string).trim() : undefined);
  const warnings = text("warnings");
  if (warnings !== undefined) values.warnings = warnings === "" ? null : warnings === "true";
  for (const name of [
    "quotaWarningPercent",
    "missedBackupsThreshold",
    "missedDaysThreshold",
    "failuresThreshold",
    "quotaFullDays",
  ]) {
    const value = text(name);
    if (value !== undefined)
      values[name] = value === "" ? null : /^-?\d+$/.test(value) ? Number(value) : value;
  }
  return values;
};

const day = (date: Date) => date.toISOString().slice(0, 10);

/** A date (`2026-12-24`) means the end of that day in the operator's zone; a full timestamp is taken as is. */
const pauseEnd = (value: string): Date =>
  /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T23:59:59Z`) : new Date(value);

export function createSelfcareApp(portal: Portal, logger: Logger): express.Express {
  const { selfcare } = portal.config;
  const defaultLanguage = portal.config.bridge.templates.defaultLanguage;
  const timeZone = portal.config.directory.defaults.timeZone;
  const cookieName = selfcare.session.cookieName;
  const loginCookie = `${cookieName}_login`;
  const secure = selfcare.baseUrl?.startsWith("https:") ?? false;
  const settingsSchema = settingValuesSchema(selfcare.bounds);
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", "loopback");

  const cookie = (name: string, value: string, maxAgeSeconds?: number) =>
    [
      `${name}=${value}`,
      "Path=/",
      "HttpOnly",
      "SameSite=Lax",
      ...(secure ? ["Secure"] : []),
      ...(maxAgeSeconds !== undefined ? [`Max-Age=${maxAgeSeconds}`] : []),
    ].join("; ");

  app.use((_req, res, next) => {
    res.set("Content-Security-Policy", contentSecurityPolicy);
    res.set("X-Content-Type-Options", "nosniff");
    res.set("Referrer-Policy", "same-origin");
    res.set("Cache-Control", "no-store");
    next();
  });
  app.get("/healthz", (_req, res) => {
    res.type("text/plain").send("ok\n");
  });
  app.get("/static/portal.css", (_req, res) => {
    res.set("Cache-Control", "public, max-age=3600");
    res.type("text/css").send(stylesheet);
  });
  const json = express.json({ limit: "16kb" });
  const form = express.urlencoded({ extended: false, limit: "16kb" });

  /** The logged-in person's session and scope, or undefined (an expired or unknown cookie). */
  const authenticate = async (req: Request): Promise<Authenticated | undefined> => {
    const session = await portal.session(cookies(req.get("cookie")).get(cookieName));
    if (!session) return undefined;
    const scope = await portal.scope(session);
    if (!scope) {
      await portal.logout(session);
      return undefined;
    }
    return { session, scope };
  };

  const context = (session: Session | undefined, scope?: Scope, language?: Language): PageContext => ({
    language: (session?.language as Language | undefined) ?? language ?? defaultLanguage,
    timeZone,
    csrfToken: session?.csrfToken ?? "",
    ...(scope ? { personName: scope.person.name ?? scope.person.uid } : {}),
    bounds: selfcare.bounds,
  });

  // ---- JSON API -------------------------------------------------------------------------------

  const api = express.Router();
  api.use(json);
  api.post("/session", async (req, res) => {
    const parsed = loginSchema.safeParse(req.body);
    if (!parsed.success)
      return void res.status(400).json({ error: 'expected {"uid": ..., "password": ...}' });
    const outcome = await portal.login(parsed.data.uid, parsed.data.password, req.ip ?? "");
    if (!outcome.ok) {
      if (outcome.throttled)
        return void res
          .status(429)
          .set("Retry-After", String(selfcare.throttle.windowSeconds))
          .json({ error: "too many failed logins; try again later" });
      return void res.status(401).json({ error: "uid or password wrong" });
    }
    res.set("Set-Cookie", cookie(cookieName, outcome.token));
    res.json({
      uid: outcome.session.personUid,
      language: outcome.session.language,
      csrfToken: outcome.session.csrfToken,
    });
  });

  /** Every other API route: a live session, and the CSRF token on writes. */
  const requireApiSession = async (req: Request, res: Response, next: NextFunction) => {
    const authenticated = await authenticate(req);
    if (!authenticated) return void res.status(401).json({ error: "not logged in (or the session expired)" });
    if (req.method !== "GET" && req.method !== "HEAD") {
      const token = req.get("x-csrf-token") ?? "";
      if (!sameSecret(token, authenticated.session.csrfToken))
        return void res.status(403).json({ error: "missing or wrong X-CSRF-Token" });
    }
    res.locals.auth = authenticated;
    next();
  };
  const auth = (res: Response) => res.locals.auth as Authenticated;
  /** The account uid of the route, authorised before anything is read or written. */
  const accountParam = (req: Request, res: Response): string => {
    const uid = String(req.params.uid);
    portal.authorise(auth(res).scope, uid);
    return uid;
  };
  const bodyOf = <T>(schema: z.ZodType<T>, body: unknown): T => {
    const parsed = schema.safeParse(body ?? {});
    if (!parsed.success) throw new PortalError(400, formatIssues(parsed.error.issues).join("; "));
    return parsed.data;
  };

  api.get("/session", requireApiSession, (_req, res) => {
    const { session, scope } = auth(res);
    res.json({
      uid: session.personUid,
      name: scope.person.name,
      language: session.language,
      csrfToken: session.csrfToken,
    });
  });
  api.delete("/session", requireApiSession, async (_req, res) => {
    await portal.logout(auth(res).session);
    res.set("Set-Cookie", cookie(cookieName, "", 0));
    res.status(204).end();
  });
  api.get("/accounts", requireApiSession, async (req, res) => {
    const number = (name: string) =>
      typeof req.query[name] === "string" ? Number(req.query[name]) : undefined;
    const overview = await portal.overview(auth(res).scope, {
      search: typeof req.query.q === "string" ? req.query.q : "",
      problemsOnly: req.query.problems === "1" || req.query.problems === "true",
      ...(number("page") ? { page: number("page") } : {}),
      ...(number("pageSize") ? { pageSize: number("pageSize") } : {}),
    });
    res.json({
      total: overview.total,
      page: overview.page,
      pages: overview.pages,
      pageSize: overview.pageSize,
      accounts: overview.rows.map((row) => ({
        uid: row.uid,
        problems: row.problems,
        ...(row.pause
          ? { pausedUntil: new Date(row.pause.until).toISOString(), pausedBy: row.pause.createdBy }
          : {}),
        ...(row.status ? { state: row.status } : {}),
      })),
    });
  });
  api.get("/accounts/:uid", requireApiSession, async (req, res) => {
    const details = await portal.account(auth(res).scope, accountParam(req, res));
    const found = details.found;
    res.json({
      uid: details.uid,
      grants: details.grants,
      problems: details.problems,
      ...(details.status ? { state: details.status } : {}),
      ...(found
        ? {
            settings: found.settings,
            recipients: found.resolution.recipients.map((r) => ({
              address: r.address,
              audience: r.audience,
              language: r.language,
              source: r.source,
              ...(r.resellerUid ? { resellerUid: r.resellerUid } : {}),
            })),
            notInformed: found.resolution.notInformed,
            resellers: found.account.resellerUids,
          }
        : {}),
      editableResellers: details.editableResellers,
      history: details.history,
      pauses: details.pauses,
      ...(details.activePause ? { activePause: details.activePause } : {}),
      audit: details.audit,
    });
  });
  api.put("/accounts/:uid/settings", requireApiSession, async (req, res) => {
    const uid = accountParam(req, res);
    const values = bodyOf(settingsSchema, req.body) as SettingValues;
    const changes = await portal.updateAccountSettings(auth(res).scope, uid, values);
    res.json({ changes });
  });
  /** The journal routes' time range; 400 with the reason when a parameter is not a usable time. */
  const rangeOf = (req: Request) => {
    const range = journalRange(req.query, Date.now());
    if (!range.ok) throw new PortalError(400, range.error);
    return range.value;
  };
  api.get("/accounts/:uid/runs", requireApiSession, async (req, res) => {
    const uid = accountParam(req, res);
    const { sinceMs, untilMs } = rangeOf(req);
    const runs = await portal.runs(auth(res).scope, uid, sinceMs, untilMs);
    res.json({
      uid,
      since: new Date(sinceMs).toISOString(),
      until: new Date(untilMs).toISOString(),
      runs: runs.map(runJson),
    });
  });
  api.get("/accounts/:uid/usage", requireApiSession, async (req, res) => {
    const uid = accountParam(req, res);
    const { sinceMs, untilMs } = rangeOf(req);
    const usage = await portal.usage(auth(res).scope, uid, sinceMs, untilMs);
    res.json({
      uid,
      since: new Date(sinceMs).toISOString(),
      until: new Date(untilMs).toISOString(),
      ...usageJson(usage, untilMs),
    });
  });
  api.get("/accounts/:uid/pauses", requireApiSession, async (req, res) => {
    res.json({ pauses: await portal.pauses(auth(res).scope, accountParam(req, res)) });
  });
  api.post("/accounts/:uid/pauses", requireApiSession, async (req, res) => {
    const uid = accountParam(req, res);
    const body = bodyOf(pauseSchema, req.body);
    const pause = await portal.addPause(auth(res).scope, uid, pauseEnd(body.until), body.comment);
    res.status(201).json(pause);
  });
  api.delete("/accounts/:uid/pauses/:id", requireApiSession, async (req, res) => {
    const uid = accountParam(req, res);
    res.json(await portal.endPause(auth(res).scope, uid, Number(req.params.id)));
  });
  api.get("/resellers/:uid/settings", requireApiSession, async (req, res) => {
    const { reseller, audit } = await portal.resellerSettings(auth(res).scope, String(req.params.uid));
    res.json({ uid: reseller.uid, settings: reseller.settings, audit });
  });
  api.put("/resellers/:uid/settings", requireApiSession, async (req, res) => {
    const scope = auth(res).scope;
    const resellerUid = String(req.params.uid);
    portal.authoriseReseller(scope, resellerUid);
    const values = bodyOf(settingsSchema, req.body) as SettingValues;
    res.json({ changes: await portal.updateResellerSettings(scope, resellerUid, values) });
  });
  api.use((_req, res) => {
    res.status(404).json({ error: "no such API route" });
  });
  api.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const { status, message } = describeError(error, logger);
    res.status(status).json({ error: message });
  });
  app.use("/api/v1", api);

  // ---- pages ----------------------------------------------------------------------------------

  app.get("/", (_req, res) => res.redirect(303, "/accounts"));

  const showLogin = (req: Request, res: Response, status: number, notice?: MessageKey) => {
    const language = acceptLanguage(req.get("accept-language"), defaultLanguage);
    const token = randomBytes(24).toString("base64url");
    res.set("Set-Cookie", cookie(loginCookie, token));
    const page = context(undefined, undefined, language);
    page.csrfToken = token;
    if (notice) page.notice = { kind: "error", text: pageText(language, notice) };
    res
      .status(status)
      .type("html")
      .send(loginPage(page, typeof req.body?.uid === "string" ? req.body.uid : ""));
  };
  app.get("/login", async (req, res) => {
    if (await authenticate(req)) return res.redirect(303, "/accounts");
    showLogin(req, res, 200, req.query.expired ? "login.expired" : undefined);
  });
  app.post("/login", form, async (req, res) => {
    const given = typeof req.body?._csrf === "string" ? req.body._csrf : "";
    const expected = cookies(req.get("cookie")).get(loginCookie) ?? "";
    if (expected === "" || !sameSecret(given, expected)) return showLogin(req, res, 403, "error.csrf");
    const parsed = loginSchema.safeParse({ uid: req.body.uid ?? "", password: req.body.password ?? "" });
    if (!parsed.success) return showLogin(req, res, 401, "login.failed");
    const outcome = await portal.login(parsed.data.uid, parsed.data.password, req.ip ?? "");
    if (!outcome.ok)
      return showLogin(
        req,
        res,
        outcome.throttled ? 429 : 401,
        outcome.throttled ? "login.throttled" : "login.failed",
      );
    res.set("Set-Cookie", [cookie(cookieName, outcome.token), cookie(loginCookie, "", 0)]);
    res.redirect(303, "/accounts");
  });

  /** Pages: a live session (else to the login page), and the CSRF field on every form post. */
  const requirePageSession = async (req: Request, res: Response, next: NextFunction) => {
    const authenticated = await authenticate(req);
    if (!authenticated) {
      const hadCookie = cookies(req.get("cookie")).has(cookieName);
      return res.redirect(303, hadCookie ? "/login?expired=1" : "/login");
    }
    res.locals.auth = authenticated;
    if (req.method === "POST") {
      const given = typeof req.body?._csrf === "string" ? req.body._csrf : "";
      if (!sameSecret(given, authenticated.session.csrfToken)) {
        res
          .status(403)
          .type("html")
          .send(errorPage(context(authenticated.session, authenticated.scope), 403, "error.csrf"));
        return;
      }
    }
    next();
  };
  const page = (res: Response, notice?: { kind: "ok" | "error"; key: MessageKey }) => {
    const { session, scope } = auth(res);
    const result = context(session, scope);
    if (notice) result.notice = { kind: notice.kind, text: pageText(result.language, notice.key) };
    return result;
  };
  const noticeOf = (req: Request): { kind: "ok"; key: MessageKey } | undefined => {
    const saved = req.query.done;
    const keys: Record<string, MessageKey> = {
      settings: "settings.saved",
      unchanged: "settings.unchanged",
      paused: "pause.saved",
      ended: "pause.ended",
    };
    return typeof saved === "string" && keys[saved] ? { kind: "ok", key: keys[saved] } : undefined;
  };

  /** A settings form's values; out of bounds, the form again with the reasons (400) and undefined. */
  const formValues = (req: Request, res: Response, target: { kind: "account" | "reseller"; uid: string }) => {
    const submitted = formSettings(req.body ?? {});
    const parsed = settingsSchema.safeParse(submitted);
    if (parsed.success) return parsed.data as SettingValues;
    const context = page(res);
    context.notice = { kind: "error", text: invalidText(context.language, parsed.error.issues) };
    const own = submitted as Partial<Record<SettingName, boolean | number>>;
    res
      .status(400)
      .type("html")
      .send(settingsPage(context, { ...target, own }));
    return undefined;
  };

  app.post("/logout", form, requirePageSession, async (_req, res) => {
    await portal.logout(auth(res).session);
    res.set("Set-Cookie", cookie(cookieName, "", 0));
    res.redirect(303, "/login");
  });
  app.get("/accounts", requirePageSession, async (req, res) => {
    const search = typeof req.query.q === "string" ? req.query.q : "";
    const problemsOnly = req.query.problems === "1";
    const overview = await portal.overview(auth(res).scope, {
      search,
      problemsOnly,
      page: Number(req.query.page) || 1,
    });
    res.type("html").send(overviewPage(page(res), overview, { search, problemsOnly }));
  });
  app.get("/accounts/:uid", requirePageSession, async (req, res) => {
    const details = await portal.account(auth(res).scope, accountParam(req, res));
    res.type("html").send(accountPage(page(res, noticeOf(req)), details));
  });
  app.get("/accounts/:uid/settings", requirePageSession, async (req, res) => {
    const details = await portal.account(auth(res).scope, accountParam(req, res));
    const own = details.found ? ownSettings(details.found.settings) : {};
    res.type("html").send(settingsPage(page(res), { kind: "account", uid: details.uid, own }));
  });
  app.post("/accounts/:uid/settings", form, requirePageSession, async (req, res) => {
    const uid = accountParam(req, res);
    const values = formValues(req, res, { kind: "account", uid });
    if (!values) return;
    const changes = await portal.updateAccountSettings(auth(res).scope, uid, values);
    res.redirect(
      303,
      `/accounts/${encodeURIComponent(uid)}?done=${changes.length > 0 ? "settings" : "unchanged"}`,
    );
  });
  app.get("/accounts/:uid/pause", requirePageSession, (req, res) => {
    const uid = accountParam(req, res);
    const now = Date.now();
    const until = day(new Date(now + 7 * 86_400_000));
    const max = day(new Date(now + selfcare.bounds.pauseDays * 86_400_000));
    res.type("html").send(pausePage(page(res), uid, until, max));
  });
  app.post("/accounts/:uid/pauses", form, requirePageSession, async (req, res) => {
    const uid = accountParam(req, res);
    const until = typeof req.body?.until === "string" ? req.body.until : "";
    const comment = typeof req.body?.comment === "string" ? req.body.comment.slice(0, 200) : "";
    await portal.addPause(auth(res).scope, uid, pauseEnd(until), comment);
    res.redirect(303, `/accounts/${encodeURIComponent(uid)}?done=paused`);
  });
  app.post("/accounts/:uid/pauses/:id/end", form, requirePageSession, async (req, res) => {
    const uid = accountParam(req, res);
    await portal.endPause(auth(res).scope, uid, Number(req.params.id));
    res.redirect(303, `/accounts/${encodeURIComponent(uid)}?done=ended`);
  });
  app.get("/resellers/:uid/settings", requirePageSession, async (req, res) => {
    const { reseller, audit } = await portal.resellerSettings(auth(res).scope, String(req.params.uid));
    res
      .type("html")
      .send(
        settingsPage(
          page(res, noticeOf(req)),
          { kind: "reseller", uid: reseller.uid, own: reseller.settings },
          audit,
        ),
      );
  });
  app.post("/resellers/:uid/settings", form, requirePageSession, async (req, res) => {
    const scope = auth(res).scope;
    const resellerUid = String(req.params.uid);
    portal.authoriseReseller(scope, resellerUid);
    const values = formValues(req, res, { kind: "reseller", uid: resellerUid });
    if (!values) return;
    const changes = await portal.updateResellerSettings(scope, resellerUid, values);
    res.redirect(
      303,
      `/resellers/${encodeURIComponent(resellerUid)}/settings?done=${changes.length > 0 ? "settings" : "unchanged"}`,
    );
  });

  app.use((req: Request, res: Response) => {
    const authenticated = res.locals.auth as Authenticated | undefined;
    res
      .status(404)
      .type("html")
      .send(
        errorPage(
          context(
            authenticated?.session,
            authenticated?.scope,
            acceptLanguage(req.get("accept-language"), defaultLanguage),
          ),
          404,
          "error.notFound",
        ),
      );
  });
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { status, message } = describeError(error, logger);
    if (res.headersSent) return;
    const authenticated = res.locals.auth as Authenticated | undefined;
    const pageContext = context(
      authenticated?.session,
      authenticated?.scope,
      acceptLanguage(req.get("accept-language"), defaultLanguage),
    );
    const key: MessageKey =
      status === 403
        ? "error.forbidden"
        : status === 404
          ? "error.notFound"
          : status === 400
            ? "error.invalid"
            : "error.internal";
    res
      .status(status)
      .type("html")
      .send(errorPage(pageContext, status, key, { problems: message }));
  });
  return app;
}

const pageText = (language: Language, key: MessageKey): string => translator(language)(key);

const invalidText = (language: Language, issues: z.core.$ZodIssue[]): string =>
  translator(language)("error.invalid", { problems: issues.map((issue) => issue.message).join("; ") });

/** The HTTP status and a message for the person; internal details go to the log only. */
function describeError(error: unknown, logger: Logger): { status: number; message: string } {
  if (error instanceof PortalError) return { status: error.status, message: error.message };
  if (error instanceof DirectoryError) {
    logger.error({ err: error }, "self-care request failed: directory");
    return { status: 503, message: "the directory cannot be reached; try again later" };
  }
  if ((error as { type?: string }).type === "entity.parse.failed")
    return { status: 400, message: "invalid JSON" };
  if ((error as { type?: string }).type === "entity.too.large")
    return { status: 413, message: "body too large" };
  logger.error({ err: error }, "self-care request failed");
  return { status: 500, message: "internal error" };
}
