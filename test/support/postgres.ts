import { execFile } from "node:child_process";
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { freePort } from "./common.js";

const run = promisify(execFile);

/** Debian's PostgreSQL binaries (`/usr/lib/postgresql/<major>/bin`), the newest major first. */
export function findPostgresBin(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  for (const major of majors) {
    const bin = path.join(root, major, "bin");
    if (existsSync(path.join(bin, "initdb")) && existsSync(path.join(bin, "pg_ctl"))) return bin;
  }
  return undefined;
}

/**
 * True when PostgreSQL is installed. Without it the calling suite is skipped with a loud warning
 * on a developer machine, but CI fails, where a skipped test would hide a broken store.
 */
export function requirePostgres(): boolean {
  if (findPostgresBin()) return true;
  const message = "PostgreSQL not found in /usr/lib/postgresql/*/bin (apt-get install postgresql)";
  if (process.env.CI === "true") throw new Error(`${message}; CI must run every integration test`);
  console.warn(`\n*** SKIPPING PostgreSQL tests: ${message} ***\n`);
  return false;
}

export interface Postgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication on loopback). */
  url: string;
  port: number;
  /** A fresh, empty database on this server; its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stop the server (fast shutdown: open connections are cut); the data stays. */
  stop(): Promise<void>;
  /** Start it again on the same port after `stop`. */
  start(): Promise<void>;
  /** Stop the server and remove its data folder. */
  dispose(): Promise<void>;
}

export interface PostgresOptions {
  /** Keep fsync and synchronous commits on (the benchmark); tests trade durability for speed. */
  durable?: boolean;
  /** Extra `postgres -c` settings. */
  settings?: Record<string, string>;
  /** Serve TLS with this certificate and key (PEM files), and accept loopback connections only over TLS. */
  tls?: { certFile: string; keyFile: string };
}

/**
 * A PostgreSQL server in a temp folder on a free loopback port. The server refuses to run as root,
 * so as root initdb and pg_ctl run as the `postgres` user, who owns the folder.
 */
export async function startPostgres(options: PostgresOptions = {}): Promise<Postgres> {
  const bin = findPostgresBin();
  if (!bin) throw new Error("PostgreSQL is not installed");
  const dir = mkdtempSync(path.join(tmpdir(), "stoney-pg-"));
  const data = path.join(dir, "data");
  const logFile = path.join(dir, "server.log");
  const asRoot = process.getuid?.() === 0;
  const owner = { uid: 0, gid: 0 };
  if (asRoot) {
    owner.uid = Number((await run("id", ["-u", "postgres"])).stdout.trim());
    owner.gid = Number((await run("id", ["-g", "postgres"])).stdout.trim());
    chownSync(dir, owner.uid, owner.gid);
  }
  const pgRun = (tool: string, args: string[]) =>
    asRoot
      ? run("runuser", ["-u", "postgres", "--", path.join(bin, tool), ...args], { cwd: dir })
      : run(path.join(bin, tool), args, { cwd: dir });
  const port = await freePort();
  const settings: Record<string, string> = {
    listen_addresses: "127.0.0.1",
    port: String(port),
    unix_socket_directories: dir,
    max_connections: "100",
    ...(options.durable ? {} : { fsync: "off", synchronous_commit: "off", full_page_writes: "off" }),
    ...(options.tls ? { ssl: "on" } : {}),
    ...options.settings,
  };
  const serverOptions = Object.entries(settings)
    .map(([key, value]) => `-c ${key}=${value}`)
    .join(" ");
  const log = () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : "");

  await pgRun("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  if (options.tls) {
    // The server reads its key only when no one else can (0600, owned by its user).
    const files = { "server.crt": options.tls.certFile, "server.key": options.tls.keyFile };
    for (const [name, source] of Object.entries(files)) {
      const file = path.join(data, name);
      copyFileSync(source, file);
      chmodSync(file, 0o600);
      if (asRoot) chownSync(file, owner.uid, owner.gid);
    }
    writeFileSync(
      path.join(data, "pg_hba.conf"),
      "local all all trust\nhostssl all all 127.0.0.1/32 trust\n",
    );
  }
  const start = async () => {
    try {
      await pgRun("pg_ctl", ["-D", data, "-l", logFile, "-o", serverOptions, "-w", "-t", "30", "start"]);
    } catch (error) {
      throw new Error(`PostgreSQL did not start: ${(error as Error).message}\n${log()}`);
    }
  };
  let running = false;
  const stop = async () => {
    if (!running) return;
    await pgRun("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]);
    running = false;
  };
  await start();
  running = true;
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    async createDatabase(name) {
      const client = new pg.Client({
        connectionString: url,
        ...(options.tls ? { ssl: { rejectUnauthorized: false } } : {}),
      });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    stop,
    async start() {
      if (running) return;
      await start();
      running = true;
    },
    async dispose() {
      await stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
