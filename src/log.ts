import { pino } from "pino";

export type Logger = pino.Logger;

/** JSON logs on stderr, so stdout stays for command output. */
export const createLogger = (level = "info"): Logger =>
  pino({ level, base: { service: "stoney-backup-monitor" } }, pino.destination(2));
