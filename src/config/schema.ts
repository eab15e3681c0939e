import { z } from "zod";
import { logFormats, logLevels } from "../log.js";
import { backupSchema, historySchema } from "./backup.js";
import { bridgeSchema } from "./bridge.js";
import { directorySchema } from "./directory.js";
import { exporterSchema } from "./exporter.js";
import { selfcareSchema } from "./selfcare.js";

/** The whole configuration file: the single source of truth for its types and defaults. */
export const configSchema = z
  .object({
    directory: directorySchema,
    backup: backupSchema,
    history: historySchema,
    exporter: exporterSchema,
    bridge: bridgeSchema,
    selfcare: selfcareSchema,
    logging: z
      .object({
        level: z
          .enum(logLevels)
          .default("info")
          .describe("Lowest level written; `STONEY_LOG_LEVEL` and then `--log-level <level>` win over it."),
        format: z
          .enum(logFormats)
          .default("auto")
          .describe(
            "`json` (one JSON object a line, pino), `pretty` (coloured lines for a person), `auto`: pretty when stderr is a terminal, JSON otherwise (a pipe, a file, journald, Docker); `STONEY_LOG_FORMAT` and then `--log-format <format>` win over it.",
          ),
      })
      .strict()
      .prefault({})
      .describe(
        "The log, on stderr (stdout is for command output). The environment wins over the file and the command line over both; an unknown value in the environment is a configuration error (exit 2).",
      ),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
