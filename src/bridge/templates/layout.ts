import type { Language } from "../../config/index.js";
import { escapeHtml } from "./message.js";

/**
 * The HTML part of every mail: one designed, responsive layout that mail clients render alike.
 * Everything that matters is inline (Gmail and Outlook drop or ignore parts of `<style>`); the
 * `<style>` block only adds what inline styles cannot: stacking on narrow screens and dark mode.
 * No remote images, no tracking: the mail shows the same offline as online.
 */

/** A problem's state, shown as a coloured bar: red failing, amber needs attention, green solved. */
export type Tone = "failing" | "warning" | "solved" | "info";

const toneColour: Record<Tone, string> = {
  failing: "#c62828",
  warning: "#b26a00",
  solved: "#2e7d32",
  info: "#5f6b7a",
};

/** One problem (or one account's state in a digest): a heading, facts, and what to do. */
export interface HtmlSection {
  tone: Tone;
  /** Already escaped HTML. */
  heading: string;
  lines: readonly string[];
  /** Numbered steps, already escaped HTML. */
  steps?: readonly string[];
}

/** The problems of one account and the one button that opens the account's page. */
export interface HtmlCard {
  sections: readonly HtmlSection[];
  button?: { href: string; label: string };
}

export interface HtmlMail {
  language: Language;
  /** The subject, as the document title. */
  title: string;
  /** The line mail clients show after the subject in the inbox (plain text). */
  preheader: string;
  /** Already escaped HTML paragraphs: a first line in bold before the greeting, then the greeting. */
  lead?: readonly string[];
  greeting: string;
  intro: readonly string[];
  cards: readonly HtmlCard[];
  /** Anything after the cards: a table, a summary; already HTML. */
  after?: readonly string[];
  footer: readonly string[];
  /** Room for a table of many columns on a wide screen (the reseller digest). */
  wide?: boolean;
}

const font =
  "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,'Helvetica Neue',Arial,'Noto Sans',sans-serif";

const style = `
body{margin:0;padding:0;width:100%;-webkit-text-size-adjust:100%;}
a{color:#1a56b8;}
.sbm-text{overflow-wrap:anywhere;word-break:break-word;}
@media (max-width:700px){
  .sbm-outer{padding:12px 8px!important;}
  .sbm-card{padding:16px!important;}
  .sbm-stack,.sbm-stack tbody,.sbm-stack tr,.sbm-stack td{display:block!important;width:auto!important;}
  .sbm-stack thead{display:none!important;}
  .sbm-stack tr{border-top:1px solid #d9dde3;padding:8px 0;}
  .sbm-stack td{border:0!important;padding:2px 0 2px 10px!important;}
  .sbm-stack td:empty{display:none!important;}
  .sbm-stack td[data-label]::before{content:attr(data-label);font-weight:600;}
}
@media (prefers-color-scheme:dark){
  .sbm-body,.sbm-outer{background:#121417!important;}
  .sbm-card{background:#1e2227!important;color:#e6e8eb!important;}
  .sbm-muted{color:#a7adb5!important;border-color:#3a4048!important;}
  .sbm-section{background:#252a30!important;}
  .sbm-stack th,.sbm-stack td{border-color:#3a4048!important;}
  .sbm-stack tr{border-top-color:#3a4048!important;}
  a{color:#8ab4f8!important;}
  a.sbm-button{background:#8ab4f8!important;color:#0b1a33!important;}
}`;

/** Mail clients show the start of the body in the inbox; this hides the rest of it from that line. */
const preheaderFiller = "&#847;&zwnj;&nbsp;".repeat(40);

export function sectionHtml(s: HtmlSection): string {
  const lines = s.lines.map((l) => `<p style="margin:6px 0 0">${l}</p>`).join("");
  const steps = s.steps?.length
    ? `<ol style="margin:10px 0 0;padding-left:22px">${s.steps.map((step) => `<li style="margin:4px 0">${step}</li>`).join("")}</ol>`
    : "";
  return `<div class="sbm-section" style="border-left:5px solid ${toneColour[s.tone]};background:#f6f7f9;border-radius:4px;padding:12px 14px;margin:0 0 12px"><p style="margin:0;font-size:17px;font-weight:600;line-height:1.35">${s.heading}</p>${lines}${steps}</div>`;
}

