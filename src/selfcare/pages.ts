import type { HistoryRow } from "../bridge/index.js";
import { type Stream, streamAccount, type Unsubscription } from "../bridge/unsubscribe.js";
import type { Language, SettingBounds } from "../config/index.js";
import type { EffectiveSetting, Recipient, SettingName } from "../directory/index.js";
import type { AccountStatus, HostStatus, ServerFreshness } from "../exporter/index.js";
import type { Grant } from "./access.js";
import { accountHistory } from "./account-history.js";
import { type MessageKey, type Translate, translator } from "./i18n.js";
import { escapeHtml, Html, html, type Part } from "./markup.js";
import type { AccountDetails, Overview, Problem, SettingsForm } from "./portal.js";
import type { AuditEntry, Pause } from "./store.js";
import { type Formats, formats } from "./time.js";
import { auditText, mailKindText, outcomeText, reasonText } from "./wording.js";

/** A translated text with markup in place of its `{name}` (the text around it is escaped). */
const placing = (text: string, name: string, markup: Html): Html =>
  new Html(text.split(`{${name}}`).map(escapeHtml).join(markup.value));

/** What every page knows: language, who is logged in, the CSRF token for its forms. */
export interface PageContext {
  language: Language;
  /** The person's zone (sstTimeZoneOffset), in which every date is shown. */
  timeZone: string;
  /** When the page is rendered; relative times ("2 days ago") count from it. */
  now: number;
  csrfToken: string;
  personName?: string;
  bounds: SettingBounds;
  /** A one-line message at the top (saved, failed, ...). */
  notice?: { kind: "ok" | "error"; text: string };
}

const settingOrder: readonly SettingName[] = [
  "warnings",
  "quotaWarningPercent",
  "missedBackupsThreshold",
  "missedDaysThreshold",
  "failuresThreshold",
  "quotaFullDays",
];

const csrfField = (context: PageContext) =>
  html`<input type="hidden" name="_csrf" value="${context.csrfToken}">`;

function layout(context: PageContext, title: string, main: Html): string {
  const t = translator(context.language);
  const nav = context.personName
    ? html`<nav aria-label="${t("title")}"><a href="/accounts">${t("nav.accounts")}</a>
<span>${t("nav.signedIn", { name: context.personName })}</span>
<form method="post" action="/logout">${csrfField(context)}<button type="submit">${t("logout")}</button></form></nav>`
    : "";
  const notice = context.notice
    ? html`<p class="notice ${context.notice.kind}" role="${context.notice.kind === "error" ? "alert" : "status"}">${context.notice.text}</p>`
    : "";
  return `<!doctype html>
${html`<html lang="${context.language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · ${t("title")}</title>
<link rel="stylesheet" href="/static/portal.css">
</head>
<body>
<a class="skip" href="#main">${t("skip")}</a>
<header><p class="brand">${t("title")}</p>${nav}</header>
<main id="main" tabindex="-1">
${notice}${main}
</main>
</body>
</html>`}
`;
}

export function loginPage(context: PageContext, uid = ""): string {
  const t = translator(context.language);
  return layout(
    context,
    t("login.heading"),
    html`<h1>${t("login.heading")}</h1>
<form method="post" action="/login" class="login">
${csrfField(context)}
<p><label for="uid">${t("login.uid")}</label>
<input id="uid" name="uid" autocomplete="username" required value="${uid}" autofocus></p>
<p><label for="password">${t("login.password")}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit">${t("login.submit")}</button></p>
</form>`,
  );
}

const statusLabel = (t: Translate, status: HostStatus["status"]) => t(`status.${status}` as MessageKey);

/** A time said in `words`, the exact time in its title. */
const timeAs = (f: Formats, value: string | number, words: string) =>
  html`<time datetime="${new Date(value).toISOString()}" title="${f.dateTime(value)}">${words}</time>`;

/** A time as words relative to now ("2 days ago"), the exact time in its title. */
const moment = (f: Formats, now: number, value: string | number) => timeAs(f, value, f.relative(value, now));

