import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse, parseDocument } from "yaml";
import type { z } from "zod";
import { type LogFormat, type LogLevel, logFormats, logLevels } from "../log.js";
import { isPostgresUrl } from "./bridge.js";
import type { Listen } from "./http.js";
import { type Config, configSchema } from "./schema.js";

/** A configuration problem an operator can fix; printed without a stack trace. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: invalid configuration\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export const formatIssues = (issues: z.core.$ZodIssue[]): string[] =>
  issues.map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "(root)"}: ${issue.message}`);

/** Environment variables that override secrets, so they never need to be written into the file. */
export const secretEnvironment = {
  bindPassword: "STONEY_LDAP_BIND_PASSWORD",
  smtpPassword: "STONEY_SMTP_PASSWORD",
  bridgeBearerToken: "STONEY_BRIDGE_TOKEN",
  selfcareBindPassword: "STONEY_SELFCARE_BIND_PASSWORD",
  unsubscribeSecret: "STONEY_UNSUBSCRIBE_SECRET",
  /** libpq's own variable, so existing PostgreSQL tooling habits carry over. */
  postgresPassword: "PGPASSWORD",
} as const;

/** Environment variables over the file's logging section (the command line's options win over both). */
export const loggingEnvironment = {
  level: "STONEY_LOG_LEVEL",
  format: "STONEY_LOG_FORMAT",
} as const;

