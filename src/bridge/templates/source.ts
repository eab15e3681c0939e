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

/**
 * Read `<dir>/<language>.yaml` (a map of template key → string or list of strings). Anything
 * unusable is logged and skipped, so a broken override means the built-in template, never a lost mail.
 */
export function loadOverrides(dir: string, logger: Logger): Partial<Record<Language, Partial<Catalog>>> {
  const overrides: Partial<Record<Language, Partial<Catalog>>> = {};
  for (const language of languages) {
    const file = path.join(dir, `${language}.yaml`);
    let document: unknown;
    try {
      document = parse(readFileSync(file, "utf8"));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT")
        logger.warn({ file, err: String(error) }, "template override file ignored: using built-in templates");
      continue;
    }
    if (document === null || document === undefined) continue;
    if (typeof document !== "object" || Array.isArray(document)) {
      logger.warn({ file }, "template override file ignored: expected a map of template keys");
      continue;
    }
    const catalog: Partial<Catalog> = {};
    for (const [key, value] of Object.entries(document)) {
      const problem = keys.has(key) ? overrideProblem(value) : "unknown template key";
      if (problem) {
        logger.warn({ file, key, problem }, "template override ignored: using the built-in template");
        continue;
      }
      catalog[key as TemplateKey] = typeof value === "string" ? [value] : (value as string[]);
    }
    overrides[language] = catalog;
  }
  return overrides;
}

export function templateSource(overrideDir: string | undefined, logger: Logger): TemplateSource {
  const overrides = overrideDir ? loadOverrides(overrideDir, logger) : {};
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