/** One notice per backup server that does not answer: its accounts' data is old or absent, not failing. */
const staleNotices = (t: Translate, f: Formats, now: number, servers: readonly ServerFreshness[]) =>
  servers.map(
    (server) =>
      html`<p class="stale" role="status">${
        server.collectedAt
          ? placing(
              t("stale.old", { server: server.name }),
              "when",
              moment(f, now, server.collectedAt.getTime()),
            )
          : t("stale.none", { server: server.name })
      }</p>`,
  );

type Glance = "ok" | "problem" | "unknown" | "paused";
const glanceIcons: Record<Glance, string> = { ok: "✔", problem: "⚠", unknown: "?", paused: "⏸" };

/** How an account is at a glance: an icon, a colour and the words, then each problem and the pause. */
const glance = (t: Translate, problems: readonly Problem[], pause: Pause | undefined, f: Formats) => {
  const kind: Glance =
    problems[0] === "unknown" ? "unknown" : problems.length > 0 ? "problem" : pause ? "paused" : "ok";
  const items = problems
    .filter((p) => p !== "unknown")
    .map((p) => html`<li class="problem ${p}">${t(`problem.${p}` as MessageKey)}</li>`);
  if (pause) items.push(html`<li class="paused">${t("paused", { until: f.dateTime(pause.until) })}</li>`);
  return html`<p class="glance ${kind}"><span class="icon" aria-hidden="true">${glanceIcons[kind]}</span> ${t(`glance.${kind}`)}</p>${
    items.length > 0 ? html`<ul class="problems">${items}</ul>` : ""
  }`;
};

/** Used quota as a bar and a number; the bar turns "high" at the account's warning level. */
function quotaMeter(t: Translate, status: AccountStatus | undefined, number: (n: number) => string) {
  const ratio = status?.quota.usedRatio;
  if (status === undefined || ratio === undefined) return html`–`;
  const percent = number(ratio * 100);
  const high = Math.round(status.quota.warningRatio * 100);
  return html`<meter min="0" max="100" low="${high - 1}" high="${high}" optimum="0" value="${Math.min(100, ratio * 100).toFixed(1)}" aria-label="${t("col.quota")}">${percent} %</meter> ${percent} %`;
}

/** A table cell that names its column in `data-label`, shown before it where rows become cards (phones). */
const cell = (label: string, content: Part, attributes: Html | "" = "") =>
  html`<td data-label="${label}" ${attributes}>${content}</td>`;

function hostCells(t: Translate, host: HostStatus, f: Formats, now: number) {
  const client = host.client
    ? html`${host.client.version} ${host.clientOutdated ? html`<strong class="warn">(${t("outdated")})</strong>` : `(${t("current")})`}`
    : "–";
  return html`${cell(t("col.computer"), host.host)}${cell(t("col.status"), statusLabel(t, host.status))}${cell(t("col.lastSuccess"), host.lastSuccess ? moment(f, now, host.lastSuccess) : t("never"))}
${cell(t("col.missed"), host.missedRuns)}${cell(t("col.failures"), host.consecutiveFailures)}${cell(t("col.client"), client)}${cell(t("col.next"), host.nextPlannedRun ? nextPlanned(t, f, now, host.nextPlannedRun) : "–")}`;
}

/** A planned time already passed, the state not yet showing its run: due, not "8 minutes ago". */
const nextPlanned = (t: Translate, f: Formats, now: number, at: string) =>
  Date.parse(at) > now ? moment(f, now, at) : timeAs(f, at, t("due"));

