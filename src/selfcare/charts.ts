import type { DayState, Forecast, TimelineDay } from "../journal/trend.js";
import { type Html, html } from "./markup.js";

/**
 * Server-rendered SVG charts: no script, no inline style (the CSP forbids it), presentation attributes
 * only. Each chart is an image with its title and a description in words (`role="img"`, `<title>`,
 * `<desc>`); the pages put a table of the same numbers beside it. Widths are in viewBox units and the
 * chart scales to its container, so it fits a phone as well as a desktop. Labels are the page's text
 * beside the chart (`axisLabels`), not SVG text, which would scale with the chart.
 */

const WIDTH = 900;
const AXIS = "#767676";

/** The image wrapper every chart shares: accessible name from `<title>`, description from `<desc>`. */
function figure(id: string, height: number, title: string, description: string, body: Html): Html {
  return html`<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 ${WIDTH} ${height}" width="100%" aria-labelledby="${id}-title ${id}-desc">
<title id="${id}-title">${title}</title><desc id="${id}-desc">${description}</desc>${body}</svg>`;
}

/** How each day looks: colour and shape both differ, so the states are told apart without colour. */
const DAY_SHAPE: Record<DayState, { fill: string; stroke?: string; top: number; bottom: number }> = {
  succeeded: { fill: "#1d6b1d", top: 0, bottom: 1 },
  failed: { fill: "#a40000", top: 0, bottom: 1 },
  missed: { fill: "#ffffff", stroke: "#b35900", top: 0, bottom: 1 },
  running: { fill: "#1a5fb4", top: 0.5, bottom: 1 },
  unknown: { fill: "#c0c0c0", top: 0.8, bottom: 1 },
  idle: { fill: "#767676", top: 0.95, bottom: 1 },
};

/** One day's mark at x (for the legend too): failed carries a white bar across, missed is hollow. */
function dayMark(state: DayState, x: number, y: number, width: number, height: number): Html {
  const shape = DAY_SHAPE[state];
  const top = y + shape.top * height;
  const mark = html`<rect x="${x}" y="${top}" width="${width}" height="${(shape.bottom - shape.top) * height}" fill="${shape.fill}"${
    shape.stroke ? html` stroke="${shape.stroke}" stroke-width="2"` : ""
  }/>`;
  if (state !== "failed") return mark;
  return html`${mark}<rect x="${x}" y="${y + height * 0.45}" width="${width}" height="${height * 0.1}" fill="#ffffff"/>`;
}

/** A small swatch for the legend beside the chart, hidden from screen readers (the chart says it all). */
export const daySwatch = (state: DayState): Html =>
  html`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 12 20" width="12" height="20" aria-hidden="true" focusable="false">${dayMark(state, 1, 1, 10, 18)}</svg>`;

/** A computer's days, oldest left. */
export function timelineSvg(input: {
  id: string;
  days: readonly TimelineDay[];
  title: string;
  description: string;
}): Html {
  const { days } = input;
  const step = WIDTH / Math.max(days.length, 1);
  const barHeight = 60;
  const marks = days.map((d, i) => dayMark(d.state, i * step + step * 0.1, 4, step * 0.8, barHeight));
  const axis = html`<line x1="0" y1="${barHeight + 8}" x2="${WIDTH}" y2="${barHeight + 8}" stroke="${AXIS}" stroke-width="2"/>`;
  return figure(input.id, barHeight + 10, input.title, input.description, html`${marks}${axis}`);
}

/** The first and last label under a chart, as page text (readers get them from the chart's description). */
export const axisLabels = (first: string, last: string): Html =>
  html`<p class="axis" aria-hidden="true"><span>${first}</span><span>${last}</span></p>`;

