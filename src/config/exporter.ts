import { z } from "zod";
import { basicAuthSchema, listenSchema } from "./http.js";

export const exporterSchema = z
  .object({
    /** Default 127.0.0.1:9851. */
    listen: listenSchema(9851),
    /** Seconds from the start of one collection to the start of the next (default 60); never two at once. */
    intervalSeconds: z.number().positive().default(60),
    /** Accounts read in parallel during a collection (default 16; 64 measured no faster at 50,000 accounts). */
    concurrency: z.number().int().positive().max(256).default(16),
    /**
     * Also serve metric names kept for one release after they were renamed (each says which name replaces
     * it in its HELP); false serves only the current names, and `promtool check metrics` finds nothing.
     */
    deprecatedMetrics: z.boolean().default(true),
    /** Optional basic auth on /metrics (the password inline or from passwordFile). */
    basicAuth: basicAuthSchema.optional(),
  })
  .strict()
  .prefault({});

export type ExporterConfig = z.infer<typeof exporterSchema>;
