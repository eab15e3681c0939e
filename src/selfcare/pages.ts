import type { HistoryRow } from "../bridge/index.js";
import type { Language, SettingBounds } from "../config/index.js";
import type { EffectiveSetting, Recipient, SettingName } from "../directory/index.js";
import type { AccountStatus, HostStatus } from "../exporter/index.js";
import type { Grant } from "./access.js";
import { accountHistory } from "./account-history.js";
import { formats, type MessageKey, type Translate, translator } from "./i18n.js";
import { Html, html } from "./markup.js";
import type { AccountDetails, Overview, Problem } from "./portal.js";
import type { AuditEntry, Pause } from "./store.js";

/** What every page knows: language, who is logged in, the CSRF token for its forms. */
export interface PageContext {
  language: Language;
  timeZone: string;
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

const problemList = (
  t: Translate,
  problems: readonly Problem[],
  pause: Pause | undefined,
  when: (v: number) => string,
) => {
  const items = problems.map((p) => html`<li class="problem ${p}">${t(`problem.${p}` as MessageKey)}</li>`);
  if (items.length === 0) items.push(html`<li class="ok">${t("problem.none")}</li>`);
  if (pause) items.push(html`<li class="paused">${t("paused", { until: when(pause.until) })}</li>`);
  return html`<ul class="problems">${items}</ul>`;
};

/** Used quota as a bar and a number; the bar turns "high" at the account's warning level. */
function quotaMeter(t: Translate, status: AccountStatus | undefined, number: (n: number) => string) {
  const ratio = status?.quota.usedRatio;
  if (status === undefined || ratio === undefined) return html`–`;
  const percent = number(ratio * 100);
  const high = Math.round(status.quota.warningRatio * 100);
  return html`<meter min="0" max="100" low="${high - 1}" high="${high}" optimum="0" value="${Math.min(100, ratio * 100).toFixed(1)}" aria-label="${t("col.quota")}">${percent} %</meter> ${percent} %`;
}

function hostCells(t: Translate, host: HostStatus, when: (v: string) => string) {
  const client = host.client
    ? html`${host.client.version} ${host.clientOutdated ? html`<strong class="warn">(${t("outdated")})</strong>` : `(${t("current")})`}`
    : "–";
  return html`<td>${host.host}</td><td>${statusLabel(t, host.status)}</td><td>${host.lastSuccess ? when(host.lastSuccess) : t("never")}</td>
<td>${host.missedRuns}</td><td>${host.consecutiveFailures}</td><td>${client}</td><td>${host.nextPlannedRun ? when(host.nextPlannedRun) : "–"}</td>`;
}

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
      (host, index) => html`<tr>
${
  index === 0
    ? html`<th scope="row" rowspan="${hosts.length}"><a href="/accounts/${encodeURIComponent(row.uid)}">${row.uid}</a></th>
<td rowspan="${hosts.length}">${problemList(t, row.problems, row.pause, f.dateTime)}</td>`
    : ""
}
${host ? hostCells(t, host, f.dateTime) : html`<td colspan="7">${row.status ? t("account.noComputers") : t("problem.unknown")}</td>`}
${index === 0 ? html`<td rowspan="${hosts.length}">${quotaMeter(t, row.status, f.number)}</td>` : ""}
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
<p><label for="q">${t("overview.search")}</label> <input id="q" name="q" type="search" value="${query.search}">
<input id="problems" name="problems" type="checkbox" value="1" ${query.problemsOnly ? new Html("checked") : ""}>
<label for="problems">${t("overview.problemsOnly")}</label>
<button type="submit">${t("overview.apply")}</button></p>
</form>
<p>${t("overview.count", { total: overview.total, page: overview.page, pages: overview.pages })}</p>
${
  overview.rows.length === 0
    ? html`<p>${t("overview.none")}</p>`
    : html`<table class="accounts">
<thead><tr><th scope="col">${t("col.account")}</th><th scope="col">${t("col.problems")}</th><th scope="col">${t("col.computer")}</th><th scope="col">${t("col.status")}</th>
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

function auditTable(t: Translate, audit: readonly AuditEntry[], when: (v: number) => string) {
  if (audit.length === 0) return html`<p>${t("account.noAudit")}</p>`;
  return html`<table><thead><tr><th scope="col">${t("col.when")}</th><th scope="col">${t("col.who")}</th><th scope="col">${t("col.what")}</th>
<th scope="col">${t("col.old")}</th><th scope="col">${t("col.new")}</th></tr></thead><tbody>
${audit.map((a) => html`<tr><td>${when(a.at)}</td><td>${a.personUid}</td><td>${a.action}</td><td>${a.oldValue ?? "–"}</td><td>${a.newValue ?? "–"}</td></tr>`)}
</tbody></table>`;
}

function historyTable(t: Translate, history: readonly HistoryRow[], when: (v: number) => string) {
  if (history.length === 0) return html`<p>${t("account.noMails")}</p>`;
  return html`<table><thead><tr><th scope="col">${t("col.when")}</th><th scope="col">${t("col.task")}</th><th scope="col">${t("col.recipient")}</th>
<th scope="col">${t("col.outcome")}</th></tr></thead><tbody>
${history.map((h) => html`<tr><td>${when(h.at)}</td><td>${h.task} (${h.status})</td><td>${h.recipient ?? "–"}</td><td>${h.outcome}</td></tr>`)}
</tbody></table>`;
}

export function accountPage(context: PageContext, details: AccountDetails): string {
  const t = translator(context.language);
  const f = formats(context.language, context.timeZone);
  const uid = details.uid;
  const path = `/accounts/${encodeURIComponent(uid)}`;
  const hosts = details.status?.hosts ?? [];
  const found = details.found;
  const settings = found
    ? html`<table><thead><tr><th scope="col">${t("col.setting")}</th><th scope="col">${t("col.value")}</th><th scope="col">${t("col.source")}</th></tr></thead><tbody>
${settingOrder.map((name) => {
  const setting = found.settings[name];
  return html`<tr><th scope="row">${t(`setting.${name}` as MessageKey)}</th><td>${settingValue(t, setting.value)}</td><td>${sourceText(t, setting)}</td></tr>`;
})}
</tbody></table>`
    : "";
  const recipients = found
    ? html`${
        found.resolution.recipients.length === 0
          ? html`<p>${t("account.nobody")}</p>`
          : html`<table><thead><tr><th scope="col">${t("col.recipient")}</th><th scope="col">${t("col.audience")}</th><th scope="col">${t("col.why")}</th></tr></thead><tbody>
${found.resolution.recipients.map((r) => html`<tr><td>${r.address}</td><td>${t(`audience.${r.audience}` as MessageKey)}</td><td>${recipientWhy(t, r)}</td></tr>`)}
</tbody></table>`
      }
${found.resolution.notInformed.length > 0 ? html`<h3>${t("account.notInformed")}</h3><ul>${found.resolution.notInformed.map((n) => html`<li>${t(`audience.${n.audience}` as MessageKey)} ${n.uid}: ${n.reason}</li>`)}</ul>` : ""}`
    : "";
  const pauses =
    details.pauses.length === 0
      ? html`<p>${t("account.noPauses")}</p>`
      : html`<table><thead><tr><th scope="col">${t("col.until")}</th><th scope="col">${t("col.who")}</th><th scope="col">${t("col.comment")}</th><th scope="col"><span class="visually-hidden">${t("account.endPause")}</span></th></tr></thead><tbody>
${details.pauses.map(
  (p) =>
    html`<tr><td>${f.dateTime(p.until)}</td><td>${p.createdBy}</td><td>${p.comment ?? ""}</td><td>${
      p === details.activePause
        ? html`<form method="post" action="${path}/pauses/${p.id}/end">${csrfField(context)}<button type="submit">${t("account.endPause")}</button></form>`
        : p.endedAt
          ? `${t("pause.ended")} (${p.endedBy ?? ""})`
          : ""
    }</td></tr>`,
)}</tbody></table>`;
  return layout(
    context,
    t("account.heading", { uid }),
    html`<h1>${t("account.heading", { uid })}</h1>
<p>${t("account.why", { why: details.grants.map((g) => grantText(t, g)).join(", ") })}</p>
${problemList(t, details.problems, details.activePause, f.dateTime)}
<p>${t("col.quota")}: ${quotaMeter(t, details.status, f.number)}</p>
<h2>${t("account.computers")}</h2>
${
  hosts.length === 0
    ? html`<p>${t("account.noComputers")}</p>`
    : html`<table><thead><tr><th scope="col">${t("col.computer")}</th><th scope="col">${t("col.status")}</th><th scope="col">${t("col.lastSuccess")}</th>
<th scope="col">${t("col.missed")}</th><th scope="col">${t("col.failures")}</th><th scope="col">${t("col.client")}</th><th scope="col">${t("col.next")}</th></tr></thead>
<tbody>${hosts.map((h) => html`<tr>${hostCells(t, h, f.dateTime)}</tr>`)}</tbody></table>`
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
${historyTable(t, details.history, f.dateTime)}
<h2>${t("account.audit")}</h2>
${auditTable(t, details.audit, f.dateTime)}`,
  );
}

/** The settings form of an account or a reseller: current own values, empty for "use the default". */
export function settingsPage(
  context: PageContext,
  target: { kind: "account" | "reseller"; uid: string; own: Partial<Record<SettingName, boolean | number>> },
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
  const numberField = (name: Exclude<SettingName, "warnings">) => {
    const bound = context.bounds[name];
    return html`<p><label for="${name}">${t(`setting.${name}` as MessageKey)}</label>
<input id="${name}" name="${name}" type="number" inputmode="numeric" min="${bound.min}" max="${bound.max}" step="1" value="${String(target.own[name] ?? "")}" aria-describedby="${name}-range">
<span id="${name}-range" class="hint">${t("range", { min: bound.min, max: bound.max })}</span></p>`;
  };
  return layout(
    context,
    heading,
    html`<h1>${heading}</h1>
<p>${t("settings.inheritHelp")}</p>
<form method="post" action="${action}" class="settings">
${csrfField(context)}
<p><label for="warnings">${t("setting.warnings")}</label>
<select id="warnings" name="warnings">${option("", t("inherit"), warnings === undefined)}${option("true", t("on"), warnings === true)}${option("false", t("off"), warnings === false)}</select></p>
${numberField("quotaWarningPercent")}
${numberField("missedBackupsThreshold")}
${numberField("missedDaysThreshold")}
${numberField("failuresThreshold")}
${numberField("quotaFullDays")}
<p><button type="submit">${t("settings.save")}</button></p>
</form>
${target.kind === "account" ? html`<p><a href="/accounts/${encodeURIComponent(target.uid)}">${t("back")}</a></p>` : ""}
${target.kind === "reseller" ? html`<h2>${t("account.audit")}</h2>${auditTable(t, audit, f.dateTime)}` : ""}`,
  );
}

export function pausePage(context: PageContext, uid: string, defaultUntil: string, maxUntil: string): string {
  const t = translator(context.language);
  const path = `/accounts/${encodeURIComponent(uid)}`;
  return layout(
    context,
    t("pause.heading", { uid }),
    html`<h1>${t("pause.heading", { uid })}</h1>
<form method="post" action="${path}/pauses" class="pause">
${csrfField(context)}
<p><label for="until">${t("pause.until")}</label>
<input id="until" name="until" type="date" required value="${defaultUntil}" min="${defaultUntil}" max="${maxUntil}"></p>
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
  values?: Record<string, string>,
): string {
  const t = translator(context.language);
  return layout(
    context,
    String(status),
    html`<h1>${t(key, values)}</h1><p><a href="/accounts">${t("nav.accounts")}</a></p>`,
  );
}

/** The account's own values (not the inherited ones), for the settings form. */
export const ownSettings = (settings: Record<SettingName, EffectiveSetting<boolean | number>>) =>
  Object.fromEntries(
    settingOrder.flatMap((name) =>
      settings[name].source === "account" ? [[name, settings[name].value]] : [],
    ),
  ) as Partial<Record<SettingName, boolean | number>>;

export const stylesheet = `:root{font-family:system-ui,sans-serif;line-height:1.4;color:#1a1a1a;background:#fff}
body{margin:0 auto;max-width:80rem;padding:0 1rem 2rem}
header{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;justify-content:space-between;border-bottom:1px solid #767676;margin-bottom:1rem}
header nav{display:flex;gap:1rem;align-items:center}
header form{display:inline}
.brand{font-weight:bold}
a{color:#0645ad}
a:focus,button:focus,input:focus,select:focus,main:focus{outline:3px solid #1a5fb4;outline-offset:2px}
.skip{position:absolute;left:-999px}
.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem}
table{border-collapse:collapse;width:100%;margin-bottom:1rem}
th,td{border:1px solid #c0c0c0;padding:.25rem .5rem;text-align:left;vertical-align:top}
thead th{background:#f0f0f0}
.problems{margin:0;padding-left:1rem}
.problem,.warn{color:#a40000}
.ok{color:#1d6b1d}
.paused{color:#5c3d00}
.notice{padding:.5rem;border:1px solid}
.notice.error{color:#a40000}
.notice.ok{color:#1d6b1d}
label{display:inline-block;min-width:18rem}
.hint{color:#4a4a4a;margin-left:.5rem}
.pager{display:flex;gap:2rem}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
button{padding:.25rem .75rem}
figure{margin:0 0 .5rem}
svg.chart{display:block;width:100%;max-width:50rem;height:auto}
.axis{display:flex;justify-content:space-between;max-width:50rem;margin:.25rem 0;font-size:.875rem;color:#4a4a4a}
.axis.quota{color:#a40000}
.legend{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;padding:0;margin:0 0 .5rem}
.legend svg{vertical-align:middle}
details{margin-bottom:1rem}
`;
