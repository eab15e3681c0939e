import { randomBytes } from "node:crypto";
import express, { type NextFunction, type Request, type Response } from "express";
import { z } from "zod";
import type { Language, SettingBounds } from "../config/index.js";
import { formatIssues } from "../config/index.js";
import { DirectoryError, type SettingName, settingNames } from "../directory/index.js";
import type { ServerFreshness } from "../exporter/index.js";
import { sameSecret } from "../http-auth.js";
import { journalRange } from "../journal/index.js";
import type { Logger } from "../log.js";
import type { Scope } from "./access.js";
import { durationText } from "./account-history.js";
import { type MessageKey, translator } from "./i18n.js";
import { runJson, usageJson } from "./journal-api.js";
import {
  accountPage,
  errorPage,
  loginPage,
  overviewPage,
  type PageContext,
  pausePage,
  settingsPage,
  stylesheet,
  unsubscribePage,
} from "./pages.js";
import { type Portal, PortalError, type SettingsForm } from "./portal.js";
import { type SettingValues, settingValuesSchema } from "./settings.js";
import type { Pause, Session } from "./store.js";
import { dayIn, endOfDay } from "./time.js";

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

/** A date (`2026-12-24`) means the end of that day in the person's zone; a full timestamp is taken as is. */
const pauseEnd = (value: string, timeZone: string): Date =>
  /^\d{4}-\d{2}-\d{2}$/.test(value) ? endOfDay(value, timeZone) : new Date(value);

/** Times in JSON are RFC 3339 strings, like the exporter's state. */
const rfc3339 = (at: number) => new Date(at).toISOString();
const pauseJson = (pause: Pause) => ({
  ...pause,
  createdAt: rfc3339(pause.createdAt),
  until: rfc3339(pause.until),
  ...(pause.endedAt !== undefined ? { endedAt: rfc3339(pause.endedAt) } : {}),
});
const atJson = <T extends { at: number }>(row: T) => ({ ...row, at: rfc3339(row.at) });

/** `page` and `pageSize` of the account list: whole numbers, or a 400 that says which is wrong. */
const pagingSchema = (maxPageSize: number) =>
  z.object({
    page: z
      .string()
      .regex(/^[1-9]\d*$/, "page must be a whole number from 1")
      .transform(Number)
      .optional(),
    pageSize: z
      .string()
      .regex(/^[1-9]\d*$/, `pageSize must be a whole number from 1 to ${maxPageSize}`)
      .transform(Number)
      .refine((n) => n <= maxPageSize, `pageSize must be a whole number from 1 to ${maxPageSize}`)
      .optional(),
  });

/** Backup servers that do not answer, with when their data was collected: only when there are any. */
const staleServersJson = (servers: readonly ServerFreshness[]) =>
  servers.length === 0
    ? {}
    : {
        staleServers: servers.map((server) => ({
          name: server.name,
          ...(server.collectedAt ? { collectedAt: rfc3339(server.collectedAt.getTime()) } : {}),
        })),
      };

