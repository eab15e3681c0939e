import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool, postgresConnection } from "../../src/bridge/index.js";
import { PostgresOutbox } from "../../src/bridge/postgres.js";
import { configSchema } from "../../src/config/index.js";
import { createCertificates } from "../support/certificates.js";
import { type Postgres, requirePostgres, startPostgres } from "../support/postgres.js";

describe.skipIf(!requirePostgres())("PostgreSQL outbox over TLS", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "stoney-pg-tls-"));
  let server: Postgres;
  let url: string;
  let caFile: string;
  const connection = (postgres: Record<string, unknown>) =>
    postgresConnection(
      configSchema.parse({ directory: { url: "file:x.ldif" }, bridge: { outbox: url, postgres } }).bridge,
    );

  beforeAll(async () => {
    const made = await createCertificates(dir);
    caFile = made.caFile;
    server = await startPostgres({ tls: made });
    url = await server.createDatabase("outbox_tls");
  });
  afterAll(async () => {
    await server?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("connects with the configured CA, checks the server's certificate, and the outbox works over it", async () => {
    const pool = createPool(connection({ tls: { caFile } }));
    try {
      const { rows } = await pool.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
      expect(rows).toEqual([{ ssl: true }]);
    } finally {
      await pool.end();
    }
    const outbox = await PostgresOutbox.open({
      ...connection({ tls: { caFile } }),
      leaseMs: 30_000,
      messageDomain: "backup.example",
      migrate: true,
    });
    try {
      expect(outbox.migration.applied.length).toBeGreaterThan(0);
    } finally {
      await outbox.close();
    }
  });

  it("keeps the configured CA with `sslmode=verify-full` in the URL, as the HA guide writes it", async () => {
    const pool = createPool({ ...connection({ tls: { caFile } }), url: `${url}?sslmode=verify-full` });
    try {
      const { rows } = await pool.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
      expect(rows).toEqual([{ ssl: true }]);
    } finally {
      await pool.end();
    }
  });

  it("refuses a server certificate it cannot check, unless told not to check", async () => {
    const unchecked = createPool(connection({ tls: {} }));
    await expect(unchecked.query("SELECT 1")).rejects.toThrow(/self-signed certificate|unable to verify/);
    await unchecked.end();
    const trusting = createPool(connection({ tls: { rejectUnauthorized: false } }));
    try {
      expect((await trusting.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
    } finally {
      await trusting.end();
    }
  });

  it("is refused by a server that only accepts TLS when TLS is not configured", async () => {
    const plain = createPool(connection({}));
    await expect(plain.query("SELECT 1")).rejects.toThrow(/no pg_hba\.conf entry.*no encryption/);
    await plain.end();
  });
});
