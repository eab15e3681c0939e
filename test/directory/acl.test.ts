import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { directorySchema } from "../../src/config/directory.js";
import { lookUpAccounts, openDirectory } from "../../src/directory/index.js";
import { createLogger } from "../../src/log.js";
import { requireBinaries } from "../support/binaries.js";
import { exampleLdif, repoRoot, type Slapd, startSlapd } from "../support/slapd.js";
import { allAccounts } from "./allAccounts.js";
import { exampleUids } from "./exampleRecipients.js";

const logger = createLogger("silent");

/** The OpenLDAP access rules the operator guide gives for the monitor's bind account. */
const documentedAcl = (): string => {
  const guide = readFileSync(path.join(repoRoot, "docs/operator-guide.md"), "utf8");
  const block = [...guide.matchAll(/^```\w*\n([\s\S]*?)^```$/gm)]
    .map((m) => m[1] ?? "")
    .find((text) => text.includes("size.prtotal=unlimited") && text.includes("access to"));
  if (!block) throw new Error("docs/operator-guide.md has no slapd.conf block with the monitor's ACL");
  return block;
};

describe.skipIf(!requireBinaries(["slapd", "slapadd"]))("the operator guide's OpenLDAP ACL", () => {
  let slapd: Slapd;
  beforeAll(async () => {
    slapd = await startSlapd({ access: documentedAcl() });
  });
  afterAll(async () => slapd?.dispose());

  const settings = { resellerMail: true, defaults: directorySchema.parse({ url: "file:x" }).defaults };
  const fromLdif = () => openDirectory(directorySchema.parse({ url: `file:${exampleLdif}` }), logger);

  it("lets the bind account read everything the monitor reads from the LDIF", async () => {
    const ldap = openDirectory(directorySchema.parse(slapd.configFor()), logger);
    const ldif = fromLdif();
    try {
      const strip = (accounts: { dn?: string }[]) =>
        accounts
          .map(({ dn: _dn, ...rest }) => rest)
          .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
      expect(strip(await allAccounts(ldap))).toEqual(strip(await allAccounts(ldif)));
      const viaLdap = await lookUpAccounts(ldap, exampleUids, settings);
      const viaLdif = await lookUpAccounts(ldif, exampleUids, settings);
      expect(viaLdap.unknown).toEqual(viaLdif.unknown);
      expect(
        JSON.stringify([...viaLdap.found.entries()].map(([uid, r]) => [uid, r.settings, r.resolution])),
      ).toBe(JSON.stringify([...viaLdif.found.entries()].map(([uid, r]) => [uid, r.settings, r.resolution])));
    } finally {
      await Promise.all([ldap.close(), ldif.close()]);
    }
  });

  it("shows nothing to an anonymous client", async () => {
    const anonymous = openDirectory(directorySchema.parse({ url: slapd.url }), logger);
    try {
      const accounts = await allAccounts(anonymous).catch(() => []);
      expect(accounts).toEqual([]);
    } finally {
      await anonymous.close();
    }
  });
});
