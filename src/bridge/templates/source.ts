import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { type Language, languages } from "../../config/index.js";
import type { Logger } from "../../log.js";
import { type Catalog, type Catalogs, placeholders, type TemplateKey, templateKeys } from "./catalog.js";
import { de } from "./de.js";
import { en } from "./en.js";
import { fr } from "./fr.js";
import { parseTemplate, placeholdersOf } from "./message.js";
import type { TemplateSource } from "./render.js";

export const builtinCatalogs: Catalogs = { en, de, fr };

const known = new Set<string>(placeholders);
const keys = new Set<string>(templateKeys);

/** Why one override value cannot be used, or undefined when it is fine. */
function overrideProblem(value: unknown): string | undefined {
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list) || list.some((v) => typeof v !== "string"))
    return "expected a string or a list of strings";
  for (const text of list as string[]) {
    const parsed = parseTemplate(text);
    if (!parsed.ok) return parsed.error;
    const unknown = placeholdersOf(parsed.value).find((name) => !known.has(name));
    if (unknown !== undefined) return `unknown placeholder {{${unknown}}}`;
  }
  return undefined;
}

/** Why (part of) a template override file cannot be used. */
export interface OverrideProblem {
  file: string;
  /** The template key, when one key is concerned. */
  key?: string;
  problem: string;
}

/**
 * Read `<dir>/<language>.yaml` (a map of template key → string or list of strings). Anything
 * unusable is skipped and listed in `problems`, so a broken override means the built-in template,
 * never a lost mail.
 */
function loadOverrides(dir: string): {
  overrides: Partial<Record<Language, Partial<Catalog>>>;
  problems: OverrideProblem[];
} {
  const overrides: Partial<Record<Language, Partial<Catalog>>> = {};
  const problems: OverrideProblem[] = [];
  for (const language of languages) {
    const file = path.join(dir, `${language}.yaml`);
    let document: unknown;
    try {
      document = parse(readFileSync(file, "utf8"));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") problems.push({ file, problem: String(error) });
      continue;
    }
    if (document === null || document === undefined) continue;
    if (typeof document !== "object" || Array.isArray(document)) {
      problems.push({ file, problem: "expected a map of template keys" });
      continue;
    }
    const catalog: Partial<Catalog> = {};
    for (const [key, value] of Object.entries(document)) {
      const problem = keys.has(key) ? overrideProblem(value) : "unknown template key";
      if (problem) {
        problems.push({ file, key, problem });
        continue;
      }
      catalog[key as TemplateKey] = typeof value === "string" ? [value] : (value as string[]);
    }
    overrides[language] = catalog;
  }
  return { overrides, problems };
}

/** Template overrides that cannot all be used, where that must stop a reload. */
export class TemplateOverrideError extends Error {
  constructor(readonly problems: readonly OverrideProblem[]) {
    super(
      `template overrides not usable: ${problems
        .map(({ file, key, problem }) => `${path.basename(file)}${key ? ` ${key}` : ""}: ${problem}`)
        .join("; ")}`,
    );
  }
}

/**
 * The templates with the overrides of `overrideDir`. An override with a problem is logged and the
 * built-in template used for its key; with `refuseProblems` (a reload, where the running overrides
 * are better than the built-in texts) it throws TemplateOverrideError instead.
 */
export function templateSource(
  overrideDir: string | undefined,
  logger: Logger,
  refuseProblems = false,
): TemplateSource {
  const { overrides, problems } = overrideDir ? loadOverrides(overrideDir) : { overrides: {}, problems: [] };
  if (refuseProblems && problems.length > 0) throw new TemplateOverrideError(problems);
  for (const { file, key, problem } of problems)
    logger.warn(
      { file, ...(key ? { key } : {}), problem },
      key
        ? "template override ignored: using the built-in template"
        : "template override file ignored: using built-in templates",
    );
  return {
    override: (language, key) => overrides[language]?.[key],
    builtin: (language, key) => builtinCatalogs[language][key],
    fellBack: (language, key, reason) =>
      logger.warn(
        { language, key, reason },
        "template override not usable for this mail: built-in template used",
      ),
  };
}