function card(c: HtmlCard): string {
  const button = c.button
    ? `<p style="margin:4px 0 20px"><a class="sbm-button" href="${escapeHtml(c.button.href)}" style="display:inline-block;background:#1a56b8;color:#ffffff;text-decoration:none;font-weight:600;padding:12px 22px;border-radius:6px">${c.button.label}</a></p>`
    : "";
  return `${c.sections.map(sectionHtml).join("")}${button}`;
}

export function mailHtml(mail: HtmlMail): string {
  const paragraph = (html: string) => `<p style="margin:0 0 14px">${html}</p>`;
  return [
    "<!DOCTYPE html>",
    `<html lang="${mail.language}" dir="ltr">`,
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark"><meta name="supported-color-schemes" content="light dark">',
    `<title>${escapeHtml(mail.title)}</title><style>${style}</style></head>`,
    `<body class="sbm-body" style="margin:0;padding:0;background:#eef0f3">`,
    `<div style="display:none;max-height:0;overflow:hidden;opacity:0;mso-hide:all">${escapeHtml(mail.preheader)}${preheaderFiller}</div>`,
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse"><tr><td class="sbm-outer" align="center" style="padding:24px 12px;background:#eef0f3">`,
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:${mail.wide ? 760 : 600}px;border-collapse:collapse"><tr><td class="sbm-card sbm-text" style="background:#ffffff;color:#1f2328;border-radius:8px;padding:24px;font-family:${font};font-size:16px;line-height:1.5;text-align:left">`,
    ...(mail.lead ?? []).map((lead) => paragraph(`<strong>${lead}</strong>`)),
    paragraph(mail.greeting),
    ...mail.intro.map(paragraph),
    ...mail.cards.map(card),
    ...(mail.after ?? []),
    `<div class="sbm-muted" style="margin-top:20px;border-top:1px solid #d9dde3;padding-top:12px;color:#5f6b7a;font-size:13px;line-height:1.5">${mail.footer.map((f) => `<p style="margin:0 0 4px">${f}</p>`).join("")}</div>`,
    "</td></tr></table>",
    "</td></tr></table>",
    "</body></html>",
  ].join("\n");
}

/** A table that is a table on a wide screen and one block per row on a phone, each cell with its column's name. */
export function stackingTable(
  columns: readonly string[],
  /** `link`: the page the row's first cell (its name) opens. */
  rows: readonly { cells: readonly string[]; tone?: Tone; link?: string }[],
  language: Language,
): string {
  const colon = language === "fr" ? "\u202f: " : ": ";
  const th = columns
    .map(
      (c) =>
        `<th scope="col" style="text-align:left;padding:6px 8px;border-bottom:2px solid #d9dde3;font-size:13px;overflow-wrap:normal;word-break:normal">${escapeHtml(c)}</th>`,
    )
    .join("");
  const tr = rows
    .map(
      (r) =>
        `<tr${r.tone ? ` style="border-left:4px solid ${toneColour[r.tone]}"` : ""}>${r.cells
          .map(
            (cell, i) =>
              `<td${cell === "" ? "" : ` data-label="${escapeHtml(`${columns[i] ?? ""}${colon}`)}"`} style="padding:6px 8px;border-bottom:1px solid #d9dde3;vertical-align:top;overflow-wrap:normal;word-break:normal${i === 0 ? ";white-space:nowrap" : ""}">${i === 0 && r.link ? `<a href="${escapeHtml(r.link)}">${escapeHtml(cell)}</a>` : escapeHtml(cell)}</td>`,
          )
          .join("")}</tr>`,
    )
    .join("\n");
  return `<table class="sbm-stack" role="table" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;font-size:14px;margin:8px 0 16px"><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table>`;
}