const readSecret = (file: string, key: string, problems: string[]): string | undefined => {
  try {
    return readFileSync(file, "utf8").replace(/\r?\n$/, "");
  } catch (error) {
    problems.push(`${key}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    return undefined;
  }
};

/** The portal's own address when no baseUrl is configured. */
const selfcareUrl = (listen: Listen): string =>
  `http://${listen.host.includes(":") ? `[${listen.host}]` : listen.host}:${listen.port}`;

/** Parse and validate configuration text; relative paths are resolved against `baseDir`. */
export function parseConfig(
  text: string,
  file: string,
  baseDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Config {
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) {
    throw new ConfigError(
      file,
      document.errors.map((e) => `YAML ${e.linePos?.[0] ? `line ${e.linePos[0].line}` : ""}: ${e.message}`),
    );
  }
  let raw: { bridge?: { templates?: { selfCareUrl?: unknown } } } | null;
  try {
    // The yaml library refuses aliases that expand beyond a hundred-fold (a "billion laughs" file).
    raw = document.toJS() as typeof raw;
  } catch (error) {
    throw new ConfigError(file, [`YAML: ${(error as Error).message}`]);
  }
  const parsed = configSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new ConfigError(file, formatIssues(parsed.error.issues));
  const config = parsed.data;
  // Mails link to the portal unless the operator named another self-care address.
  if (raw?.bridge?.templates?.selfCareUrl === undefined)
    config.bridge.templates.selfCareUrl = config.selfcare.baseUrl ?? selfcareUrl(config.selfcare.listen);
  const resolve = (p: string) => path.resolve(baseDir, p);
  const resolveFileUrl = (url: string) => (url.startsWith("file:") ? `file:${resolve(url.slice(5))}` : url);
  const problems: string[] = [];

  config.directory.url = resolveFileUrl(config.directory.url);
  config.history.path = resolve(config.history.path);
  config.backup.root = resolve(config.backup.root);
  for (const prefix of config.backup.homePrefixes) prefix.to = resolve(prefix.to);
  if (config.backup.quota.source === "repquota" && config.backup.quota.file)
    config.backup.quota.file = resolve(config.backup.quota.file);
  const postgresOutbox = isPostgresUrl(config.bridge.outbox);
  if (!postgresOutbox) config.bridge.outbox = resolve(config.bridge.outbox);
  const postgresTls = config.bridge.postgres.tls;
  if (postgresTls?.caFile) postgresTls.caFile = resolve(postgresTls.caFile);
  config.bridge.smtp.url = resolveFileUrl(config.bridge.smtp.url);
  if (config.bridge.templates.overrideDir)
    config.bridge.templates.overrideDir = resolve(config.bridge.templates.overrideDir);

  /**
   * A secret: its environment variable, else its file (key `<key>File`), else the inline value. An empty or
   * blank one is a mistake (an empty token file, an unset variable exported as ""), never "no authentication".
   */
  const secret = (key: string, inline: string | undefined, file: string | undefined, variable?: string) => {
    const fromEnvironment = variable ? env[variable] : undefined;
    const [value, source, sourceKey] =
      fromEnvironment !== undefined
        ? [fromEnvironment, variable, key]
        : file
          ? [readSecret(resolve(file), `${key}File`, problems), resolve(file), `${key}File`]
          : [inline, "the inline value", key];
    if (value !== undefined && value.trim() === "")
      problems.push(`${sourceKey}: ${source} is empty; an empty secret would switch authentication off`);
    return value;
  };

  const directory = config.directory;
  directory.bindPassword = secret(
    "directory.bindPassword",
    directory.bindPassword,
    directory.bindPasswordFile,
    secretEnvironment.bindPassword,
  );
  const smtp = config.bridge.smtp;
  smtp.password = secret(
    "bridge.smtp.password",
    smtp.password,
    smtp.passwordFile,
    secretEnvironment.smtpPassword,
  );
  const auth = config.bridge.auth;
  if (auth) {
    auth.bearerToken = secret(
      "bridge.auth.bearerToken",
      auth.bearerToken,
      auth.bearerTokenFile,
      secretEnvironment.bridgeBearerToken,
    );
    if (auth.basic)
      auth.basic.password = secret(
        "bridge.auth.basic.password",
        auth.basic.password,
        auth.basic.passwordFile,
      );
  }
  const unsubscribe = config.bridge.unsubscribe;
  unsubscribe.secret = secret(
    "bridge.unsubscribe.secret",
    unsubscribe.secret,
    unsubscribe.secretFile,
    secretEnvironment.unsubscribeSecret,
  );
  // A short key could be guessed, and with it every address could be unsubscribed from everything.
  if (unsubscribe.secret !== undefined && unsubscribe.secret.trim() !== "" && unsubscribe.secret.length < 32)
    problems.push("bridge.unsubscribe.secret: at least 32 characters (e.g. `openssl rand -base64 48`)");
  const postgres = config.bridge.postgres;
  if (postgresOutbox)
    postgres.password = secret(
      "bridge.postgres.password",
      postgres.password,
      postgres.passwordFile,
      secretEnvironment.postgresPassword,
    );
  const scrapeAuth = config.exporter.basicAuth;
  if (scrapeAuth)
    scrapeAuth.password = secret("exporter.basicAuth.password", scrapeAuth.password, scrapeAuth.passwordFile);

  const selfcare = config.selfcare;
  selfcare.bindPassword = secret(
    "selfcare.bindPassword",
    selfcare.bindPassword,
    selfcare.bindPasswordFile,
    secretEnvironment.selfcareBindPassword,
  );
  if (selfcare.bindDN && selfcare.bindPassword === undefined)
    problems.push(
      `selfcare.bindPassword: bindDN is set but no password (use bindPasswordFile or ${secretEnvironment.selfcareBindPassword})`,
    );
  const fromEnvironment = <T extends string>(variable: string, allowed: readonly T[]): T | undefined => {
    const value = env[variable];
    if (value === undefined || value === "") return undefined;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    problems.push(`${variable}: expected one of ${allowed.join(", ")}, got ${JSON.stringify(value)}`);
    return undefined;
  };
  config.logging.level =
    fromEnvironment<LogLevel>(loggingEnvironment.level, logLevels) ?? config.logging.level;
  config.logging.format =
    fromEnvironment<LogFormat>(loggingEnvironment.format, logFormats) ?? config.logging.format;

  if (directory.url.startsWith("ldap") && directory.bindDN && directory.bindPassword === undefined)
    problems.push(
      `directory.bindPassword: bindDN is set but no password (use bindPasswordFile or ${secretEnvironment.bindPassword})`,
    );
  if (problems.length > 0) throw new ConfigError(file, problems);
  return config;
}

/** Where the CLI looks without --config: the working directory, then the system-wide folder. */
export const defaultConfigPaths = ["./config.yaml", "/etc/stoney-backup-monitor/config.yaml"] as const;

/** The first default configuration file that exists. */
export function findConfigFile(exists: (file: string) => boolean = existsSync): string {
  const found = defaultConfigPaths.find((file) => exists(file));
  if (found === undefined)
    throw new ConfigError(defaultConfigPaths[0], [
      `no such file, nor ${defaultConfigPaths[1]}: pass --config <file>`,
    ]);
  return found;
}

/** Read, parse and validate the configuration file. */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(file, [
      `cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    ]);
  }
  return parseConfig(text, file, path.dirname(path.resolve(file)), env);
}

/** The top-level sections a configuration file sets (call after loadConfig succeeded on it). */
export function fileSections(file: string): string[] {
  const document: unknown = parse(readFileSync(file, "utf8"));
  return document && typeof document === "object" ? Object.keys(document) : [];
}