export function createSelfcareApp(portal: Portal, logger: Logger): express.Express {
  const { selfcare } = portal.config;
  const defaultLanguage = portal.config.bridge.templates.defaultLanguage;
  const defaultTimeZone = portal.config.directory.defaults.timeZone;
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
    timeZone: scope?.person.timeZone ?? defaultTimeZone,
    now: Date.now(),
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
      if (outcome.retryAfterMs !== undefined)
        return void res
          .status(429)
          .set("Retry-After", retryAfter(outcome.retryAfterMs))
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
  const paging = pagingSchema(1000);
  api.get("/accounts", requireApiSession, async (req, res) => {
    const { page, pageSize } = bodyOf(paging, { page: req.query.page, pageSize: req.query.pageSize });
    const overview = await portal.overview(auth(res).scope, {
      search: typeof req.query.q === "string" ? req.query.q : "",
      problemsOnly: req.query.problems === "1" || req.query.problems === "true",
      ...(page !== undefined ? { page } : {}),
      ...(pageSize !== undefined ? { pageSize } : {}),
    });
    res.json({
      ...staleServersJson(overview.staleServers),
      total: overview.total,
      page: overview.page,
      pages: overview.pages,
      pageSize: overview.pageSize,
      accounts: overview.rows.map((row) => ({
        uid: row.uid,
        problems: row.problems,
        ...(row.pause ? { pausedUntil: rfc3339(row.pause.until), pausedBy: row.pause.createdBy } : {}),
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
      ...staleServersJson(details.staleServers),
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
      history: details.history.map(atJson),
      pauses: details.pauses.map(pauseJson),
      ...(details.activePause ? { activePause: pauseJson(details.activePause) } : {}),
      audit: details.audit.map(atJson),
      unsubscriptions: details.unsubscriptions,
    });
  });
  api.put("/accounts/:uid/settings", requireApiSession, async (req, res) => {
    const uid = accountParam(req, res);
    const values = bodyOf(settingsSchema, req.body) as SettingValues;
    const changes = await portal.updateAccountSettings(auth(res).scope, uid, values);
    res.json({ changes: changes.map(atJson) });
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
    res.json({ pauses: (await portal.pauses(auth(res).scope, accountParam(req, res))).map(pauseJson) });
  });
  api.post("/accounts/:uid/pauses", requireApiSession, async (req, res) => {
    const uid = accountParam(req, res);
    const body = bodyOf(pauseSchema, req.body);
    const { scope } = auth(res);
    const pause = await portal.addPause(
      scope,
      uid,
      pauseEnd(body.until, scope.person.timeZone),
      body.comment,
    );
    res.status(201).json(pauseJson(pause));
  });
  api.delete("/accounts/:uid/pauses/:id", requireApiSession, async (req, res) => {
    const uid = accountParam(req, res);
    res.json(pauseJson(await portal.endPause(auth(res).scope, uid, Number(req.params.id))));
  });
  api.delete("/accounts/:uid/unsubscriptions/:id", requireApiSession, async (req, res) => {
    const uid = accountParam(req, res);
    res.json(await portal.endUnsubscription(auth(res).scope, uid, Number(req.params.id)));
  });
  api.get("/resellers/:uid/settings", requireApiSession, async (req, res) => {
    const { reseller, audit } = await portal.resellerSettings(auth(res).scope, String(req.params.uid));
    res.json({ uid: reseller.uid, settings: reseller.settings, audit: audit.map(atJson) });
  });
  api.put("/resellers/:uid/settings", requireApiSession, async (req, res) => {
    const scope = auth(res).scope;
    const resellerUid = String(req.params.uid);
    portal.authoriseReseller(scope, resellerUid);
    const values = bodyOf(settingsSchema, req.body) as SettingValues;
    const changes = await portal.updateResellerSettings(scope, resellerUid, values);
    res.json({ changes: changes.map(atJson) });
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

  const showLogin = (
    req: Request,
    res: Response,
    status: number,
    notice?: MessageKey,
    values?: Record<string, string>,
  ) => {
    const language = acceptLanguage(req.get("accept-language"), defaultLanguage);
    const token = randomBytes(24).toString("base64url");
    res.set("Set-Cookie", cookie(loginCookie, token));
    const page = context(undefined, undefined, language);
    page.csrfToken = token;
    if (notice) page.notice = { kind: "error", text: translator(language)(notice, values) };
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
    if (!outcome.ok) {
      if (outcome.retryAfterMs === undefined) return showLogin(req, res, 401, "login.failed");
      res.set("Retry-After", retryAfter(outcome.retryAfterMs));
      const language = acceptLanguage(req.get("accept-language"), defaultLanguage);
      return showLogin(req, res, 429, "login.throttled", {
        wait: durationText(translator(language), Number(retryAfter(outcome.retryAfterMs))),
      });
    }
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
      resubscribed: "unsubscribe.resubscribed",
    };
    return typeof saved === "string" && keys[saved] ? { kind: "ok", key: keys[saved] } : undefined;
  };

  /** A settings form's values; out of bounds, the form again with the reasons (400) and undefined. */
  const formValues = (
    req: Request,
    res: Response,
    target: { kind: "account" | "reseller"; uid: string; form: () => Promise<SettingsForm> },
  ) => {
    const submitted = formSettings(req.body ?? {});
    const parsed = settingsSchema.safeParse(submitted);
    if (parsed.success) return Promise.resolve(parsed.data as SettingValues);
    const context = page(res);
    const invalid = invalidSettings(parsed.error.issues);
    context.notice = { kind: "error", text: invalidText(context.language, invalid, selfcare.bounds) };
    return target.form().then((form) => {
      // An emptied field (null) shows as empty again, with what applies then.
      const own = Object.fromEntries(
        Object.entries(submitted).filter(([, value]) => value !== null),
      ) as Partial<Record<SettingName, boolean | number>>;
      res
        .status(400)
        .type("html")
        .send(settingsPage(context, { ...target, ...form, own, invalid }));
      return undefined;
    });
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
      page: Number.parseInt(String(req.query.page), 10) || 1,
    });
    res.type("html").send(overviewPage(page(res), overview, { search, problemsOnly }));
  });
  app.get("/accounts/:uid", requirePageSession, async (req, res) => {
    const details = await portal.account(auth(res).scope, accountParam(req, res));
    res.type("html").send(accountPage(page(res, noticeOf(req)), details));
  });
  app.get("/accounts/:uid/settings", requirePageSession, async (req, res) => {
    const uid = accountParam(req, res);
    const form = await portal.accountSettings(auth(res).scope, uid);
    res.type("html").send(settingsPage(page(res), { kind: "account", uid, ...form }));
  });
  app.post("/accounts/:uid/settings", form, requirePageSession, async (req, res) => {
    const uid = accountParam(req, res);
    const values = await formValues(req, res, {
      kind: "account",
      uid,
      form: () => portal.accountSettings(auth(res).scope, uid),
    });
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
    const zone = auth(res).scope.person.timeZone;
    const days = {
      proposed: dayIn(now + 7 * 86_400_000, zone),
      first: dayIn(now, zone),
      // The last day whose end is still within the allowed length of a pause.
      last: dayIn(now + (selfcare.bounds.pauseDays - 1) * 86_400_000, zone),
    };
    res.type("html").send(pausePage(page(res), uid, days));
  });
  app.post("/accounts/:uid/pauses", form, requirePageSession, async (req, res) => {
    const uid = accountParam(req, res);
    const until = typeof req.body?.until === "string" ? req.body.until : "";
    const comment = typeof req.body?.comment === "string" ? req.body.comment.slice(0, 200) : "";
    const { scope } = auth(res);
    await portal.addPause(scope, uid, pauseEnd(until, scope.person.timeZone), comment);
    res.redirect(303, `/accounts/${encodeURIComponent(uid)}?done=paused`);
  });
  app.post("/accounts/:uid/pauses/:id/end", form, requirePageSession, async (req, res) => {
    const uid = accountParam(req, res);
    await portal.endPause(auth(res).scope, uid, Number(req.params.id));
    res.redirect(303, `/accounts/${encodeURIComponent(uid)}?done=ended`);
  });
  app.post("/accounts/:uid/unsubscriptions/:id/end", form, requirePageSession, async (req, res) => {
    const uid = accountParam(req, res);
    await portal.endUnsubscription(auth(res).scope, uid, Number(req.params.id));
    res.redirect(303, `/accounts/${encodeURIComponent(uid)}?done=resubscribed`);
  });

  // One-click unsubscribing (RFC 8058): the signed token is the authentication, so neither a session
  // nor a CSRF token is asked for. A GET only asks (link scanners follow links); a POST with
  // `List-Unsubscribe=One-Click` (form-urlencoded or multipart, as mail clients send it) unsubscribes.
  const unsubscribeContext = (req: Request) =>
    context(undefined, undefined, acceptLanguage(req.get("accept-language"), defaultLanguage));
  /** The link's claim, or the page saying why it does not work (400) and undefined. */
  const linkClaim = (req: Request, res: Response) => {
    const check = portal.checkUnsubscribeLink(String(req.params.token));
    if (check.ok) return check.claim;
    res
      .status(400)
      .type("html")
      .send(
        unsubscribePage(unsubscribeContext(req), {
          kind: "refused",
          why: check.reason === "expired" ? "expired" : "invalid",
        }),
      );
    return undefined;
  };
  app.get("/unsubscribe/:token", (req, res) => {
    const claim = linkClaim(req, res);
    if (!claim) return;
    res.type("html").send(
      unsubscribePage(unsubscribeContext(req), {
        kind: "confirm",
        token: String(req.params.token),
        address: claim.address,
        stream: claim.stream,
      }),
    );
  });
  app.post("/unsubscribe/:token", express.raw({ type: () => true, limit: "4kb" }), async (req, res) => {
    const claim = linkClaim(req, res);
    if (!claim) return;
    if (!(await isOneClick(req))) {
      const page = unsubscribeContext(req);
      page.notice = { kind: "error", text: pageText(page.language, "unsubscribe.confirm") };
      const confirm = { token: String(req.params.token), address: claim.address, stream: claim.stream };
      return void res
        .status(400)
        .type("html")
        .send(unsubscribePage(page, { kind: "confirm", ...confirm }));
    }
    const unsubscription = await portal.unsubscribe(claim);
    res.type("html").send(
      unsubscribePage(unsubscribeContext(req), {
        kind: "done",
        address: unsubscription.address,
        stream: unsubscription.stream,
      }),
    );
  });

  app.get("/resellers/:uid/settings", requirePageSession, async (req, res) => {
    const { reseller, audit } = await portal.resellerSettings(auth(res).scope, String(req.params.uid));
    res
      .type("html")
      .send(
        settingsPage(
          page(res, noticeOf(req)),
          { kind: "reseller", uid: reseller.uid, own: reseller.settings, inherited: portal.configDefaults() },
          audit,
        ),
      );
  });
  app.post("/resellers/:uid/settings", form, requirePageSession, async (req, res) => {
    const scope = auth(res).scope;
    const resellerUid = String(req.params.uid);
    portal.authoriseReseller(scope, resellerUid);
    const values = await formValues(req, res, {
      kind: "reseller",
      uid: resellerUid,
      form: async () => ({
        own: (await portal.resellerSettings(scope, resellerUid)).reseller.settings,
        inherited: portal.configDefaults(),
      }),
    });
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
    const { status } = describeError(error, logger);
    if (res.headersSent) return;
    const authenticated = res.locals.auth as Authenticated | undefined;
    const pageContext = context(
      authenticated?.session,
      authenticated?.scope,
      acceptLanguage(req.get("accept-language"), defaultLanguage),
    );
    // The page says it in the person's words; `message` is the API's English reason.
    const said = error instanceof PortalError ? error.page : undefined;
    const key: MessageKey =
      said?.key ??
      (status === 403
        ? "error.forbidden"
        : status === 404
          ? "error.notFound"
          : status === 400
            ? "error.request"
            : status === 502 || status === 503
              ? "error.directory"
              : "error.internal");
    res
      .status(status)
      .type("html")
      .send(errorPage(pageContext, status, key, said?.values));
  });
  return app;
}

/** Retry-After in whole seconds, rounded up so a client that waits it is let in. */
const retryAfter = (ms: number) => String(Math.ceil(ms / 1000));

const pageText = (language: Language, key: MessageKey): string => translator(language)(key);

/** Whether a raw request body is RFC 8058's `List-Unsubscribe=One-Click`, form-urlencoded or multipart. */
async function isOneClick(req: Request): Promise<boolean> {
  const body: unknown = req.body;
  if (!Buffer.isBuffer(body)) return false;
  try {
    const fields = await new Response(body, {
      headers: { "content-type": req.get("content-type") ?? "application/x-www-form-urlencoded" },
    }).formData();
    return fields.get("List-Unsubscribe") === "One-Click";
  } catch {
    // Neither form encoding, or a malformed one.
    return false;
  }
}

/** The settings a form's refusal names (zod's issues carry the field as their path). */
const invalidSettings = (issues: readonly z.core.$ZodIssue[]): SettingName[] => [
  ...new Set(
    issues.flatMap((issue) =>
      typeof issue.path[0] === "string" && (settingNames as readonly string[]).includes(issue.path[0])
        ? [issue.path[0] as SettingName]
        : [],
    ),
  ),
];

/** Why a settings form was refused, per field, in the person's language. */
const invalidText = (language: Language, invalid: readonly SettingName[], bounds: SettingBounds): string => {
  const t = translator(language);
  const problems = invalid.map((name) =>
    name === "warnings"
      ? t("error.settingChoice", { setting: t("setting.warnings") })
      : t("error.setting", { setting: t(`setting.${name}`), min: bounds[name].min, max: bounds[name].max }),
  );
  return t("error.invalid", { problems: problems.join(" ") || t("error.request") });
};

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
