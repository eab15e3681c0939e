import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client, SizeLimitExceededError } from "ldapts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DirectoryConfig, directorySchema } from "../../src/config/directory.js";
import {
  DirectoryError,
  formatLdif,
  LdapDirectory,
  lookUpAccounts,
  openDirectory,
} from "../../src/directory/index.js";
import { createLogger } from "../../src/log.js";
import { requireBinaries } from "../support/binaries.js";
import { exampleLdif, type Slapd, startSlapd } from "../support/slapd.js";
import { allAccounts } from "./allAccounts.js";
import {
  exampleRecipients,
  exampleSettings,
  exampleUids,
  parseExplainOutput,
  summarize,
  summarizeSettings,
} from "./exampleRecipients.js";
import { runCli } from "./runCli.js";

const logger = createLogger("silent");
const accountsBase = "ou=accounts,ou=backup,ou=services,dc=stoney-cloud,dc=org";

/** Entries the example lacks: a POSIX account with a home, odd backup stamps, a uid with filter characters. */
const extraLdif = `dn: uid=3723799,${accountsBase}
objectClass: top
objectClass: account
objectClass: posixAccount
objectClass: sstRelationship
objectClass: sstBackupMonitorSettings
uid: 3723799
cn: 3723799
uidNumber: 3723799
gidNumber: 100
homeDirectory: /var/backup/3723799
sstBackupLastSuccessfulBackup: fe80::1:20261125T190512Z
sstBackupLastSuccessfulBackup: laptop:20261124T100000Z
sstBackupLastSuccessfulBackup: garbage
sstBelongsToResellerUID: 4000001
sstBelongsToResellerUID: 4000002
createTimestamp: 20251231230000Z

dn: uid=x*)(uid=*,${accountsBase}
objectClass: top
objectClass: account
objectClass: sstBackupMonitorSettings
uid: x*)(uid=*
mail: star@example.org
createTimestamp: 20251231230000Z
`;

