import { readFileSync } from "node:fs";
import path from "node:path";
import { parse, stringify } from "yaml";
import { type Config, parseConfig } from "../../src/config/index.js";
import { repoRoot } from "./processes.js";

type Raw = Record<string, unknown>;

const isObject = (value: unknown): value is Raw =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const merge = (base: Raw, patch: Raw): Raw => {
  const out: Raw = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    out[key] = isObject(current) && isObject(value) ? merge(current, value) : value;
  }
  return out;
};

/**
 * examples/config.yaml with `patch` merged in, validated like the real file; relative paths still
 * resolve against examples/ (so the example directory and backup tree are used unless patched).
 */
export function exampleConfig(patch: Raw): Config {
  const file = path.join(repoRoot, "examples/config.yaml");
  const raw = merge((parse(readFileSync(file, "utf8")) as Raw) ?? {}, patch);
  return parseConfig(stringify(raw), `${file} (test copy)`, path.dirname(file), {});
}

/** The bridge of a loopback test: any free port, `token` from Alertmanager, its outbox and mails in `dir`, no coalescing. */
export const loopbackBridge = (
  dir: string,
  token: string,
  smtp: { url?: string; operators?: string[] } = {},
): Raw => ({
  listen: { host: "127.0.0.1", port: 0 },
  auth: { bearerToken: token },
  outbox: path.join(dir, "outbox.sqlite"),
  coalesceSeconds: 0,
  smtp: { url: smtp.url ?? `file:${path.join(dir, "mail")}` },
  operators: smtp.operators ?? ["ops@example.org"],
});
