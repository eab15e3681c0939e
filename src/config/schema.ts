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
    /** `--log-level`/`STONEY_LOG_LEVEL` and `--log-format`/`STONEY_LOG_FORMAT` win over these. */
    logging: z
      .object({
        level: z.enum(logLevels).default("info"),
        /** auto: pretty lines when stderr is a terminal, else JSON lines. */
        format: z.enum(logFormats).default("auto"),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