describe.skipIf(!requireBinaries(["slapd", "slapadd"]))("LDAP directory against slapd", () => {
  let slapd: Slapd;
  let config: DirectoryConfig;
  const dir = mkdtempSync(path.join(tmpdir(), "stoney-ldap-"));

  beforeAll(async () => {
    slapd = await startSlapd({ ldif: [exampleLdif, extraLdif] });
    config = directorySchema.parse({ ...slapd.configFor(), cacheTtlSeconds: 0 });
  });
  afterAll(async () => {
    await slapd?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("resolves the recipients of every example account", async () => {
    const directory = openDirectory(config, logger);
    const { found, unknown } = await lookUpAccounts(directory, [...exampleUids, "3799999"], config);
    expect(unknown).toEqual(["3799999"]);
    expect(summarize(found)).toEqual(exampleRecipients);
    expect(summarizeSettings(found)).toEqual(exampleSettings);
  });

  it("maps every account exactly as the LDIF backend does", async () => {
    const file = path.join(dir, "same.ldif");
    writeFileSync(file, `${readFileSync(exampleLdif, "utf8")}\n${extraLdif}`);
    const fromLdap = await allAccounts(openDirectory(config, logger));
    const fromFile = await allAccounts(openDirectory({ ...config, url: `file:${file}` }, logger));
    // The server writes the "=" inside the RDN value as "\3D": compare DNs apart from that.
    const byUid = (accounts: typeof fromLdap) =>
      Object.fromEntries(
        accounts.map((account) => [account.uid, { ...account, dn: account.dn.replace("\\3D", "=") }]),
      );
    expect(fromLdap).toHaveLength(12);
    expect(byUid(fromLdap)).toEqual(byUid(fromFile));
    const posix = byUid(fromLdap)["3723799"];
    expect(posix).toMatchObject({
      home: "/var/backup/3723799",
      resellerUids: ["4000001", "4000002"],
      notes: ['last successful backup "garbage": expected host:YYYYMMDDThhmmssZ or 0 (ignored)'],
    });
    expect(posix?.lastSuccessfulBackup.get("fe80::1")).toEqual(new Date("2026-11-25T19:05:12Z"));
    // createTimestamp is operational: it only arrives because it is asked for by name.
    expect(byUid(fromLdap)["3723706"]?.createdAt).toEqual(new Date("2026-10-01T12:00:00Z"));
  });

  it("keeps non-ASCII values", async () => {
    const directory = openDirectory(config, logger);
    expect((await directory.getResellers(["4000002"])).get("4000002")?.name).toBe("Éclair Informatique SàRL");
    expect((await directory.getPersons(["5000002"])).get("5000002")).toMatchObject({
      givenName: "Zoë",
      surname: "Lefèvre",
    });
  });

  it("escapes uids: filter characters match only the literal uid", async () => {
    const directory = openDirectory(config, logger);
    expect([...(await directory.getAccounts(["*)(uid=*", "*", "3723701)(uid=*"])).keys()]).toEqual([]);
    expect([...(await directory.getPersons(["*"])).keys()]).toEqual([]);
    const literal = await directory.getAccounts(["x*)(uid=*"]);
    expect(literal.get("x*)(uid=*")?.mail).toEqual(["star@example.org"]);
  });

  it("fails a wrong bind password with a clear message", async () => {
    const directory = openDirectory({ ...config, bindPassword: "wrong" }, logger);
    await expect(allAccounts(directory)).rejects.toThrow(
      new DirectoryError(`directory: bind as ${slapd.bindDN} failed: invalid credentials`, {
        unavailable: true,
      }),
    );
  });

  it("fails an unreachable server with a clear message", async () => {
    const url = "ldap://127.0.0.1:1";
    await expect(openDirectory({ ...config, url }, logger).check()).rejects.toThrow(
      `directory: cannot reach ${url}: ECONNREFUSED`,
    );
  });

  it("reports a missing accounts base in check()", async () => {
    const directory = openDirectory(
      { ...config, accounts: { ...config.accounts, base: "ou=nowhere,dc=stoney-cloud,dc=org" } },
      logger,
    );
    await expect(directory.check()).rejects.toThrow(
      `directory: accounts base ou=nowhere,dc=stoney-cloud,dc=org does not exist on ${slapd.url}`,
    );
    expect(await openDirectory(config, logger).check()).toBe(
      `bound as ${slapd.bindDN}, ${accountsBase} readable`,
    );
  });

  it("reports a stopped server clearly and recovers when it is back", async () => {
    const directory = openDirectory(config, logger);
    expect(await allAccounts(directory)).toHaveLength(12);
    await slapd.stop();
    try {
      await expect(allAccounts(directory)).rejects.toThrow(
        `directory: cannot reach ${slapd.url}: ECONNREFUSED`,
      );
      await expect(directory.getPersons(["5000001"])).rejects.toThrow(DirectoryError);
    } finally {
      await slapd.start();
    }
    expect(await allAccounts(directory)).toHaveLength(12);
    expect((await directory.getPersons(["5000001"])).size).toBe(1);
  });

  it("searches again for every list of all accounts, unless told to reuse it", async () => {
    const fresh = openDirectory({ ...config, cacheTtlSeconds: 60 }, logger) as LdapDirectory;
    await allAccounts(fresh);
    const afterFirst = fresh.searches;
    await allAccounts(fresh);
    expect(fresh.searches).toBeGreaterThan(afterFirst);
    const reusing = openDirectory({ ...config, accountListCacheSeconds: 60 }, logger) as LdapDirectory;
    await allAccounts(reusing);
    const searches = reusing.searches;
    expect(await allAccounts(reusing)).toHaveLength(12);
    expect(reusing.searches).toBe(searches);
  });

  it("answers from its cache for the TTL, also while the server is down", async () => {
    const directory = openDirectory({ ...config, cacheTtlSeconds: 60 }, logger) as LdapDirectory;
    await directory.getAccounts(["3723701", "3799999"]);
    const searches = directory.searches;
    await slapd.stop();
    try {
      const again = await directory.getAccounts(["3723701", "3799999"]);
      expect([...again.keys()]).toEqual(["3723701"]);
      expect(directory.searches).toBe(searches);
    } finally {
      await slapd.start();
    }
  });

  it("explains every example account through the CLI", async () => {
    const passwordFile = path.join(dir, "password");
    writeFileSync(passwordFile, `${slapd.bindPassword}\n`);
    const configFile = path.join(dir, "config.yaml");
    writeFileSync(
      configFile,
      `directory:\n  url: ${slapd.url}\n  bindDN: ${slapd.bindDN}\n  bindPasswordFile: ./password\n`,
    );
    const explained = await runCli(["--config", configFile, "explain", ...exampleUids]);
    expect(explained.stderr).toBe("");
    expect(explained.code).toBe(0);
    expect(parseExplainOutput(explained.stdout)).toEqual(exampleRecipients);

    const checked = await runCli(["--config", configFile, "check-config", "--role", "bridge"]);
    expect(checked.stdout).toBe(
      `configuration ${configFile}: ok (roles: bridge)\ndirectory ${slapd.url}: ok (bound as ${slapd.bindDN}, ${accountsBase} readable)\n` +
        `mail file:${dir}/data/mail: ok (mails are written to ${dir}/data/mail)\n`,
    );
    expect(checked.code).toBe(0);

    const failed = await runCli(["--config", configFile, "check-config", "--role", "bridge"], {
      STONEY_LDAP_BIND_PASSWORD: "wrong",
    });
    expect(failed.stdout).toContain(
      `configuration ${configFile}: ok (roles: bridge)\ndirectory ${slapd.url}: FAILED: directory: bind as ${slapd.bindDN} failed: invalid credentials\n`,
    );
    expect(failed.code).toBe(1);
  });
});

describe.skipIf(!requireBinaries(["slapd", "slapadd"]))("LDAP directory with thousands of accounts", () => {
  const count = 1200;
  let slapd: Slapd;
  let config: DirectoryConfig;

  beforeAll(async () => {
    const entries = [];
    for (let i = 0; i < count; i++) {
      const uid = String(3800000 + i);
      entries.push({
        dn: `uid=${uid},${accountsBase}`,
        attributes: {
          objectClass: ["top", "account", "sstBackupMonitorSettings", "sstRelationship"],
          uid: [uid],
          sstBelongsToPersonUID: [String(5100000 + i)],
          sstBelongsToResellerUID: [i % 2 === 0 ? "4000001" : "4000002"],
        },
      });
      entries.push({
        dn: `uid=${5100000 + i},ou=people,dc=stoney-cloud,dc=org`,
        attributes: {
          objectClass: ["top", "sstPerson"],
          uid: [String(5100000 + i)],
          givenName: ["Kunde"],
          sn: [`Nummer ${i}`],
          mail: [`kunde${i}@example.ch`],
          preferredLanguage: ["de-CH"],
          sstTimeZoneOffset: ["+01:00"],
          userPassword: ["{CRYPT}*"],
        },
      });
    }
    slapd = await startSlapd({ ldif: [exampleLdif, formatLdif(entries)] });
    config = directorySchema.parse({ ...slapd.configFor(), cacheTtlSeconds: 0 });
  });
  afterAll(async () => {
    await slapd?.dispose();
  });

  it("the server limits unpaged searches (so the paging below is real)", async () => {
    const client = new Client({ url: slapd.url });
    await client.bind(slapd.bindDN, slapd.bindPassword);
    await expect(
      client.search(accountsBase, { filter: "(uid=*)", attributes: ["uid"] }),
    ).rejects.toBeInstanceOf(SizeLimitExceededError);
    await client.unbind();
  });

  it("lists every account with a paged search", async () => {
    const directory = new LdapDirectory(config, logger);
    const accounts = await allAccounts(directory);
    expect(accounts).toHaveLength(count + exampleUids.length);
    expect(new Set(accounts.map((account) => account.uid)).size).toBe(accounts.length);
    expect(directory.searches).toBe(Math.ceil(accounts.length / config.pageSize));
  });

  it("looks up many accounts with at most one search per 50 accounts", async () => {
    const directory = new LdapDirectory(config, logger);
    const uids = Array.from({ length: count }, (_, i) => String(3800000 + i));
    const { found, unknown } = await lookUpAccounts(directory, uids, config);
    expect(unknown).toEqual([]);
    expect(found.size).toBe(count);
    expect(found.get("3800001")?.resolution.recipients.map((r) => r.address)).toEqual([
      "kunde1@example.ch",
      "support@eclair.example",
    ]);
    expect(directory.searches).toBeLessThanOrEqual(count / 50);
  });
});

describe.skipIf(!requireBinaries(["slapd", "slapadd", "openssl"]))("LDAP directory over TLS", () => {
  let slapd: Slapd;
  let config: DirectoryConfig;

  beforeAll(async () => {
    slapd = await startSlapd({ tls: true });
    config = directorySchema.parse({
      ...slapd.configFor(),
      cacheTtlSeconds: 0,
      tls: { caFile: slapd.caFile },
    });
  });
  afterAll(async () => {
    await slapd?.dispose();
  });

  it("reads over ldaps:// with the configured CA", async () => {
    const directory = openDirectory({ ...config, url: slapd.ldapsUrl ?? "" }, logger);
    expect(await allAccounts(directory)).toHaveLength(exampleUids.length);
  });

  it("reads over ldap:// upgraded with StartTLS", async () => {
    const directory = openDirectory({ ...config, startTLS: true }, logger);
    expect((await directory.getPersons(["5000001"])).get("5000001")?.surname).toBe("Müller");
  });

  it("refuses a certificate it cannot verify, with a clear message", async () => {
    const untrusted = { ...config, url: slapd.ldapsUrl ?? "", tls: { rejectUnauthorized: true } };
    await expect(openDirectory(untrusted, logger).check()).rejects.toThrow(
      new RegExp(`^directory: TLS with ${slapd.ldapsUrl} failed: .*certificate`),
    );
    const insecure = { ...config, url: slapd.ldapsUrl ?? "", tls: { rejectUnauthorized: false } };
    expect(await openDirectory(insecure, logger).check()).toContain("readable");
  });
});

describe("LDAP directory against a server that never answers", () => {
  it("gives up after timeoutMs with a clear message", async () => {
    const sockets: Socket[] = [];
    const server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    const url = `ldap://127.0.0.1:${port}`;
    try {
      const config = directorySchema.parse({ url, bindDN: "cn=monitor", bindPassword: "x", timeoutMs: 200 });
      await expect(openDirectory(config, logger).check()).rejects.toThrow(
        `directory: ${url} did not answer binding as cn=monitor within 200 ms`,
      );
    } finally {
      for (const socket of sockets) socket.destroy();
      server.close();
    }
  });
});
