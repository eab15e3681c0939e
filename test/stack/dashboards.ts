import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "./processes.js";

export interface Target {
  expr: string;
  instant?: boolean;
  datasource?: { uid?: string };
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos?: { h: number; w: number; x: number; y: number };
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  panels?: Panel[];
}

export interface Variable {
  name: string;
  type: string;
  query?: { query?: string } | string;
  datasource?: { uid?: string };
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
  regex?: string;
}

export interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating?: { list: Variable[] };
}

export const dashboardsDir = path.join(repoRoot, "grafana/dashboards");

export const loadDashboards = (): { file: string; dashboard: Dashboard }[] =>
  readdirSync(dashboardsDir)
    .filter((f) => f.endsWith(".json"))
    .map((file) => ({ file, dashboard: JSON.parse(readFileSync(path.join(dashboardsDir, file), "utf8")) }));

export const allPanels = (panels: Panel[]): Panel[] =>
  panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);

export const variableQuery = (v: Variable): string =>
  (typeof v.query === "string" ? v.query : v.query?.query) ?? "";

/** Replace template variables the way Grafana does for a single chosen value (or All as a regex). */
export const substitute = (expr: string, values: Record<string, string>): string =>
  expr.replace(/\$(\w+)|\$\{(\w+)\}/g, (whole, a: string | undefined, b: string | undefined) => {
    const name = a ?? b ?? "";
    const value = values[name];
    if (value === undefined) throw new Error(`no value for template variable ${whole} in ${expr}`);
    return value;
  });

/**
 * The options Grafana offers for a query variable from the label values it got, as its variable
 * editor does (public/app/features/variables/query): the variable's regex (`/…/flags`) extracts its
 * first group from each value, every match when the regex is global; duplicates collapse.
 */
export function variableOptions(values: string[], variableRegex: string | undefined): string[] {
  const literal = /^\/(.*)\/([a-z]*)$/.exec(variableRegex ?? "");
  if (!literal) return [...new Set(values)];
  const [, source = "", flags = ""] = literal;
  const options: string[] = [];
  for (const value of values) {
    const regex = new RegExp(source, flags);
    const matches = regex.global ? [...value.matchAll(regex)] : [regex.exec(value)].filter((m) => m !== null);
    for (const match of matches) options.push(match[1] ?? match[0]);
  }
  return [...new Set(options)];
}

/** A chosen value as Grafana writes it into a Prometheus regex matcher: escaped, several as (a|b). */
export const regexValue = (...values: string[]): string => {
  const escaped = values.map((v) => v.replace(/[\\^$*+?.()|[\]{}]/g, "\\\\$&"));
  return escaped.length === 1 ? (escaped[0] ?? "") : `(${escaped.join("|")})`;
};