/** Durations of recent runs as bars, oldest left, the longest reaching the dashed line at the top. */
export function durationSvg(input: {
  id: string;
  runs: readonly { seconds: number; success: boolean }[];
  title: string;
  description: string;
}): Html {
  const height = 160;
  const top = 4;
  const longest = Math.max(1, ...input.runs.map((r) => r.seconds));
  const step = WIDTH / Math.max(input.runs.length, 10);
  const bars = input.runs.map((run, i) => {
    const h = Math.max(2, ((height - top - 4) * run.seconds) / longest);
    return html`<rect x="${i * step + step * 0.15}" y="${height - 4 - h}" width="${step * 0.7}" height="${h}" fill="${run.success ? "#1a5fb4" : "#a40000"}"${
      run.success ? "" : html` stroke="#1a1a1a" stroke-width="2" stroke-dasharray="6 4"`
    }/>`;
  });
  const body = html`<line x1="0" y1="${top}" x2="${WIDTH}" y2="${top}" stroke="${AXIS}" stroke-width="1" stroke-dasharray="4 4"/>
${bars}<line x1="0" y1="${height - 4}" x2="${WIDTH}" y2="${height - 4}" stroke="${AXIS}" stroke-width="2"/>`;
  return figure(input.id, height, input.title, input.description, body);
}

/**
 * Used bytes per day, the quota as a dashed line, and the trend line to the day the quota is reached
 * when that day falls within as many days ahead as the chart shows behind (`lastDay`: where it ends).
 */
export function usageSvg(input: {
  id: string;
  points: readonly { day: number; usedBytes: number }[];
  firstDay: number;
  today: number;
  quotaBytes?: number;
  forecast?: Forecast;
  title: string;
  description: string;
}): { svg: Html; lastDay: number } {
  const height = 200;
  const plotTop = 6;
  const plotBottom = 196;
  const fullDay = input.forecast ? input.forecast.fullAtMs / 86_400_000 : undefined;
  const span = input.today - input.firstDay;
  const lastDay =
    fullDay !== undefined && fullDay - input.today <= span ? Math.max(fullDay, input.today) : input.today;
  const top = Math.max(input.quotaBytes ?? 0, ...input.points.map((p) => p.usedBytes), 1) * 1.05;
  const x = (day: number) => ((day - input.firstDay) / Math.max(lastDay - input.firstDay, 1)) * WIDTH;
  const y = (bytes: number) => plotBottom - ((plotBottom - plotTop) * bytes) / top;
  const line = input.points.map((p) => `${x(p.day).toFixed(1)},${y(p.usedBytes).toFixed(1)}`).join(" ");
  const quota =
    input.quotaBytes !== undefined
      ? html`<line x1="0" y1="${y(input.quotaBytes)}" x2="${WIDTH}" y2="${y(input.quotaBytes)}" stroke="#a40000" stroke-width="3" stroke-dasharray="12 6"/>`
      : "";
  const lastPoint = input.points.at(-1);
  const trend =
    input.forecast &&
    input.quotaBytes !== undefined &&
    lastPoint &&
    fullDay !== undefined &&
    fullDay <= lastDay
      ? html`<line x1="${x(lastPoint.day)}" y1="${y(lastPoint.usedBytes)}" x2="${x(fullDay)}" y2="${y(input.quotaBytes)}" stroke="#b35900" stroke-width="3" stroke-dasharray="4 6"/>
<circle cx="${x(fullDay)}" cy="${y(input.quotaBytes)}" r="7" fill="#b35900"/>`
      : "";
  const body = html`${quota}
<polyline points="${line}" fill="none" stroke="#1a5fb4" stroke-width="4"/>
${input.points.length === 1 && lastPoint ? html`<circle cx="${x(lastPoint.day)}" cy="${y(lastPoint.usedBytes)}" r="6" fill="#1a5fb4"/>` : ""}
${trend}
<line x1="0" y1="${plotBottom}" x2="${WIDTH}" y2="${plotBottom}" stroke="${AXIS}" stroke-width="2"/>`;
  return {
    svg: figure(input.id, height, input.title, input.description, body),
    lastDay: Math.floor(lastDay),
  };
}
