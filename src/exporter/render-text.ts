import { type Family, families } from "./families.js";
import type { AccountSample } from "./sample.js";

const needsEscape = /[\\"\n]/;
const escapable = /[\\"\n]/g;

/** Escape a label value per the text exposition format: backslash, double quote and line feed. */
const escapeLabelValue = (value: string): string =>
  needsEscape.test(value) ? value.replace(escapable, (c) => (c === "\n" ? "\\n" : `\\${c}`)) : value;

/** Go's ParseFloat spellings for the values JavaScript prints differently. */
const formatValue = (value: number): string => {
  if (Number.isFinite(value)) return String(value);
  if (Number.isNaN(value)) return "NaN";
  return value > 0 ? "+Inf" : "-Inf";
};

const extraLabels = (family: Family, values: readonly string[]): string => {
  let text = "";
  for (let i = 0; i < family.extraLabels.length; i++)
    text += `,${family.extraLabels[i]}="${escapeLabelValue(values[i] ?? "")}"`;
  return text;
};

/**
 * Render the per-account metric families in the text format, family by family, as chunks of about
 * `chunkChars` characters, so a caller can compress while rendering and never hold the whole body.
 * `collectedAt` is when the collection started (ages are counted to it).
 */
export function* renderText(
  samples: readonly AccountSample[],
  collectedAt: Date,
  chunkChars = 256 * 1024,
  rendered: readonly Family[] = families,
): Generator<string> {
  // Built when first rendered, not all before the first chunk: at 100,000 accounts that took 130 ms in
  // one piece, and scrapes waited for it; this way the work falls between the chunks.
  const accountLabels: string[] = new Array(samples.length);
  const hostLabels: string[][] = new Array(samples.length);
  const accountLabel = (i: number, account: AccountSample): string =>
    (accountLabels[i] ??= `account="${escapeLabelValue(account.uid)}"`);
  const hostLabelsOf = (i: number, account: AccountSample): string[] =>
    (hostLabels[i] ??= account.hosts.map(
      (h) => `${accountLabel(i, account)},host="${escapeLabelValue(h.host)}"`,
    ));
  const collectedSeconds = collectedAt.getTime() / 1000;
  let out = "";
  for (const family of rendered) {
    const { name } = family;
    out += `# HELP ${name} ${family.help}\n# TYPE ${name} gauge\n`;
    for (let i = 0; i < samples.length; i++) {
      const account = samples[i] as AccountSample;
      if (family.scope === "account") {
        const value = family.value(account);
        if (value === undefined) continue;
        const extra = family.labels ? extraLabels(family, family.labels(account)) : "";
        out += `${name}{${accountLabel(i, account)}${extra}} ${formatValue(value)}\n`;
      } else {
        const labels = hostLabelsOf(i, account);
        for (let j = 0; j < account.hosts.length; j++) {
          const host = account.hosts[j] as (typeof account.hosts)[number];
          const value = family.value(host, collectedSeconds);
          if (value === undefined) continue;
          const extra = family.labels ? extraLabels(family, family.labels(host)) : "";
          out += `${name}{${labels[j]}${extra}} ${formatValue(value)}\n`;
        }
      }
      if (out.length >= chunkChars) {
        yield out;
        out = "";
      }
    }
  }
  if (out.length > 0) yield out;
}