export function overviewPage(
  context: PageContext,
  overview: Overview,
  query: { search: string; problemsOnly: boolean },
): string {
  const t = translator(context.language);
  const f = formats(context.language, context.timeZone);
  const link = (page: number) => {
    const params = new URLSearchParams();
    if (query.search) params.set("q", query.search);
    if (query.problemsOnly) params.set("problems", "1");
    params.set("page", String(page));
    return `/accounts?${params.toString()}`;
  };
  const rows = overview.rows.map((row) => {
    const hosts: (HostStatus | undefined)[] = row.status?.hosts.length ? row.status.hosts : [undefined];
    return hosts.map(
      (host, index) => html`<tr class="${index === 0 ? "first" : "more"}">
${
  index === 0
    ? html`<th scope="row" rowspan="${hosts.length}"><a href="/accounts/${encodeURIComponent(row.uid)}">${row.uid}</a></th>
${cell(t("overview.stateOf"), glance(t, row.problems, row.pause, f), html`rowspan="${hosts.length}"`)}`
    : ""
}
${host ? hostCells(t, host, f, context.now) : html`<td colspan="7">${row.status ? t("account.noComputers") : t("problem.unknown")}</td>`}
${index === 0 ? cell(t("col.quota"), quotaMeter(t, row.status, f.number), html`rowspan="${hosts.length}"`) : ""}
</tr>`,
    );
  });
  const pager =
    overview.pages > 1
      ? html`<nav aria-label="${t("overview.pages")}" class="pager">
${overview.page > 1 ? html`<a href="${link(overview.page - 1)}" rel="prev">${t("overview.previous")}</a>` : ""}
${overview.page < overview.pages ? html`<a href="${link(overview.page + 1)}" rel="next">${t("overview.next")}</a>` : ""}
</nav>`
      : "";
  return layout(
    context,
    t("overview.heading"),
    html`<h1>${t("overview.heading")}</h1>
<form method="get" action="/accounts" class="filter" role="search">
<p><label for="q">${t("overview.search")}</label> <input id="q" name="q" type="search" value="${query.search}"></p>
<p><label class="check"><input id="problems" name="problems" type="checkbox" value="1" ${query.problemsOnly ? new Html("checked") : ""}> ${t("overview.problemsOnly")}</label>
<button type="submit">${t("overview.apply")}</button></p>
</form>
<p>${t("overview.count", { total: overview.total, page: overview.page, pages: overview.pages })}</p>
<p class="collected">${overview.collectedAt ? placing(t("overview.collected"), "when", moment(f, context.now, overview.collectedAt.getTime())) : t("overview.notCollected")}</p>
${staleNotices(t, f, context.now, overview.staleServers)}
${
  overview.rows.length === 0
    ? html`<p>${t("overview.none")}</p>`
    : html`<table class="accounts">
<thead><tr><th scope="col">${t("col.account")}</th><th scope="col">${t("overview.stateOf")}</th><th scope="col">${t("col.computer")}</th><th scope="col">${t("col.status")}</th>
<th scope="col">${t("col.lastSuccess")}</th><th scope="col">${t("col.missed")}</th><th scope="col">${t("col.failures")}</th><th scope="col">${t("col.client")}</th>
<th scope="col">${t("col.next")}</th><th scope="col">${t("col.quota")}</th></tr></thead>
<tbody>${rows}</tbody>
</table>`
}
${pager}`,
  );
}

const sourceText = (t: Translate, setting: EffectiveSetting<boolean | number>) =>
  setting.source === "reseller"
    ? t("source.reseller", { uid: setting.resellerUid ?? "" })
    : t(`source.${setting.source}` as MessageKey);

const settingValue = (t: Translate, value: boolean | number) =>
  typeof value === "boolean" ? t(value ? "on" : "off") : String(value);

const grantText = (t: Translate, grant: Grant) =>
  grant.kind === "reseller" ? t("grant.reseller", { uid: grant.resellerUid }) : t(`grant.${grant.kind}`);

function recipientWhy(t: Translate, recipient: Recipient) {
  const { source } = recipient;
  if (source.kind === "account") return t("why.account");
  if (source.kind === "person") return t("why.person", { uid: source.uid });
  return t("why.reseller", { uid: source.uid });
}

/** A column of `dataTable`: its heading, hidden but for screen readers when the column is a button's. */
type Column = string | { label: string; hidden: true };
const columnLabel = (column: Column) => (typeof column === "string" ? column : column.label);

/**
 * A table whose cells name their column (`data-label`), so on a phone each row becomes a card; with
 * `rowHeader` the first cell of each row is its heading.
 */
