import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { queueDueDigests } from "../../src/bridge/digests/scheduler.js";
import { directoryResolver, exporterStatus } from "../../src/bridge/index.js";
import { SqliteOutbox } from "../../src/bridge/outbox.js";
import { type Config, parseConfig } from "../../src/config/index.js";
import { openDirectory } from "../../src/directory/index.js";
import {
  type AccountStatus,
  type AccountStatusSource,
  type RunningExporter,
  startExporter,
} from "../../src/exporter/index.js";
import { basicAuthHeaders } from "../../src/http-auth.js";
import type { JournalRun } from "../../src/journal/index.js";
import { createLogger } from "../../src/log.js";
import { type RunningSelfcare, SqliteSelfcareStore, startSelfcare } from "../../src/selfcare/index.js";
import { alert, bridgeFixture, payload, post, waitFor } from "../bridge/support.js";
import { demo, login, NOW } from "../selfcare/support.js";
import { exampleBackupRoot, exampleLdif, freePort, spawnCli } from "../support/common.js";

/**
 * Two backup servers, each with its own exporter on its own part of the example tree, behind one portal
 * and one bridge that read both. Reseller 4000002 (Élodie, 5000010) has accounts on both servers.
 */
const homes = {
  "backup-01": ["3723701", "3723702", "3723704", "3723705"],
  "backup-02": ["3723703", "3723706", "3723707", "3723709", "3723710"],
} as const;
const credentials = { username: "prometheus", password: "scrape-secret" };
/** The weekly reseller digests are composed on the Tuesday after the collection's week. */
const DUE = Date.parse("2026-12-01T07:00:00Z");

const nonEmpty = <T>(list: T[]): T[] | undefined => (list.length > 0 ? list : undefined);

interface StateRow {
  uid: string;
  problems: string[];
  state?: AccountStatus;
}

