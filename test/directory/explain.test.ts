import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "../support/slapd.js";
import { exampleRecipients, exampleUids, parseExplainOutput } from "./exampleRecipients.js";
import { runCli } from "./runCli.js";

const exampleConfig = path.join(repoRoot, "examples/config.yaml");
const dir = mkdtempSync(path.join(tmpdir(), "stoney-explain-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const section = (text: string, uid: string) =>
  text.split("\n\n").find((block) => block.startsWith(`account ${uid}\n`)) ?? "";

describe("explain over the example LDIF directory", () => {
  it("shows who gets mail for every example account", async () => {
    const { code, stdout, stderr } = await runCli(["--config", exampleConfig, "explain", ...exampleUids]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(parseExplainOutput(stdout)).toEqual(exampleRecipients);

    const overQuota = section(stdout, "3723702");
    expect(overQuota).toContain("  warnings flag            TRUE (sstBackupWarnings)\n");
    expect(overQuota).toContain(
      "  quota                    10737418240 bytes; used 9448928051 + 966367642 increments = 97.0 %\n",
    );
    expect(overQuota).toContain("  warnings                        on    (account, sstBackupWarnings)\n");
    expect(overQuota).toContain(
      "  quota warning percent           90    (reseller 4000001's settings entry)\n",
    );
    expect(overQuota).toContain("  missed backups threshold        1     (configuration default)\n");
    expect(overQuota).toContain(
      "  customer  juerg.mueller@example.ch  de-CH  Europe/Zurich  (mail of person 5000001, the account's owner; the account has no mail)\n",
    );
    expect(section(stdout, "3723704")).toContain(
      "  reseller  support@eclair.example  fr-CH  Europe/Zurich  (mail of person 5000010, sstInformPersonUID of reseller 4000002; no mail on the reseller entry)",
    );
    expect(section(stdout, "3723706")).toContain("  created                  2026-10-01T12:00:00Z\n");
    expect(section(stdout, "3723707")).toContain("  last successful backups  laptop 2026-11-25T19:05:12Z\n");
    expect(section(stdout, "3723708")).toContain("  active                   no (not monitored)\n");
    expect(section(stdout, "3723709")).toContain("  failed backups threshold        0     (account)\n");
    expect(section(stdout, "3723701")).toContain(
      `  home                     ${path.join(repoRoot, "examples/backup/3723701")} (no homeDirectory)\n`,
    );
  });

  it("exits 1 naming an unknown uid, and still explains the known ones", async () => {
    const { code, stdout, stderr } = await runCli([
      "--config",
      exampleConfig,
      "explain",
      "3723701",
      "3799999",
    ]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^account 3723701\n/);
    expect(stderr).toBe(
      `explain: no account with uid 3799999 in file:${path.join(repoRoot, "examples/directory.ldif")}\n`,
    );
  });

  it("exits 1 with the directory's message, without a stack trace, when the directory is broken", async () => {
    writeFileSync(path.join(dir, "broken.ldif"), "dn: dc=example\ndc example\n");
    writeFileSync(path.join(dir, "config.yaml"), "directory:\n  url: file:./broken.ldif\n");
    const { code, stderr } = await runCli(["--config", path.join(dir, "config.yaml"), "explain", "3723701"]);
    expect(code).toBe(1);
    expect(stderr).toBe(
      `directory: ${path.join(dir, "broken.ldif")}: line 2: expected "attribute: value", got "dc example"\n`,
    );

    const checked = await runCli(["--config", path.join(dir, "config.yaml"), "check-config"]);
    expect(checked.code).toBe(1);
    expect(checked.stdout).toContain(`FAILED: directory: ${path.join(dir, "broken.ldif")}: line 2:`);
  });

  it("check-config reads the example directory", async () => {
    const { code, stdout } = await runCli(["--config", exampleConfig, "check-config"]);
    expect(code).toBe(0);
    expect(stdout).toContain(
      `directory file:${path.join(repoRoot, "examples/directory.ldif")}: ok (${path.join(repoRoot, "examples/directory.ldif")}: 26 entries, 10 accounts, 5 persons, 2 resellers)\n`,
    );
  });
});