function dataTable(columns: readonly Column[], rows: readonly (readonly Part[])[], rowHeader = false) {
  const head = columns.map((column) =>
    typeof column === "string"
      ? html`<th scope="col">${column}</th>`
      : html`<th scope="col"><span class="visually-hidden">${column.label}</span></th>`,
  );
  const body = rows.map(
    (row) =>
      html`<tr>${row.map((content, index) =>
        rowHeader && index === 0
          ? html`<th scope="row">${content}</th>`
          : cell(columnLabel(columns[index] ?? ""), content),
      )}</tr>`,
  );
  return html`<table><thead><tr>${head}</tr></thead><tbody>
${body}
</tbody></table>`;
}

function auditTable(t: Translate, audit: readonly AuditEntry[], f: Formats) {
  if (audit.length === 0) return html`<p>${t("account.noAudit")}</p>`;
  return dataTable(
    [t("col.when"), t("col.who"), t("col.what"), t("col.old"), t("col.new")],
    audit.map((entry) => {
      const text = auditText(t, f, entry);
      return [f.dateTime(entry.at), entry.personUid, text.what, text.old ?? "–", text.new ?? "–"];
    }),
  );
}

function historyTable(t: Translate, history: readonly HistoryRow[], f: Formats) {
  if (history.length === 0) return html`<p>${t("account.noMails")}</p>`;
  return dataTable(
    [t("col.when"), t("col.task"), t("col.recipient"), t("col.outcome")],
    history.map((row) => [
      f.dateTime(row.at),
      mailKindText(t, row),
      row.recipient ?? "–",
      outcomeText(t, f, row.outcome),
    ]),
  );
}

/** The mails a stream stands for, as a recipient reads it. */
const streamName = (t: Translate, stream: Stream): string => {
  const uid = streamAccount(stream);
  return uid !== undefined
    ? t("stream.account", { uid })
    : t(stream === "alerts" ? "stream.alerts" : "stream.digest");
};

function unsubscriptionTable(
  t: Translate,
  context: PageContext,
  path: string,
  unsubscriptions: readonly Unsubscription[],
  when: (v: number) => string,
) {
  if (unsubscriptions.length === 0) return "";
  return html`<h3>${t("account.unsubscribed")}</h3>
<table><thead><tr><th scope="col">${t("col.recipient")}</th><th scope="col">${t("col.mails")}</th><th scope="col">${t("col.since")}</th><th scope="col"><span class="visually-hidden">${t("account.resubscribe")}</span></th></tr></thead><tbody>
${unsubscriptions.map(
  (u) =>
    html`<tr><td>${u.address}</td><td>${streamName(t, u.stream)}</td><td>${when(u.createdAt)}</td><td><form method="post" action="${path}/unsubscriptions/${u.id}/end">${csrfField(context)}<button type="submit">${t("account.resubscribe")}</button></form></td></tr>`,
)}</tbody></table>`;
}

/**
 * The page of a one-click unsubscribe link: the question with its button (a GET changes nothing, as
 * link scanners follow links), what happened, or why the link does not work.
 */
export function unsubscribePage(
  context: PageContext,
  state:
    | { kind: "confirm"; token: string; address: string; stream: Stream }
    | { kind: "done"; address: string; stream: Stream }
    | { kind: "refused"; why: "expired" | "invalid" },
): string {
  const t = translator(context.language);
  if (state.kind === "refused")
    return layout(
      context,
      t("unsubscribe.heading"),
      html`<h1>${t("unsubscribe.heading")}</h1>
<p role="alert">${t(state.why === "expired" ? "unsubscribe.expired" : "unsubscribe.invalid")}</p>
<p><a href="/login">${t("login.heading")}</a></p>`,
    );
  const values = { address: state.address, stream: streamName(t, state.stream) };
  if (state.kind === "done")
    return layout(
      context,
      t("unsubscribe.doneHeading"),
      html`<h1>${t("unsubscribe.doneHeading")}</h1>
<p>${t("unsubscribe.done", values)}</p>
<p>${t("unsubscribe.undo")}</p>
<p><a href="/login">${t("login.heading")}</a></p>`,
    );
  // The action is the token itself, relative to this page: it works under any path prefix of the portal.
  return layout(
    context,
    t("unsubscribe.heading"),
    html`<h1>${t("unsubscribe.heading")}</h1>
<p>${t("unsubscribe.question", values)}</p>
<p>${t("unsubscribe.why")}</p>
<form method="post" action="${state.token}" class="unsubscribe">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<p><button type="submit">${t("unsubscribe.button")}</button></p>
</form>`,
  );
}

