import { z } from "zod";
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
      .object({ level: z.enum(["fatal", "error", "warn", "info", "debug", "trace"]).default("info") })
      .strict()
      .prefault({}),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
