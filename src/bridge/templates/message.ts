import type { Result } from "../../backup/result.js";
import type { Language } from "../../config/index.js";
import { pluralCategory } from "./format.js";

/**
 * One template string, parsed: literal text, `{{value}}`, and `{{count, plural, one {# day} other {# days}}}`
 * (the plural form of ICU MessageFormat inside our double braces: `=N` for an exact number, the CLDR
 * categories zero, one, two, few, many, other, and `#` for the number). Every count in a mail goes through
 * a plural block, so "1 days" cannot happen in any language.
 */
export type Segment =
  | { kind: "text"; text: string }
  | { kind: "value"; name: string }
  | { kind: "plural"; name: string; cases: ReadonlyMap<string, string> };

const valueAt = /\{\{\s*([A-Za-z]+)\s*\}\}/y;
const pluralAt = /\{\{\s*([A-Za-z]+)\s*,\s*plural\s*,/y;
const caseAt = /\s*(=\d+|zero|one|two|few|many|other)\s*\{([^{}]*)\}/y;
const endAt = /\s*\}\}/y;

const matchAt = (pattern: RegExp, text: string, index: number): RegExpExecArray | null => {
  pattern.lastIndex = index;
  return pattern.exec(text);
};

const snippet = (text: string, index: number): string => JSON.stringify(text.slice(index, index + 30));

export function parseTemplate(template: string): Result<Segment[]> {
  const segments: Segment[] = [];
  let index = 0;
  const literal = (end: number) => {
    const text = template.slice(index, end);
    if (text !== "") segments.push({ kind: "text", text });
  };
  while (index < template.length) {
    const open = template.indexOf("{{", index);
    const stray = template.indexOf("}}", index);
    if (stray >= 0 && (open < 0 || stray < open))
      return { ok: false, error: `unbalanced braces at ${snippet(template, stray)}` };
    if (open < 0) break;
    literal(open);
    const value = matchAt(valueAt, template, open);
    if (value) {
      segments.push({ kind: "value", name: value[1] ?? "" });
      index = open + value[0].length;
      continue;
    }
    const plural = matchAt(pluralAt, template, open);
    if (!plural)
      return { ok: false, error: `expected {{name}} or a plural block at ${snippet(template, open)}` };
    const cases = new Map<string, string>();
    let at = open + plural[0].length;
    for (let c = matchAt(caseAt, template, at); c; c = matchAt(caseAt, template, at)) {
      cases.set(c[1] ?? "", c[2] ?? "");
      at += c[0].length;
    }
    const end = matchAt(endAt, template, at);
    if (!end) return { ok: false, error: `malformed plural block at ${snippet(template, at)}` };
    if (!cases.has("other"))
      return { ok: false, error: `the plural block of {{${plural[1]}}} needs an "other" case` };
    segments.push({ kind: "plural", name: plural[1] ?? "", cases });
    index = at + end[0].length;
  }
  literal(template.length);
  return { ok: true, value: segments };
}

/** The placeholders a parsed template uses. */
export const placeholdersOf = (segments: readonly Segment[]): string[] =>
  segments.flatMap((s) => (s.kind === "text" ? [] : [s.name]));

const parsed = new Map<string, Segment[] | undefined>();

/** Parse once per distinct template: a burst renders the same few hundred strings thousands of times. */
export function cachedTemplate(template: string): Segment[] | undefined {
  if (!parsed.has(template)) {
    const result = parseTemplate(template);
    parsed.set(template, result.ok ? result.value : undefined);
  }
  return parsed.get(template);
}

export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Fill one template string; undefined when a value it needs is missing. */
export function fill(
  template: string,
  values: Readonly<Record<string, string | undefined>>,
  html: boolean,
  language: Language,
): string | undefined {
  const segments = cachedTemplate(template);
  if (!segments) return undefined;
  const text = (literal: string) => (html ? escapeHtml(literal) : literal);
  let out = "";
  for (const segment of segments) {
    if (segment.kind === "text") {
      out += text(segment.text);
      continue;
    }
    const value = values[segment.name];
    if (value === undefined) return undefined;
    if (segment.kind === "plural") {
      const count = Number(value);
      const form = Number.isFinite(count)
        ? (segment.cases.get(`=${count}`) ?? segment.cases.get(pluralCategory(count, language)))
        : undefined;
      out += text((form ?? segment.cases.get("other") ?? "").replaceAll("#", value));
    } else if (html && segment.name.endsWith("Url")) {
      out += `<a href="${escapeHtml(value)}">${escapeHtml(value)}</a>`;
    } else {
      out += text(value);
    }
  }
  return out;
}
