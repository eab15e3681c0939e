import { z } from "zod";
import { defaultConfigPaths, secretEnvironment } from "./load.js";
import { configSchema } from "./schema.js";

/** The part of JSON Schema that z.toJSONSchema writes for the configuration. */
interface JsonSchema {
  type?: string;
  description?: string;
  default?: unknown;
  const?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  minLength?: number;
  [key: string]: unknown;
}

/** The JSON Schema of the configuration file, for editors' completion and validation of the YAML. */
export function configJsonSchema(): JsonSchema {
  const schema = z.toJSONSchema(configSchema, { io: "input" }) as JsonSchema;
  return {
    $schema: schema.$schema,
    title: "stoney-backup-monitor configuration",
    description: "Generated from the zod schema in src/config by `npm run docs`.",
    ...schema,
  };
}

/** Every key of the file, with the path to it, for the reference and its completeness check. */
export interface ConfigKey {
  path: string;
  schema: JsonSchema;
  required: boolean;
}

const variantsOf = (schema: JsonSchema): JsonSchema[] | undefined => schema.oneOf ?? schema.anyOf;

/** Keys in schema order; the keys of a union's variants are listed under the union, not here. */
export function configKeys(schema: JsonSchema, prefix = ""): ConfigKey[] {
  return Object.entries(schema.properties ?? {}).flatMap(([name, child]) => {
    const path = prefix ? `${prefix}.${name}` : name;
    const key = { path, schema: child, required: schema.required?.includes(name) ?? false };
    const items =
      child.type === "array" && child.items?.properties ? configKeys(child.items, `${path}[]`) : [];
    return [key, ...(child.properties ? configKeys(child, path) : []), ...items];
  });
}

/** Every key, also those inside each variant of a union (for the check that each has a description). */
export function allConfigKeys(schema: JsonSchema, prefix = ""): ConfigKey[] {
  return configKeys(schema, prefix).flatMap((key) => [
    key,
    ...(variantsOf(key.schema) ?? []).flatMap((variant) => allConfigKeys(variant, key.path)),
  ]);
}

const SAFE_INTEGER = Number.MAX_SAFE_INTEGER;

function typeOf(schema: JsonSchema): string {
  const variants = variantsOf(schema);
  if (variants) return "one of the forms below";
  if (schema.const !== undefined) return `\`${String(schema.const)}\``;
  if (schema.enum) return schema.enum.map((value) => `\`${String(value)}\``).join(", ");
  switch (schema.type) {
    case "integer": {
      const low = schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : schema.minimum;
      const high = schema.maximum !== undefined && schema.maximum < SAFE_INTEGER ? schema.maximum : undefined;
      if (low !== undefined && high !== undefined) return `integer ${low}–${high}`;
      return low !== undefined ? `integer ≥ ${low}` : "integer";
    }
    case "number": {
      if (schema.exclusiveMinimum !== undefined) return `number > ${schema.exclusiveMinimum}`;
      return schema.minimum !== undefined ? `number ≥ ${schema.minimum}` : "number";
    }
    case "array":
      return `list of ${schema.items ? plural(typeOf(schema.items)) : "values"}`;
    case "object":
      if (!schema.properties && typeof schema.additionalProperties === "object")
        return `map of ${plural(typeOf(schema.additionalProperties))}`;
      return "object";
    default:
      return schema.type ?? "any";
  }
}

const plural = (type: string) => (/^[a-z]+$/.test(type) ? `${type}s` : type);

/** A default as it would be written in the YAML file. */
function yamlValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(yamlValue).join(", ")}]`;
  if (value !== null && typeof value === "object" && Object.keys(value).length === 0) return "{}";
  if (value !== null && typeof value === "object")
    return `{ ${Object.entries(value)
      .map(([key, item]) => `${key}: ${yamlValue(item)}`)
      .join(", ")} }`;
  return String(value);
}

function defaultOf(key: ConfigKey): string {
  const value = key.schema.default;
  if (value === undefined) return key.required ? "(required)" : "–";
  // An object whose keys all have defaults is written as {}: its keys' rows show them.
  if (key.schema.properties && typeof value === "object" && value !== null && Object.keys(value).length === 0)
    return "–";
  return `\`${yamlValue(value)}\``;
}