export function accountPage(context: PageContext, details: AccountDetails): string {
  const t = translator(context.language);
  const f = formats(context.language, context.timeZone);
  const uid = details.uid;
  const path = `/accounts/${encodeURIComponent(uid)}`;
  const hosts = details.status?.hosts ?? [];
  const found = details.found;
  const settings = found
    ? dataTable(
        [t("col.setting"), t("col.value"), t("col.source")],
        settingOrder.map((name) => {
          const setting = found.settings[name];
          return [t(`setting.${name}`), settingValue(t, setting.value), sourceText(t, setting)];
        }),
        true,
      )
    : "";
  const recipients = found
    ? html`${
        found.resolution.recipients.length === 0
          ? html`<p>${t("account.nobody")}</p>`
          : dataTable(
              [t("col.recipient"), t("col.audience"), t("col.why")],
              found.resolution.recipients.map((r) => [
                r.address,
                t(`audience.${r.audience}`),
                recipientWhy(t, r),
              ]),
            )
      }
${found.resolution.notInformed.length > 0 ? html`<h3>${t("account.notInformed")}</h3><ul>${found.resolution.notInformed.map((n) => html`<li>${t(`audience.${n.audience}`)} ${n.uid}: ${reasonText(t, n.reason)}</li>`)}</ul>` : ""}
${unsubscriptionTable(t, context, path, details.unsubscriptions, f.dateTime)}`
    : "";
  const pauses =
    details.pauses.length === 0
      ? html`<p>${t("account.noPauses")}</p>`
      : dataTable(
          [t("col.until"), t("col.who"), t("col.comment"), { label: t("account.endPause"), hidden: true }],
          details.pauses.map((p) => [
            f.dateTime(p.until),
            p.createdBy,
            p.comment ?? "",
            p === details.activePause
              ? html`<form method="post" action="${path}/pauses/${p.id}/end">${csrfField(context)}<button type="submit">${t("account.endPause")}</button></form>`
              : p.endedAt
                ? `${t("pause.ended")} (${p.endedBy ?? ""})`
                : "",
          ]),
        );
  return layout(
    context,
    t("account.heading", { uid }),
    html`<h1>${t("account.heading", { uid })}</h1>
<p>${t("account.why", { why: details.grants.map((g) => grantText(t, g)).join(", ") })}</p>
${staleNotices(t, f, context.now, details.staleServers)}
${glance(t, details.problems, details.activePause, f)}
<p>${t("col.quota")}: ${quotaMeter(t, details.status, f.number)}</p>
<h2>${t("account.computers")}</h2>
${
  hosts.length === 0
    ? html`<p>${t("account.noComputers")}</p>`
    : html`<table><thead><tr><th scope="col">${t("col.computer")}</th><th scope="col">${t("col.status")}</th><th scope="col">${t("col.lastSuccess")}</th>
<th scope="col">${t("col.missed")}</th><th scope="col">${t("col.failures")}</th><th scope="col">${t("col.client")}</th><th scope="col">${t("col.next")}</th></tr></thead>
<tbody>${hosts.map((h) => html`<tr>${hostCells(t, h, f, context.now)}</tr>`)}</tbody></table>`
}
${accountHistory(t, f, details.status, details.journal)}
<h2>${t("account.settings")}</h2>
${settings}
<p><a href="${path}/settings">${t("account.editSettings")}</a>
${details.editableResellers.map((r) => html` · <a href="/resellers/${encodeURIComponent(r)}/settings">${t("account.resellerDefaults", { uid: r })}</a>`)}</p>
<h2>${t("account.pauses")}</h2>
${pauses}
<p><a href="${path}/pause">${t("account.pause")}</a></p>
<h2>${t("account.recipients")}</h2>
${recipients}
<h2>${t("account.mails")}</h2>
${historyTable(t, details.history, f)}
<h2>${t("account.audit")}</h2>
${auditTable(t, details.audit, f)}`,
  );
}

