import { type Family, families } from "./families.js";
import type { AccountSample } from "./sample.js";

const needsEscape = /[\\"\n]/;
const escapable = /[\\"\n]/g;

/** Escape a label value per the text exposition format: backslash, double quote and line feed. */
export const escapeLabelValue = (value: string): string =>
  needsEscape.test(value) ? value.replace(escapable, (c) => (c === "\n" ? "\\n" : `\\${c}`)) : value;

/** Go's ParseFloat spellings for the values JavaScript prints differently. */
export const formatValue = (value: number): string => {
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

/** The HELP and TYPE lines that open each family, in the order of `families`. */
export const familyHeads = (): string[] =>
  families.map(({ name, help }) => `# HELP ${name} ${help}\n# TYPE ${name} gauge\n`);

/**
 * One account's lines in the text format, one string per family (in the order of `families`, empty
 * where the account has no series), so the families can be written as contiguous blocks while the
 * accounts arrive one by one.
 */
export function accountLines(account: AccountSample): string[] {
  const accountLabel = `account="${escapeLabelValue(account.uid)}"`;
  const hostLabels = account.hosts.map((h) => `${accountLabel},host="${escapeLabelValue(h.host)}"`);
  return families.map((family) => {
    const { name } = family;
    if (family.scope === "account") {
      const value = family.value(account);
      if (value === undefined) return "";
      const extra = family.labels ? extraLabels(family, family.labels(account)) : "";
      return `${name}{${accountLabel}${extra}} ${formatValue(value)}\n`;
    }
    let lines = "";
    for (let j = 0; j < account.hosts.length; j++) {
      const host = account.hosts[j] as (typeof account.hosts)[number];
      const value = family.value(host);
      if (value === undefined) continue;
      const extra = family.labels ? extraLabels(family, family.labels(host)) : "";
      lines += `${name}{${hostLabels[j]}${extra}} ${formatValue(value)}\n`;
    }
    return lines;
  });
}
