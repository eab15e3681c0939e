import { pino } from "pino";
import pretty from "pino-pretty";

export type Logger = pino.Logger;

export const logLevels = ["fatal", "error", "warn", "info", "debug", "trace"] as const;
export type LogLevel = (typeof logLevels)[number];
/** `auto`: pretty lines when stderr is a terminal, JSON lines otherwise (a pipe, a file, journald, Docker). */
export const logFormats = ["auto", "pretty", "json"] as const;
export type LogFormat = (typeof logFormats)[number];

/** Logs go to stderr, so stdout stays for command output. */
export function createLogger(level: LogLevel | "silent" = "info", format: LogFormat = "auto"): Logger {
  const options = { level, base: { service: "stoney-backup-monitor" } };
  const terminal = process.stderr.isTTY === true;
  if (format === "json" || (format === "auto" && !terminal)) return pino(options, pino.destination(2));
  return pino(
    options,
    pretty({
      destination: 2,
      sync: true,
      colorize: terminal,
      translateTime: "SYS:yyyy-mm-dd HH:MM:ss.l",
      singleLine: true,
      messageFormat: "{if component}{component}: {end}{msg}",
      ignore: "service,component",
    }),
  );
}
