import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { simpleParser } from "mailparser";
import { afterEach, describe, expect, it } from "vitest";
import { previewMail, previewTasks } from "../../src/bridge/preview.js";
import { configSchema, type Language } from "../../src/config/index.js";
import { captureLogger, exampleLdif, runCli, tempDir } from "./support.js";

const config = configSchema.parse({
  directory: { url: `file:${exampleLdif}` },
  bridge: {
    smtp: { from: "stoney backup <backup@stoney-cloud.example>" },
    templates: { selfCareUrl: "https://selfcare.stoney-cloud.example/backup" },
    unsubscribe: { secret: "the key of the one-click links in this test, 48 chars" },
  },
});
const quiet = captureLogger("fatal").logger;
const NOW = Date.parse("2026-12-01T07:00:00Z");

describe("preview", () => {
  let remove = () => {};
  afterEach(() => remove());

  it("renders every task, status, language and audience without a missing value", async () => {
    for (const task of previewTasks)
      for (const status of ["firing", "resolved"] as const)
        for (const language of ["de", "en", "fr"] as Language[])
          for (const audience of ["customer", "reseller", "operator"] as const) {
            const mail = await previewMail(
              config,
              { task: task as "quota", status, language, audience },
              quiet,
              NOW,
            );
            expect(mail.subject, `${task} ${status} ${language} ${audience}`).not.toBe("");
            expect(mail.text).not.toMatch(/undefined|\{\{|NaN/);
            expect(mail.headers?.["Content-Language"]).toBe(language);
          }
  });

  it("goes on in lower case after the German greeting, in the digests too", async () => {
    for (const audience of ["customer", "reseller"] as const) {
      const mail = await previewMail(
        config,
        { task: "digest", status: "firing", language: "de", audience },
        quiet,
        NOW,
      );
      const [greeting, , first] = mail.text.split("\n");
      expect(greeting, audience).toMatch(/^Guten Tag.*,$/);
      expect(first, audience).toMatch(/^\p{Ll}/u);
    }
  });

  it("uses a real account's names from the directory", async () => {
    const mail = await previewMail(
      config,
      { task: "schedule", status: "firing", language: "de", audience: "customer", account: "3723701" },
      quiet,
      NOW,
    );
    expect(mail.recipient.address).toBe("backup@alpenblick.example");
    expect(mail.text.split("\n")[0]).toBe("Guten Tag Jürg Müller,");
    expect(mail.headers?.["List-Unsubscribe"]).toMatch(
      /^<https:\/\/selfcare\.stoney-cloud\.example\/backup\/unsubscribe\/[\w-]+\.[\w-]+>$/,
    );
  });

  it("prints the mail, or writes the message that would go out", async () => {
    const temp = tempDir();
    remove = temp.remove;
    const file = path.join(temp.dir, "config.yaml");
    writeFileSync(file, `directory:\n  url: file:${exampleLdif}\n`);
    const printed = await runCli([
      "preview",
      "--config",
      file,
      "--task",
      "quota",
      "--lang",
      "fr",
      "--audience",
      "reseller",
    ]);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toContain("Subject: Sauvegarde 3723702\u202f: espace occupé à 97");
    const out = path.join(temp.dir, "digest.eml");
    const written = await runCli([
      "preview",
      "--config",
      file,
      "--task",
      "digest",
      "--lang",
      "fr",
      "--audience",
      "reseller",
      "--out",
      out,
    ]);
    expect(written.code, written.stderr).toBe(0);
    const parsed = await simpleParser(readFileSync(out));
    expect(parsed.subject).toMatch(
      /^Rapport hebdomadaire des sauvegardes \d{1,2}[^:W]*–[^:W]*\d{4}\u202f: 4 comptes, 1 en échec$/,
    );
    expect(parsed.html).toContain("<table");
    expect(parsed.text).toContain("Compte");
    const bad = await runCli(["preview", "--config", file, "--task", "nosuch"]);
    expect(bad.code).not.toBe(0);
  });
});
