import { z } from "zod";
import { basicAuthSchema, listenSchema } from "./http.js";

export const exporterSchema = z
  .object({
    listen: listenSchema(9851),
    intervalSeconds: z.number().positive().default(60),
    /** Accounts read in parallel during a collection. */
    concurrency: z.number().int().positive().max(256).default(16),
    /** Optional basic auth on /metrics. */
    basicAuth: basicAuthSchema.optional(),
  })
  .strict()
  .prefault({});

export type ExporterConfig = z.infer<typeof exporterSchema>;