/** What a setting's form shows: the entry's own value (empty: none) and what applies without it. */
export interface SettingsTarget extends SettingsForm {
  kind: "account" | "reseller";
  uid: string;
  /** Fields whose submitted value was refused. */
  invalid?: readonly SettingName[];
}

/** "90, from reseller 4000001": the inherited value and where it comes from. */
const inheritedText = (t: Translate, setting: EffectiveSetting<boolean | number>) =>
  setting.source === "reseller"
    ? t("inherit.reseller", { value: settingValue(t, setting.value), uid: setting.resellerUid ?? "" })
    : t("inherit.config", { value: settingValue(t, setting.value) });

/** The settings form of an account or a reseller: own values, and beside each what applies when it is empty. */
export function settingsPage(
  context: PageContext,
  target: SettingsTarget,
  audit: readonly AuditEntry[] = [],
): string {
  const t = translator(context.language);
  const f = formats(context.language, context.timeZone);
  const action = `/${target.kind === "account" ? "accounts" : "resellers"}/${encodeURIComponent(target.uid)}/settings`;
  const heading =
    target.kind === "account"
      ? t("settings.heading", { uid: target.uid })
      : t("settings.resellerHeading", { uid: target.uid });
  const warnings = target.own.warnings;
  const option = (value: string, label: string, selected: boolean) =>
    html`<option value="${value}" ${selected ? new Html("selected") : ""}>${label}</option>`;
  const inherited = (name: SettingName) =>
    html`<span id="${name}-inherited" class="hint inherited">${t(
      target.own[name] === undefined ? "settings.inEffect" : "settings.ifEmpty",
      { what: inheritedText(t, target.inherited[name]) },
    )}</span>`;
  const invalid = (name: SettingName) =>
    target.invalid?.includes(name) ? new Html('aria-invalid="true"') : "";
  const numberField = (name: Exclude<SettingName, "warnings">) => {
    const bound = context.bounds[name];
    return html`<p><label for="${name}">${t(`setting.${name}`)}</label>
<input id="${name}" name="${name}" type="number" inputmode="numeric" min="${bound.min}" max="${bound.max}" step="1" value="${String(target.own[name] ?? "")}" aria-describedby="${name}-range ${name}-inherited" ${invalid(name)}>
<span id="${name}-range" class="hint">${t("range", { min: bound.min, max: bound.max })}</span>
${inherited(name)}</p>`;
  };
  return layout(
    context,
    heading,
    html`<h1>${heading}</h1>
<p>${t("settings.inheritHelp")}</p>
<form method="post" action="${action}" class="settings">
${csrfField(context)}
<p><label for="warnings">${t("setting.warnings")}</label>
<select id="warnings" name="warnings" aria-describedby="warnings-inherited" ${invalid("warnings")}>${option("", t("inherit"), warnings === undefined)}${option("true", t("on"), warnings === true)}${option("false", t("off"), warnings === false)}</select>
${inherited("warnings")}</p>
${numberField("quotaWarningPercent")}
${numberField("missedBackupsThreshold")}
${numberField("missedDaysThreshold")}
${numberField("failuresThreshold")}
${numberField("quotaFullDays")}
<p><button type="submit">${t("settings.save")}</button></p>
</form>
${target.kind === "account" ? html`<p><a href="/accounts/${encodeURIComponent(target.uid)}">${t("back")}</a></p>` : ""}
${target.kind === "reseller" ? html`<h2>${t("account.audit")}</h2>${auditTable(t, audit, f)}` : ""}`,
  );
}