describe("several backup servers behind one portal and one bridge", () => {
  let dir: string;
  const exporters = new Map<string, RunningExporter>();
  let config: Config;
  let portal: RunningSelfcare;
  let store: SqliteSelfcareStore;
  const bridges = bridgeFixture();

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "stoney-servers-"));
    for (const [name, accounts] of Object.entries(homes)) {
      const root = path.join(dir, name);
      mkdirSync(root);
      for (const uid of accounts)
        cpSync(path.join(exampleBackupRoot, uid), path.join(root, uid), {
          recursive: true,
          preserveTimestamps: true,
        });
      const own = parseConfig(
        stringify({
          directory: { url: `file:${exampleLdif}`, cacheTtlSeconds: 0 },
          backup: { root, onlyAccountsWithHome: true },
          history: { path: path.join(dir, `${name}-history.sqlite`) },
          exporter: { listen: { host: "127.0.0.1", port: 0 }, basicAuth: credentials },
          logging: { level: "fatal" },
        }),
        `${name} config`,
        dir,
        {},
      );
      const exporter = await startExporter(own, createLogger("fatal"), { now: () => NOW });
      await exporter.collect();
      exporters.set(name, exporter);
    }
    const list = [...exporters].map(([name, exporter]) => ({ name, url: exporter.url }));
    config = parseConfig(
      stringify({
        directory: { url: `file:${exampleLdif}`, cacheTtlSeconds: 0 },
        exporter: { basicAuth: credentials },
        bridge: {
          outbox: path.join(dir, "outbox.sqlite"),
          exporters: list,
          templates: { selfCareUrl: "https://selfcare.stoney.example" },
          digests: { hourUtc: 6 },
        },
        selfcare: { listen: { host: "127.0.0.1", port: 0 }, scopeCacheSeconds: 0, exporters: list },
        logging: { level: "fatal" },
      }),
      "portal and bridge config",
      dir,
      {},
    );
    store = new SqliteSelfcareStore(config.bridge.outbox);
    portal = await startSelfcare(config, createLogger("fatal"), { store });
  });

  afterAll(async () => {
    await portal?.close();
    await store?.close();
    for (const exporter of exporters.values()) await exporter.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const overview = async () => {
    const client = await login(portal.url, demo.reseller);
    const response = await client.call("GET", "/api/v1/accounts?pageSize=100");
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      staleServers?: Array<{ name: string; collectedAt?: string }>;
      accounts: StateRow[];
    };
    const page = await (await client.call("GET", "/accounts?pageSize=100")).text();
    return { ...body, page, client };
  };

  /** The reseller digest of the example's reseller 4000002, composed from what the bridge reads. */
  const resellerDigest = async (outboxFile: string) => {
    const logger = createLogger("fatal");
    const directory = openDirectory(config.directory, logger);
    const outbox = new SqliteOutbox(outboxFile);
    const status = exporterStatus(config, logger);
    if (!status) throw new Error("the bridge reads no exporter");
    try {
      await queueDueDigests(
        {
          config: { ...config.bridge, outbox: outboxFile },
          store: outbox,
          status,
          resolver: directoryResolver(directory, config.directory),
          logger,
        },
        DUE,
      );
      const mails = outbox.db
        .prepare(
          "SELECT d.recipient, m.text FROM digests d JOIN mails m ON m.id = d.mail_id WHERE d.kind = 'reseller-week'",
        )
        .all() as Array<{ recipient: string; text: string }>;
      return mails.find((m) => m.recipient === "support@eclair.example")?.text ?? "";
    } finally {
      await outbox.close();
      await directory.close();
    }
  };

  const bridgeStatus = (): AccountStatusSource => {
    const status = exporterStatus(config, createLogger("fatal"));
    if (!status) throw new Error("the bridge reads no exporter");
    return status;
  };

  /** A quota warning for Anna's 3723707 (on backup-02), then its resolution, through a bridge reading both servers. */
  const resolvedQuotaMail = async (status: AccountStatusSource) => {
    const firing = alert({ account: "3723707", task: "quota", fingerprint: `q${Date.now()}` });
    const started = await bridges.start({ parts: { status } });
    await post(started.url, payload([firing]));
    await waitFor("warning", () => started.sink.to("anna@example.co.uk").length === 1);
    await post(started.url, payload([{ ...firing, status: "resolved", endsAt: "2026-11-26T11:30:00Z" }]));
    await waitFor("resolution", () => started.sink.to("anna@example.co.uk").length === 2);
    const text = started.sink.to("anna@example.co.uk")[1]?.parsed.text ?? "";
    await bridges.close();
    return text;
  };

  /** Each account's problems while both servers answer. */
  const before = new Map<string, string[]>();

  it("shows the reseller's accounts of both servers in the portal, each from its server", async () => {
    const { accounts, staleServers, page } = await overview();
    for (const account of accounts) before.set(account.uid, account.problems);
    const servers = new Map(accounts.map((a) => [a.uid, a.state?.server]));
    expect(servers.get("3723704")).toBe("backup-01");
    expect(servers.get("3723705")).toBe("backup-01");
    expect(servers.get("3723710")).toBe("backup-02");
    for (const account of accounts) expect(account.problems).not.toContain("unknown");
    expect(staleServers).toBeUndefined();
    expect(page).not.toContain('class="stale"');
  });

  /** An account's runs as its server's exporter serves them from that server's own journal. */
  const serverRuns = async (server: string, uid: string) => {
    const response = await fetch(
      `${exporters.get(server)?.url}/api/v1/journal/accounts/${uid}/runs?${YEAR}`,
      { headers: basicAuthHeaders(credentials) },
    );
    expect(response.status).toBe(200);
    return ((await response.json()) as { runs: JournalRun[] }).runs;
  };
  const YEAR = "since=2026-01-01T00:00:00Z&until=2027-01-01T00:00:00Z";

  it("shows each account's runs from the journal of the server that holds it", async () => {
    // The journal is written at the start of the collection after the one that saw the runs.
    for (const exporter of exporters.values()) await exporter.collect();
    const expected = {
      "3723704": await waitFor("backup-01's journal", async () =>
        nonEmpty(await serverRuns("backup-01", "3723704")),
      ),
      "3723710": await waitFor("backup-02's journal", async () =>
        nonEmpty(await serverRuns("backup-02", "3723710")),
      ),
    };
    // Each server's journal holds only its own accounts.
    expect(await serverRuns("backup-01", "3723710")).toEqual([]);
    const client = await login(portal.url, demo.reseller);
    for (const [uid, runs] of Object.entries(expected)) {
      const response = await client.call("GET", `/api/v1/accounts/${uid}/runs?${YEAR}`);
      expect(response.status).toBe(200);
      const shown = ((await response.json()) as { runs: Array<{ host: string; runId: string }> }).runs;
      expect(shown.map((r) => [r.host, r.runId])).toEqual(runs.map((r) => [r.host, r.runId]));
      const page = await (await client.call("GET", `/accounts/${uid}`)).text();
      expect(page).not.toContain("journal-unavailable");
      expect(page).toContain("jours avec une sauvegarde réussie");
      expect(page).toContain(runs[0]?.host ?? "no run");
    }
  });

  it("covers both servers in the bridge's present-state check and its digests", async () => {
    const digest = await resellerDigest(path.join(dir, "digests-both.sqlite"));
    expect(digest).toContain("3723704");
    expect(digest).toContain("3723710");
    expect(digest).not.toContain("backup-02");
    const text = await resolvedQuotaMail(bridgeStatus());
    expect(text).not.toContain("No longer reported");
  });

  it("reads the listed servers also under start, which otherwise reads its own exporter in memory", async () => {
    const [exporterPort, portalPort] = [await freePort(), await freePort()];
    const own = `http://127.0.0.1:${exporterPort}`;
    const list = [
      { name: "backup-01", url: own },
      { name: "backup-02", url: exporters.get("backup-02")?.url ?? "" },
    ];
    const configFile = path.join(dir, "start.yaml");
    writeFileSync(
      configFile,
      stringify({
        directory: { url: `file:${exampleLdif}`, cacheTtlSeconds: 0 },
        backup: { root: path.join(dir, "backup-01"), onlyAccountsWithHome: true },
        history: { path: path.join(dir, "start-history.sqlite") },
        exporter: { listen: { host: "127.0.0.1", port: exporterPort }, basicAuth: credentials },
        bridge: {
          listen: { host: "127.0.0.1", port: 0 },
          outbox: path.join(dir, "start-outbox.sqlite"),
          smtp: { url: `file:${path.join(dir, "start-mail")}` },
          exporters: list,
        },
        selfcare: { listen: { host: "127.0.0.1", port: portalPort }, exporters: list },
        logging: { level: "fatal" },
      }),
    );
    const { child, exited, stderr } = spawnCli(["--config", configFile, "start"]);
    try {
      await waitFor("the exporter's first collection", async () => (await fetch(`${own}/readyz`)).ok);
      const client = await waitFor("the portal", () =>
        login(`http://127.0.0.1:${portalPort}`, demo.reseller).catch(() => undefined),
      );
      const body = (await (await client.call("GET", "/api/v1/accounts?pageSize=100")).json()) as {
        accounts: StateRow[];
      };
      const servers = new Map(body.accounts.map((a) => [a.uid, a.state?.server]));
      expect(servers.get("3723704")).toBe("backup-01");
      expect(servers.get("3723710")).toBe("backup-02");
      // backup-02's journal is read from its exporter, not from start's own history file.
      const runs = (await (await client.call("GET", `/api/v1/accounts/3723710/runs?${YEAR}`)).json()) as {
        runs: Array<{ runId: string }>;
      };
      expect(runs.runs.map((r) => r.runId)).toEqual(
        (await serverRuns("backup-02", "3723710")).map((r) => r.runId),
      );
      expect(runs.runs.length).toBeGreaterThan(0);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited, stderr()).toBe(0);
  });

  it("shows a server that stops answering as old data, never as accounts without backups", async () => {
    // A bridge that has read backup-02 before it stops keeps its last state, marked stale.
    const status = bridgeStatus();
    expect((await status.accounts(["3723707"])).get("3723707")?.server).toBe("backup-02");
    await exporters.get("backup-02")?.close();
    exporters.delete("backup-02");
    // The portal reads the exporters at most every 10 s.
    const stale = await waitFor(
      "backup-02 shown as not answering",
      async () => {
        const read = await overview();
        return read.staleServers ? read : undefined;
      },
      30_000,
    );
    expect(stale.staleServers).toEqual([{ name: "backup-02", collectedAt: NOW.toISOString() }]);
    const onSecond = stale.accounts.find((a) => a.uid === "3723710");
    expect(onSecond?.state).toMatchObject({ server: "backup-02", stale: true });
    expect(stale.accounts.find((a) => a.uid === "3723704")?.state?.stale).toBeUndefined();
    // Every account keeps the problems it had: none becomes "no data" or "no backup".
    expect(new Map(stale.accounts.map((a) => [a.uid, a.problems]))).toEqual(before);
    // The reseller reads French: the notice names the server and when its data was collected.
    expect(stale.page).toContain('class="stale"');
    expect(stale.page).toContain("Les données du serveur de sauvegarde backup-02 ont été relevées");
    const account = await (await stale.client.call("GET", "/accounts/3723710")).text();
    expect(account).toContain("backup-02");
    const other = await (await stale.client.call("GET", "/accounts/3723704")).text();
    expect(other).not.toContain('class="stale"');
    // backup-02's journal is unavailable, not empty: no day is counted as missed.
    expect(account).toContain('id="journal-unavailable"');
    expect(account).toContain(
      "L’historique des sauvegardes de ce compte est conservé sur le serveur de sauvegarde backup-02",
    );
    expect(account).not.toContain("jours avec une sauvegarde réussie");
    const runs = await stale.client.call("GET", `/api/v1/accounts/3723710/runs?${YEAR}`);
    expect(runs.status).toBe(503);
    expect(((await runs.json()) as { error: string }).error).toContain("backup-02");
    expect(other).not.toContain("journal-unavailable");
    expect((await stale.client.call("GET", `/api/v1/accounts/3723704/runs?${YEAR}`)).status).toBe(200);

    const digest = await resellerDigest(path.join(dir, "digests-one.sqlite"));
    expect(digest).toContain("3723704");
    expect(digest).not.toContain("3723710");
    expect(digest).toContain("Le serveur de sauvegarde backup-02 n’a pas répondu");

    // Without backup-02's present state, the resolved mail says only what is certain.
    await waitFor(
      "the bridge's read of backup-02 to fail",
      async () => (await status.accounts(["3723707"])).get("3723707")?.stale,
      30_000,
    );
    expect(await resolvedQuotaMail(status)).toContain("No longer reported");
  });
});
