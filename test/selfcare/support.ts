import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "ldapts";
import { stringify } from "yaml";
import { type OutboxStore, type RunningBridge, startBridge } from "../../src/bridge/index.js";
import { SqliteOutbox } from "../../src/bridge/outbox.js";
import { type Config, parseConfig } from "../../src/config/index.js";
import { type RunningExporter, startExporter } from "../../src/exporter/index.js";
import { createLogger } from "../../src/log.js";
import {
  bridgePartsOf,
  type RunningSelfcare,
  SqliteSelfcareStore,
  startSelfcare,
} from "../../src/selfcare/index.js";
import { exampleBackupRoot } from "../support/common.js";
import type { Slapd } from "../support/slapd.js";

export { exampleBackupRoot, exampleLdif, repoRoot } from "../support/common.js";

/** The fixed "now" of the exporter on the example data. */
export const NOW = new Date("2026-11-26T12:00:00Z");
export const people = "ou=people,dc=stoney-cloud,dc=org";
export const accountsBase = "ou=accounts,ou=backup,ou=services,dc=stoney-cloud,dc=org";
export const resellersBase = "ou=reseller,ou=configuration,ou=backup,ou=services,dc=stoney-cloud,dc=org";

/** Demo logins of examples/directory.ldif. */
export const demo = {
  customer: { uid: "5000001", password: "demo-customer" },
  colleague: { uid: "5000004", password: "demo-colleague" },
  reseller: { uid: "5000010", password: "demo-reseller" },
} as const;

/** Persons the tests add: inactive, self-care off, two only the throttling tests use. */
export const testPersons = `dn: uid=5000020,${people}
objectClass: top
objectClass: sstPerson
uid: 5000020
givenName: Ina
sn: Aktiv
mail: ina@example.ch
preferredLanguage: de-CH
sstTimeZoneOffset: +01:00
userPassword: inactive-secret
sstIsActive: FALSE

dn: uid=5000021,${people}
objectClass: top
objectClass: sstPerson
uid: 5000021
givenName: Otto
sn: Ohne
mail: otto@example.ch
preferredLanguage: de-CH
sstTimeZoneOffset: +01:00
userPassword: {SHA}JpOYNyISsYPfW6yd+BKhXtmsD3s=
sstUseSelfcare: FALSE

dn: uid=5000022,${people}
objectClass: top
objectClass: sstPerson
uid: 5000022
givenName: Theo
sn: Rottle
mail: theo@example.ch
preferredLanguage: en-GB
sstTimeZoneOffset: +01:00
userPassword: throttle-secret

dn: uid=5000023,${people}
objectClass: top
objectClass: sstPerson
uid: 5000023
givenName: Tessa
sn: Rottle
mail: tessa@example.ch
preferredLanguage: en-GB
sstTimeZoneOffset: +01:00
userPassword: shared-throttle-secret
`;

export interface Harness {
  config: Config;
  portal: RunningSelfcare;
  exporter: RunningExporter;
  store: SqliteSelfcareStore;
  /** The bridge's outbox: of the running bridge when one was asked for. */
  outbox: OutboxStore;
  bridge?: RunningBridge;
  close(): Promise<void>;
}

/** A configuration for the portal on `directory`, with every file in a fresh folder. */
export function portalConfig(
  directory: Record<string, unknown>,
  extra: { selfcare?: Record<string, unknown>; bridge?: Record<string, unknown> } = {},
): { config: Config; dir: string } {
  const dir = mkdtempSync(path.join(tmpdir(), "stoney-selfcare-"));
  const raw = {
    directory: { cacheTtlSeconds: 0, ...directory },
    backup: { root: exampleBackupRoot },
    history: { path: path.join(dir, "history.sqlite") },
    exporter: { listen: { host: "127.0.0.1", port: 0 }, intervalSeconds: 3600 },
    bridge: { outbox: path.join(dir, "outbox.sqlite"), ...extra.bridge },
    selfcare: { listen: { host: "127.0.0.1", port: 0 }, scopeCacheSeconds: 0, ...extra.selfcare },
    logging: { level: "fatal" },
  };
  return { config: parseConfig(stringify(raw), "test config", dir, {}), dir };
}

