import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool, postgresConnection } from "../../src/bridge/index.js";
import { PostgresOutbox } from "../../src/bridge/postgres.js";
import { configSchema } from "../../src/config/index.js";
import { type Postgres, requirePostgres, startPostgres } from "../support/postgres.js";

/** A CA and a certificate for 127.0.0.1 signed by it, made with openssl in `dir`. */
function certificates(dir: string) {
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(
    "req",
    "-x509",
    ...key,
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "2",
    "-subj",
    "/CN=test CA",
  );
  openssl("req", ...key, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
  writeFileSync(file("san.ext"), "subjectAltName=IP:127.0.0.1\n");
  openssl(
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.crt",
    "-days",
    "2",
    "-extfile",
    "san.ext",
  );
  return {
    caFile: file("ca.crt"),
    cert: readFileSync(file("server.crt"), "utf8"),
    key: readFileSync(file("server.key"), "utf8"),
  };
}

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
    const made = certificates(dir);
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