const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");

/** A Markdown table with its columns padded, as a formatter would leave it. */
function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows].map((row) => row.map(cell));
  const widths = header.map((_, column) => Math.max(3, ...all.map((row) => [...(row[column] ?? "")].length)));
  const line = (row: string[]) =>
    `| ${row.map((text, column) => text + " ".repeat((widths[column] ?? 0) - [...text].length)).join(" | ")} |`;
  const [head = [], ...body] = all;
  return [line(head), `| ${widths.map((width) => "-".repeat(width)).join(" | ")} |`, ...body.map(line)].join(
    "\n",
  );
}

function section(schema: JsonSchema, prefix: string, level: number): string[] {
  const keys = configKeys(schema, prefix);
  const out = [
    table(
      ["key", "type", "default", "meaning"],
      keys.map((key) => [
        `\`${key.path}\``,
        typeOf(key.schema),
        defaultOf(key),
        key.schema.description ?? "",
      ]),
    ),
  ];
  for (const key of keys) {
    const variants = variantsOf(key.schema);
    if (!variants) continue;
    out.push(`${"#".repeat(level + 1)} \`${key.path}\`: one of`);
    for (const variant of variants) {
      const discriminator = Object.entries(variant.properties ?? {}).find(([, p]) => p.const !== undefined);
      const title = discriminator ? `${discriminator[0]}: ${String(discriminator[1].const)}` : "form";
      out.push(`${"#".repeat(level + 2)} \`${key.path}\` with \`${title}\``);
      if (variant.description) out.push(variant.description);
      out.push(...section(variant, key.path, level + 2));
    }
  }
  return out;
}

/** docs/configuration.md: every key of the file with its type, default and meaning. */
export function configReference(schema: JsonSchema = configJsonSchema()): string {
  const parts = [
    "# Configuration reference",
    "<!-- Generated from the zod schema in src/config by `npm run docs`; edit the descriptions there. -->",
    [
      `One YAML file (\`--config <file>\`; without it \`${defaultConfigPaths[0]}\` in the working directory, else`,
      `\`${defaultConfigPaths[1]}\`; \`examples/config.yaml\` is a commented example). Relative paths`,
      "in the file are relative to the file. Every key is checked: unknown keys, a malformed value, a bad",
      "URL or filter stop the program with one line per problem naming the key path",
      "(`directory.url: expected ldap://, ldaps:// or file:`), exit code 2.",
    ].join("\n"),
    [
      "Secrets are never inline-only: each comes from its environment variable, else its file, else the",
      `inline value: \`directory.bindPassword\` (\`bindPasswordFile\`, \`${secretEnvironment.bindPassword}\`),`,
      `\`bridge.smtp.password\` (\`passwordFile\`, \`${secretEnvironment.smtpPassword}\`), \`bridge.auth.bearerToken\``,
      `(\`bearerTokenFile\`, \`${secretEnvironment.bridgeBearerToken}\`), \`bridge.auth.basic.password\`,`,
      `\`exporter.basicAuth.password\` (\`passwordFile\`) and \`bridge.unsubscribe.secret\` (\`secretFile\`,`,
      `\`${secretEnvironment.unsubscribeSecret}\`). An empty secret is an error, never authentication`,
      "switched off.",
    ].join("\n"),
    [
      "[`config.schema.json`](config.schema.json) is the same schema as JSON Schema: editors with a YAML",
      "language server complete and check the file with a first line",
      "`# yaml-language-server: $schema=<path or URL of docs/config.schema.json>`.",
    ].join("\n"),
  ];
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    parts.push(`## \`${name}\``);
    if (child.description) parts.push(child.description);
    parts.push(...section(child, name, 2));
  }
  return `${parts.join("\n\n")}\n`;
}

/** The files `npm run docs` writes, by path from the repository root, with their content. */
export const generatedDocs = (): Record<string, string> => ({
  "docs/configuration.md": configReference(),
  "docs/config.schema.json": `${JSON.stringify(configJsonSchema(), null, 2)}\n`,
});
