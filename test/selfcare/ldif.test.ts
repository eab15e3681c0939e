import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDirectory, parseLdif } from "../../src/directory/index.js";
import { createLogger } from "../../src/log.js";
import { userPasswordMatches } from "../../src/selfcare/directory.js";
import { explainPersonCommand } from "../../src/selfcare/index.js";
import { findBinary } from "../support/binaries.js";
import {
  accountsBase,
  demo,
  exampleLdif,
  type Harness,
  login,
  portalConfig,
  resellersBase,
  startPortal,
  testPersons,
} from "./support.js";

/** A reseller without a settings entry, its contact (5000022) and one account of it. */
const resellerWithoutSettings = `
dn: uid=4000003,${resellersBase}
objectClass: top
objectClass: sstReseller
objectClass: sstRelationship
uid: 4000003
sstBelongsToResellerUID: 4000000
sstIsCompany: TRUE
o: Ohne Vorgaben GmbH
sstResponsiblePersonUID: 5000022

dn: uid=3723790,${accountsBase}
objectClass: top
objectClass: account
objectClass: sstRelationship
objectClass: sstBackupMonitorSettings
uid: 3723790
sstBelongsToResellerUID: 4000003
createTimestamp: 20250101000000Z
`;

describe("userPassword schemes as OpenLDAP checks them", () => {
  it("accepts {SSHA}, {SHA} and cleartext, and nothing else", () => {
    const slappasswd = findBinary("slappasswd");
    if (slappasswd) {
      for (const scheme of ["{SSHA}", "{SHA}"]) {
        const hash = execFileSync(slappasswd, ["-h", scheme, "-s", "geheim"], { encoding: "utf8" }).trim();
        expect(userPasswordMatches(hash, "geheim"), hash).toBe(true);
        expect(userPasswordMatches(hash, "Geheim"), hash).toBe(false);
      }
    }
    expect(userPasswordMatches("{SHA}JpOYNyISsYPfW6yd+BKhXtmsD3s=", "selfcare-off")).toBe(true);
    expect(userPasswordMatches("plain", "plain")).toBe(true);
    expect(userPasswordMatches("plain", "plain ")).toBe(false);
    expect(userPasswordMatches("{CRYPT}*", "*")).toBe(false);
    expect(userPasswordMatches("{SSHA}", "")).toBe(false);
  });
});

describe("self-care portal on the LDIF backend", () => {
  let dir: string;
  let file: string;
  let harness: Harness;
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "stoney-selfcare-ldif-"));
    file = path.join(dir, "directory.ldif");
    copyFileSync(exampleLdif, file);
    writeFileSync(file, `${readFileSync(file, "utf8")}\n${testPersons}${resellerWithoutSettings}`);
    harness = await startPortal({ url: `file:${file}` });
    url = harness.portal.url;
  });
  afterAll(async () => {
    await harness?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("logs in with {SSHA} and cleartext passwords, refuses the inactive and the wrong", async () => {
    await login(url, demo.customer);
    await login(url, { uid: "5000022", password: "throttle-secret" });
    await expect(login(url, { uid: "5000020", password: "inactive-secret" })).rejects.toThrow(/401/);
    await expect(login(url, { uid: "5000021", password: "selfcare-off" })).rejects.toThrow(/401/);
    await expect(login(url, { uid: "5000001", password: "demo-colleague" })).rejects.toThrow(/401/);
  });

  it("appends a changetype: modify record that the directory and the exporter's next collection read", async () => {
    const customer = await login(url, demo.customer);
    const before = readFileSync(file, "utf8");
    const response = await customer.call("PUT", "/api/v1/accounts/3723701/settings", {
      quotaWarningPercent: 75,
      warnings: false,
    });
    expect(response.status).toBe(200);
    const appended = readFileSync(file, "utf8").slice(before.length);
    expect(appended).toBe(
      [
        "",
        `dn: uid=3723701,${accountsBase}`,
        "changetype: modify",
        "replace: sstBackupWarningOn",
        "sstBackupWarningOn: FALSE",
        "-",
        "replace: sstNotificationWarningLevel",
        "sstNotificationWarningLevel: 75",
        "-",
        "",
      ].join("\n"),
    );
    const directory = openDirectory(harness.config.directory, createLogger("fatal"));
    const account = (await directory.getAccounts(["3723701"])).get("3723701");
    expect(account?.settings).toMatchObject({ quotaWarningPercent: 75, warnings: false });
    await harness.exporter.collect();
    const exported = (await harness.exporter.status.accounts(["3723701"])).get("3723701");
    expect(exported?.settings.quotaWarningPercent.value).toBe(75);
    expect(exported?.settings.warnings.value).toBe(false);
  });

  it("creates a reseller's missing settings entry with a changetype: add record", async () => {
    const contact = await login(url, { uid: "5000022", password: "throttle-secret" });
    const list = (await (await contact.call("GET", "/api/v1/accounts")).json()) as {
      accounts: { uid: string }[];
    };
    expect(list.accounts.map((a) => a.uid)).toEqual(["3723790"]);
    const before = readFileSync(file, "utf8");
    const response = await contact.call("PUT", "/api/v1/resellers/4000003/settings", {
      quotaWarningPercent: 70,
    });
    expect(response.status).toBe(200);
    const appended = readFileSync(file, "utf8").slice(before.length);
    expect(appended).toMatch(/\nchangetype: add\n/);
    expect(parseLdif(appended)[0]?.dn).toBe(`ou=settings,uid=4000003,${resellersBase}`);
    const directory = openDirectory(harness.config.directory, createLogger("fatal"));
    const reseller = (await directory.getResellers(["4000003"])).get("4000003");
    expect(reseller?.settings.quotaWarningPercent).toBe(70);
    const account = (await (await contact.call("GET", "/api/v1/accounts/3723790")).json()) as {
      settings: { quotaWarningPercent: unknown };
    };
    expect(account.settings.quotaWarningPercent).toEqual({
      value: 70,
      source: "reseller",
      resellerUid: "4000003",
    });
  });
});

describe("explain --person", () => {
  const run = async (uid: string) => {
    const { config, dir } = portalConfig({ url: `file:${exampleLdif}` });
    const written = { stdout: [] as string[], stderr: [] as string[] };
    const output = {
      stdout: { write: (text: string) => written.stdout.push(text) > 0 },
      stderr: { write: (text: string) => written.stderr.push(text) > 0 },
    };
    const code = await explainPersonCommand(config, uid, output);
    rmSync(dir, { recursive: true, force: true });
    return { code, stdout: written.stdout.join(""), stderr: written.stderr.join("") };
  };

  it("prints a reseller contact's resellers and accounts and why", async () => {
    const { code, stdout } = await run("5000010");
    expect(code).toBe(0);
    expect(stdout).toContain("name                 Élodie Dubois");
    expect(stdout).toContain("resellers (1)");
    expect(stdout).toContain("4000002  named in sstInformPersonUID");
    expect(stdout).toContain("accounts (4)");
    expect(stdout).toMatch(/3723709 +reseller 4000002's contact \(sstInformPersonUID\)/);
  });

  it("prints why a colleague sees one account, and fails for an unknown person", async () => {
    expect((await run("5000004")).stdout).toMatch(
      /accounts \(1\)\n {2}3723701 +allowed \(sstAllowPersonUID\)/,
    );
    const unknown = await run("*");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no person with uid *");
  });
});
