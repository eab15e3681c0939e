import { z } from "zod";
import { basicAuthSchema, listenSchema } from "./http.js";

export const exporterSchema = z
  .object({
    listen: listenSchema(9851, "HTTP listener of the exporter (`/metrics`, `/healthz`, `/readyz`)."),
    intervalSeconds: z
      .number()
      .positive()
      .default(60)
      .describe("Seconds from the start of one collection to the start of the next; never two at once."),
    concurrency: z
      .number()
      .int()
      .positive()
      .max(256)
      .default(64)
      .describe(
        "Accounts in progress at once during a collection: queued to the reader threads (`backup.readerThreads`), then their history, quota and metrics. Well above the reader threads: none waits for work, and the accounts sent to a reader in one message are many.",
      ),
    deprecatedMetrics: z
      .boolean()
      .default(true)
      .describe(
        "Also serve the metric names renamed in this release under their old names for one release ([renamed metrics](metrics.md#renamed-metrics)); `false` serves only the current names, on which `promtool check metrics` finds nothing.",
      ),
    basicAuth: basicAuthSchema
      .optional()
      .describe(
        "When set, `/metrics` needs these credentials (compared in constant time); the Prometheus scrape job sets `basic_auth: { username: …, password_file: … }`.",
      ),
  })
  .strict()
  .prefault({})
  .describe("The Prometheus exporter.");

export type ExporterConfig = z.infer<typeof exporterSchema>;