/**
 * Exporter (collected once at NOW), outbox and portal in one process, as `start` runs them; with
 * `bridge` a real bridge (mailing to that SMTP URL, honouring the portal's pauses) instead of the bare outbox.
 */
export async function startPortal(
  directory: Record<string, unknown>,
  extra: { selfcare?: Record<string, unknown>; bridge?: { smtpUrl: string } } = {},
): Promise<Harness> {
  const { config, dir } = portalConfig(directory, {
    ...(extra.selfcare ? { selfcare: extra.selfcare } : {}),
    ...(extra.bridge
      ? { bridge: { listen: { port: 0 }, coalesceSeconds: 0.2, smtp: { url: extra.bridge.smtpUrl } } }
      : {}),
  });
  const logger = createLogger("fatal");
  const exporter = await startExporter(config, logger, { now: () => NOW });
  await exporter.collect();
  const store = new SqliteSelfcareStore(config.bridge.outbox);
  const bridge = extra.bridge
    ? await startBridge(config, logger, {
        ...bridgePartsOf(store),
        status: exporter.status,
      })
    : undefined;
  const outbox = bridge?.outbox ?? new SqliteOutbox(config.bridge.outbox);
  const portal = await startSelfcare(config, logger, {
    store,
    status: exporter.status,
    history: async (account, limit) => outbox.history(account, limit),
  });
  return {
    config,
    portal,
    exporter,
    store,
    outbox,
    ...(bridge ? { bridge } : {}),
    async close() {
      await portal.close();
      await bridge?.close();
      await exporter.close();
      await store.close();
      if (!bridge) await outbox.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A logged-in API client: the session cookie and the CSRF token. */
export interface ApiClient {
  cookie: string;
  csrfToken: string;
  call(method: string, route: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
}

export async function login(
  url: string,
  credentials: { uid: string; password: string },
  headers: Record<string, string> = {},
): Promise<ApiClient> {
  const response = await fetch(`${url}/api/v1/session`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(credentials),
  });
  if (response.status !== 200) throw new Error(`login ${credentials.uid}: HTTP ${response.status}`);
  const cookie = (response.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  const { csrfToken } = (await response.json()) as { csrfToken: string };
  return {
    cookie,
    csrfToken,
    call: (method, route, body, extra = {}) =>
      fetch(`${url}${route}`, {
        method,
        headers: {
          cookie,
          ...(method === "GET" ? {} : { "x-csrf-token": csrfToken }),
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...extra,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
  };
}

/** One attribute of one entry, read as the directory's administrator (what really is in slapd). */
export async function readAttribute(slapd: Slapd, dn: string, attribute: string): Promise<string[]> {
  const client = new Client({ url: slapd.url });
  try {
    await client.bind(slapd.rootDN, slapd.rootPassword);
    const { searchEntries } = await client.search(dn, { scope: "base", attributes: [attribute] });
    const value = searchEntries[0]?.[attribute];
    return value === undefined ? [] : [value].flat().map(String);
  } finally {
    await client.unbind();
  }
}

/** The slapd directory settings for the portal: the monitor reads, the portal's own account writes. */
export const slapdDirectory = (slapd: Slapd) => slapd.configFor();
export const slapdSelfcare = (slapd: Slapd) => ({
  bindDN: slapd.portalDN,
  bindPassword: slapd.portalPassword,
});

/** The bridge and the portal of `config` sharing one SQLite self-care store, as `start` runs them. */
export interface BridgeAndPortal {
  store: SqliteSelfcareStore;
  bridge: RunningBridge;
  portal: RunningSelfcare;
  close(): Promise<void>;
}

export async function startBridgeAndPortal(config: Config): Promise<BridgeAndPortal> {
  config.selfcare.listen.port = 0;
  config.selfcare.scopeCacheSeconds = 0;
  const logger = createLogger("fatal");
  const store = new SqliteSelfcareStore(config.bridge.outbox);
  const bridge = await startBridge(config, logger, bridgePartsOf(store));
  const portal = await startSelfcare(config, logger, {
    store,
    history: async (account, limit) => bridge.outbox.history(account, limit),
  });
  return {
    store,
    bridge,
    portal,
    async close() {
      await portal.close();
      await bridge.close();
      await store.close();
    },
  };
}
