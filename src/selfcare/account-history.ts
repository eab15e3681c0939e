import type { AccountStatus, HostStatus } from "../exporter/index.js";
import { dayOf, type JournalRun } from "../journal/index.js";
import {
  type DayState,
  forecastFull,
  hostTimeline,
  scheduleFromLabels,
  type TimelineDay,
} from "../journal/trend.js";
import { axisLabels, daySwatch, durationSvg, timelineSvg, usageSvg } from "./charts.js";
import type { MessageKey, Translate } from "./i18n.js";
import { type Html, html } from "./markup.js";
import { type AccountJournal, HISTORY_DAYS } from "./portal.js";
import type { Formats } from "./time.js";

/** Recent runs in the duration chart. */
const RECENT_RUNS = 30;
const STATES: readonly DayState[] = ["succeeded", "failed", "missed", "running", "unknown", "idle"];

/** Seconds as "1 h 20 min", "4 min 10 s" or "40 s". */
export function durationText(t: Translate, seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return t("duration.hm", { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
  if (s < 60) return t("duration.s", { s });
  return t("duration.ms", { m: Math.floor(s / 60), s: s % 60 });
}

/** Bytes in the binary unit that suits them: the mails and digests state quotas in GiB too. */
export function bytesText(f: Formats, bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${f.number(value)} ${units[unit]}`;
}

const table = (t: Translate, head: readonly MessageKey[], rows: readonly (readonly (string | Html)[])[]) =>
  html`<details><summary>${t("history.table")}</summary><table><thead><tr>${head.map((h) => html`<th scope="col">${t(h)}</th>`)}</tr></thead>
<tbody>${rows.map((cells) => html`<tr>${cells.map((c) => html`<td>${c}</td>`)}</tr>`)}</tbody></table></details>`;

function legend(t: Translate): Html {
  return html`<ul class="legend" aria-label="${t("history.legend")}">${STATES.map(
    (state) => html`<li>${daySwatch(state)} ${t(`day.${state}` as MessageKey)}</li>`,
  )}</ul>`;
}

function hostSection(
  t: Translate,
  f: Formats,
  host: HostStatus,
  runs: JournalRun[],
  seen: Set<number>,
  nowMs: number,
  index: number,
) {
  const schedule = host.schedule ? scheduleFromLabels(host.schedule) : undefined;
  const days: TimelineDay[] = hostTimeline({
    runs,
    schedule,
    seenDays: seen,
    running: host.running,
    nowMs,
    days: HISTORY_DAYS,
  });
  const count = (state: DayState) => days.filter((d) => d.state === state).length;
  const timeline = timelineSvg({
    id: `timeline-${index}`,
    days,
    title: t("history.timeline", { host: host.host, days: HISTORY_DAYS }),
    description: t("history.summary", {
      succeeded: count("succeeded"),
      failed: count("failed"),
      missed: count("missed"),
      unknown: count("unknown"),
    }),
  });
  const timed = runs
    .filter((r): r is JournalRun & { startedMs: number } => r.startedMs !== undefined)
    .slice(-RECENT_RUNS);
  const seconds = timed.map((r) => ({ seconds: (r.endedMs - r.startedMs) / 1000, success: r.success }));
  const longest = Math.max(0, ...seconds.map((r) => r.seconds));
  const last = seconds.at(-1);
  const durations = last
    ? html`${durationSvg({
        id: `durations-${index}`,
        runs: seconds,
        title: t("durations.title", { host: host.host, count: seconds.length }),
        description: t("durations.summary", {
          longest: durationText(t, longest),
          last: durationText(t, last.seconds),
        }),
      })}
<p class="axis" aria-hidden="true"><span>${t("durations.longest", { duration: durationText(t, longest) })}</span></p>
${table(
  t,
  ["col.started", "col.ended", "col.duration", "col.result"],
  [...timed]
    .reverse()
    .map((r) => [
      f.dateTime(r.startedMs),
      f.dateTime(r.endedMs),
      durationText(t, (r.endedMs - r.startedMs) / 1000),
      t(r.success ? "day.succeeded" : "day.failed"),
    ]),
)}`
    : html`<p>${t("durations.none")}</p>`;
  return html`<section class="host-history" aria-labelledby="host-history-${index}">
<h3 id="host-history-${index}">${host.host}</h3>
${schedule ? "" : html`<p>${t("history.noSchedule")}</p>`}
<figure>${timeline}${axisLabels(f.day(days[0]?.day ?? 0), f.day(days.at(-1)?.day ?? 0))}</figure>
${legend(t)}
${table(
  t,
  ["col.day", "col.result"],
  [...days].reverse().map((d) => [f.day(d.day), t(`day.${d.state}` as MessageKey)]),
)}
<figure>${durations}</figure>
</section>`;
}

function usageSection(
  t: Translate,
  f: Formats,
  status: AccountStatus | undefined,
  journal: AccountJournal,
): Html {
  const points = journal.usage.filter(
    (u): u is typeof u & { usedBytes: number } => u.usedBytes !== undefined,
  );
  if (points.length === 0) return html`<p>${t("usage.noData")}</p>`;
  const quotaBytes =
    status?.quota.quotaBytes ?? journal.usage.findLast((u) => u.quotaBytes !== undefined)?.quotaBytes;
  const forecast = forecastFull(points, quotaBytes, journal.nowMs);
  const today = dayOf(journal.nowMs);
  const last = points.at(-1) as (typeof points)[number];
  const summary =
    quotaBytes !== undefined
      ? t("usage.summary", { used: bytesText(f, last.usedBytes), quota: bytesText(f, quotaBytes) })
      : t("usage.summaryNoQuota", { used: bytesText(f, last.usedBytes) });
  const outlook = !forecast
    ? t("usage.noForecast")
    : forecast.fullAtMs <= journal.nowMs
      ? t("usage.full")
      : t("usage.forecast", { date: f.longDate(forecast.fullAtMs) });
  const firstDay = today - HISTORY_DAYS + 1;
  const chart = usageSvg({
    id: "usage",
    points,
    firstDay,
    today,
    ...(quotaBytes !== undefined ? { quotaBytes } : {}),
    ...(forecast ? { forecast } : {}),
    title: t("usage.title", { days: HISTORY_DAYS }),
    description: `${summary} ${quotaBytes !== undefined ? outlook : ""}`.trim(),
  });
  return html`<p>${summary}</p>
${quotaBytes !== undefined ? html`<p class="forecast">${outlook}</p>` : ""}
<figure>${quotaBytes !== undefined ? html`<p class="axis quota" aria-hidden="true"><span>${t("usage.quota", { quota: bytesText(f, quotaBytes) })}</span></p>` : ""}${chart.svg}${axisLabels(f.day(firstDay), f.day(chart.lastDay))}</figure>
${table(
  t,
  ["col.day", "col.used", "col.quotaSize"],
  [...journal.usage]
    .reverse()
    .map((u) => [
      f.day(u.day),
      u.usedBytes !== undefined ? bytesText(f, u.usedBytes) : "–",
      u.quotaBytes !== undefined ? bytesText(f, u.quotaBytes) : "–",
    ]),
)}`;
}

/** The account page's history: per computer its days and run durations, then the storage trend. */
export function accountHistory(
  t: Translate,
  f: Formats,
  status: AccountStatus | undefined,
  journal: AccountJournal,
): Html {
  if (journal.unavailableServers.length > 0)
    return html`<h2>${t("history.heading", { days: HISTORY_DAYS })}</h2>
<p class="stale" id="journal-unavailable">${t("history.unavailable", { servers: journal.unavailableServers.join(", ") })}</p>`;
  const seen = new Set(journal.usage.map((u) => u.day));
  const hosts = status?.hosts ?? [];
  return html`<h2>${t("history.heading", { days: HISTORY_DAYS })}</h2>
${hosts.map((host, i) =>
  hostSection(
    t,
    f,
    host,
    journal.runs.filter((r) => r.host === host.host),
    seen,
    journal.nowMs,
    i,
  ),
)}
<h2>${t("usage.heading")}</h2>
${usageSection(t, f, status, journal)}`;
}
