import { readFileSync } from "node:fs";
import path from "node:path";
import { parseDocument } from "yaml";
import type { z } from "zod";
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
  const parsed = configSchema.safeParse(document.toJS() ?? {});
  if (!parsed.success) throw new ConfigError(file, formatIssues(parsed.error.issues));
  const config = parsed.data;
  const raw = document.toJS() as { bridge?: { templates?: { selfCareUrl?: unknown } } } | null;
  // Mails link to the portal unless the operator named another self-care address.
  if (raw?.bridge?.templates?.selfCareUrl === undefined)
    config.bridge.templates.selfCareUrl = config.selfcare.baseUrl ?? selfcareUrl(config.selfcare.listen);
  const resolve = (p: string) => path.resolve(baseDir, p);
  const resolveFileUrl = (url: string) => (url.startsWith("file:") ? `file:${resolve(url.slice(5))}` : url);
  const problems: string[] = [];

  config.directory.url = resolveFileUrl(config.directory.url);
  config.history.path = resolve(config.history.path);
  config.backup.root = resolve(config.backup.root);
  if (config.backup.quota.source === "repquota" && config.backup.quota.file)
    config.backup.quota.file = resolve(config.backup.quota.file);
  config.bridge.outboxPath = resolve(config.bridge.outboxPath);
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
  if (directory.url.startsWith("ldap") && directory.bindDN && directory.bindPassword === undefined)
    problems.push(
      `directory.bindPassword: bindDN is set but no password (use bindPasswordFile or ${secretEnvironment.bindPassword})`,
    );
  if (problems.length > 0) throw new ConfigError(file, problems);
  return config;
}

export const defaultConfigPath = "./stoney-backup-monitor.yaml";

/** Read, parse and validate the configuration file. */
export function loadConfig(file: string = defaultConfigPath, env: NodeJS.ProcessEnv = process.env): Config {
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