/** The pause form; `days` are calendar days in the person's zone: the one proposed, the first and the last allowed. */
export function pausePage(
  context: PageContext,
  uid: string,
  days: { proposed: string; first: string; last: string },
): string {
  const t = translator(context.language);
  const path = `/accounts/${encodeURIComponent(uid)}`;
  return layout(
    context,
    t("pause.heading", { uid }),
    html`<h1>${t("pause.heading", { uid })}</h1>
<form method="post" action="${path}/pauses" class="pause">
${csrfField(context)}
<p><label for="until">${t("pause.until")}</label>
<input id="until" name="until" type="date" required value="${days.proposed}" min="${days.first}" max="${days.last}"></p>
<p><label for="comment">${t("pause.comment")}</label>
<input id="comment" name="comment" maxlength="200"></p>
<p><button type="submit">${t("pause.save")}</button></p>
</form>
<p><a href="${path}">${t("back")}</a></p>`,
  );
}

export function errorPage(
  context: PageContext,
  status: number,
  key: MessageKey,
  values?: Record<string, string | number>,
): string {
  const t = translator(context.language);
  return layout(
    context,
    String(status),
    html`<h1>${t(key, values)}</h1><p><a href="/accounts">${t("nav.accounts")}</a></p>`,
  );
}

/**
 * One stylesheet for every page. Below 48rem (phones, narrow windows) tables become cards: each row a
 * block, each cell preceded by its column's name (`data-label`), so no page scrolls sideways.
 */
export const stylesheet = `:root{font-family:system-ui,sans-serif;line-height:1.4;color:#1a1a1a;background:#fff}
body{margin:0 auto;max-width:80rem;padding:0 1rem 2rem}
header{display:flex;flex-wrap:wrap;gap:0 1rem;align-items:center;justify-content:space-between;border-bottom:1px solid #767676;margin-bottom:1rem}
header nav{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center}
header form{display:inline}
.brand{font-weight:bold}
a{color:#0645ad}
a:focus,button:focus,input:focus,select:focus,main:focus{outline:3px solid #1a5fb4;outline-offset:2px}
.skip{position:absolute;left:-999px}
.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem}
table{border-collapse:collapse;width:100%;margin-bottom:1rem}
th,td{border:1px solid #c0c0c0;padding:.25rem .5rem;text-align:left;vertical-align:top;overflow-wrap:break-word}
thead th{background:#f0f0f0}
.glance{margin:0;font-weight:bold}
.glance .icon{display:inline-block;min-width:1.2em;text-align:center}
.glance.ok{color:#1d6b1d}
.glance.problem{color:#a40000}
.glance.unknown{color:#4a4a4a}
.glance.paused{color:#5c3d00}
tr.first:has(.glance.problem) th{border-left:6px solid #a40000}
tr.first:has(.glance.ok) th{border-left:6px solid #1d6b1d}
.problems{margin:0;padding-left:1.2rem}
.problem,.warn{color:#a40000}
.paused{color:#5c3d00}
.notice{padding:.5rem;border:1px solid}
.notice.error{color:#a40000}
.notice.ok{color:#1d6b1d}
label{display:inline-block;min-width:18rem}
label.check{min-width:0;white-space:nowrap}
.hint{color:#4a4a4a;margin-left:.5rem}
.inherited{display:block;margin-left:0}
.pager{display:flex;gap:2rem}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
button{padding:.25rem .75rem}
figure{margin:0 0 .5rem}
svg.chart{display:block;width:100%;max-width:50rem;height:auto}
.axis{display:flex;justify-content:space-between;max-width:50rem;margin:.25rem 0;font-size:.875rem;color:#4a4a4a}
.axis.quota{color:#a40000}
.legend{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;padding:0;margin:0 0 .5rem}
.legend svg{vertical-align:middle}
details{margin-bottom:1rem}
input,select,meter{max-width:100%}
@media (max-width:48rem){
label{display:block;min-width:0}
label.check{display:inline-block}
.hint{display:block;margin-left:0}
table,tbody,tr,th,td{display:block}
thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
table{border:0}
tr{border:1px solid #767676;margin-bottom:.75rem}
tr.more{margin-top:-.75rem;border-top:1px dashed #c0c0c0}
th,td{border:0;padding:.25rem .5rem;overflow-wrap:anywhere}
td[data-label]::before{content:attr(data-label) ": ";font-weight:bold}
:lang(fr) td[data-label]::before{content:attr(data-label) "\\202F: "}
td:empty{display:none}
}
`;
