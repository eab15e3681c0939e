import { z } from "zod";

export const listenSchema = (port: number) =>
  z
    .object({
      host: z.string().default("127.0.0.1"),
      port: z.number().int().min(0).max(65_535).default(port),
    })
    .strict()
    .prefault({});

/** Basic auth credentials; the password may come from a file so it is not inline-only. */
export const basicAuthSchema = z
  .object({
    username: z.string().min(1),
    password: z.string().optional(),
    passwordFile: z.string().optional(),
  })
  .strict()
  .refine((a) => a.password !== undefined || a.passwordFile !== undefined, {
    message: "set password or passwordFile",
  });

export type Listen = z.infer<ReturnType<typeof listenSchema>>;
export type BasicAuth = z.infer<typeof basicAuthSchema>;
