import { z } from "zod";

export const listenSchema = (port: number, what: string) =>
  z
    .object({
      host: z
        .string()
        .default("127.0.0.1")
        .describe("Address to listen on (`0.0.0.0` or `::` for every interface)."),
      port: z.number().int().min(0).max(65_535).default(port).describe("Port (`0` picks a free one)."),
    })
    .strict()
    .prefault({})
    .describe(what);

/** Basic auth credentials; the password may come from a file so it is not inline-only. */
export const basicAuthSchema = z
  .object({
    username: z.string().min(1).describe("User name."),
    password: z.string().optional().describe("The password inline, or …"),
    passwordFile: z
      .string()
      .optional()
      .describe("… a file holding it (relative to the config file; one trailing newline is ignored)."),
  })
  .strict()
  .refine((a) => a.password !== undefined || a.passwordFile !== undefined, {
    message: "set password or passwordFile",
  });

export type Listen = z.infer<ReturnType<typeof listenSchema>>;
export type BasicAuth = z.infer<typeof basicAuthSchema>;

/** Every backup server's exporter that a reader of the state (portal, bridge) combines. */
export const backupServerExportersSchema = (reader: string, more = "") =>
  z
    .array(
      z
        .object({
          name: z
            .string()
            .min(1)
            .describe(
              'The backup server\'s name as people know it (e.g. "backup-02"): pages and digests name it.',
            ),
          url: z
            .string()
            .url()
            .describe("Its exporter, whose `/api/v1/state` is read with `exporter.basicAuth`."),
        })
        .strict(),
    )
    .min(1)
    .refine((list) => new Set(list.map((e) => e.name)).size === list.length, "expected distinct names")
    .optional()
    .describe(
      `One exporter per backup server: ${reader} reads them all, each account from the server that holds it (the freshest collection if two do), and says which server's data is missing or old. Replaces \`exporterUrl\`; \`start\` reads this list too (its own exporter among them) instead of its exporter in memory.${more}`,
    );
