import { copyFileSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { directorySchema } from "../../src/config/directory.js";
import { type Directory, DirectoryError, lookUpAccounts, openDirectory } from "../../src/directory/index.js";
import { createLogger } from "../../src/log.js";
import { exampleLdif } from "../support/slapd.js";
import { allAccounts } from "./allAccounts.js";
import {
  exampleRecipients,
  exampleSettings,
  exampleUids,
  summarize,
  summarizeSettings,
} from "./exampleRecipients.js";

const logger = createLogger("silent");
const dir = mkdtempSync(path.join(tmpdir(), "stoney-ldif-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const open = (file: string, extra: Record<string, unknown> = {}): Directory =>
  openDirectory(directorySchema.parse({ url: `file:${file}`, ...extra }), logger);

describe("LDIF directory", () => {
  const config = directorySchema.parse({ url: `file:${exampleLdif}` });
  const directory = openDirectory(config, logger);

  it("lists the example accounts and nothing else", async () => {
    const accounts = await allAccounts(directory);
    expect(accounts.map((account) => account.uid).sort()).toEqual(exampleUids);
  });

  it("resolves the recipients of every example account", async () => {
    const { found, unknown } = await lookUpAccounts(directory, [...exampleUids, "3799999"], config);
    expect(unknown).toEqual(["3799999"]);
    expect(summarize(found)).toEqual(exampleRecipients);
    expect(summarizeSettings(found)).toEqual(exampleSettings);
  });

  it("keeps non-ASCII values, including base64 ones", async () => {
    const resellers = await directory.getResellers(["4000002"]);
    expect(resellers.get("4000002")?.name).toBe("Éclair Informatique SàRL");
    const persons = await directory.getPersons(["5000001", "5000010"]);
    expect(persons.get("5000001")).toMatchObject({ givenName: "Jürg", surname: "Müller" });
    expect(persons.get("5000010")?.givenName).toBe("Élodie");
  });

  it("finds no account for an injected uid", async () => {
    expect((await directory.getAccounts(["*)(uid=*", "*", "3723701)(uid=*"])).size).toBe(0);
  });

  it("applies the configured bases and filters", async () => {
    const filtered = open(exampleLdif, { accounts: { filter: "(sstBackupWarningOn=TRUE)" } });
    expect((await allAccounts(filtered)).map((a) => a.uid).sort()).toEqual([
      "3723701",
      "3723705",
      "3723706",
      "3723707",
      "3723709",
    ]);
    const elsewhere = open(exampleLdif, { accounts: { base: "ou=people,dc=stoney-cloud,dc=org" } });
    expect(await allAccounts(elsewhere)).toEqual([]);
  });

  it("re-reads the file when it changes", async () => {
    const file = path.join(dir, "changing.ldif");
    copyFileSync(exampleLdif, file);
    const changing = open(file);
    expect((await changing.getAccounts(["3723701"])).get("3723701")?.mail).toHaveLength(2);
    writeFileSync(
      file,
      `${readFileSync(file, "utf8")}
dn: uid=3723701,ou=accounts,ou=backup,ou=services,dc=stoney-cloud,dc=org
changetype: modify
replace: mail
mail: new@alpenblick.example
-
`,
    );
    const later = new Date(Date.now() + 5_000);
    utimesSync(file, later, later);
    expect((await changing.getAccounts(["3723701"])).get("3723701")?.mail).toEqual([
      "new@alpenblick.example",
    ]);
  });

  it("reports LDIF errors with the file and line number", async () => {
    const file = path.join(dir, "broken.ldif");
    writeFileSync(file, "dn: dc=example\ndc: example\n\ndn: uid=1,dc=example\nuid 1\n");
    const error = await allAccounts(open(file)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DirectoryError);
    expect((error as Error).message).toBe(
      `directory: ${file}: line 5: expected "attribute: value", got "uid 1"`,
    );
    await expect(open(path.join(dir, "missing.ldif")).check()).rejects.toThrow(
      `directory: cannot read ${path.join(dir, "missing.ldif")}: ENOENT`,
    );
  });

  it("checks by reading the file", async () => {
    expect(await directory.check()).toBe(`${exampleLdif}: 26 entries, 10 accounts, 5 persons, 2 resellers`);
  });
});
