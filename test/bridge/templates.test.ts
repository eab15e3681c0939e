import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  builtinCatalogs,
  type MailContext,
  type MailEntry,
  placeholders,
  renderMail,
  TemplateOverrideError,
  templateKeys,
  templateSource,
  toLanguage,
} from "../../src/bridge/templates/index.js";
import { captureLogger, quotaAnnotations, tempDir } from "./support.js";

const quiet = captureLogger().logger;
const builtin = templateSource(undefined, quiet);

const entry = (overrides: Partial<MailEntry> = {}): MailEntry => ({
  task: "quota",
  status: "firing",
  labels: { alertname: "StoneyBackupQuota", account: "3723702", host: "büro-pc", task: "quota" },
  annotations: quotaAnnotations,
  startsAt: "2026-11-26T10:00:00Z",
  ...overrides,
});

const context = (overrides: Partial<MailContext> = {}): MailContext => ({
  audience: "customer",
  language: "en",
  timeZone: "+01:00",
  selfCareUrl: "https://selfcare.example.org/backup",
  ...overrides,
});

describe("built-in templates", () => {
  it("define every key in every language, with known placeholders only", () => {
    for (const catalog of Object.values(builtinCatalogs)) {
      expect(Object.keys(catalog).sort()).toEqual([...templateKeys].sort());
      for (const lines of Object.values(catalog))
        for (const line of lines)
          for (const match of line.matchAll(/\{\{(\w+)\}\}/g))
            expect(placeholders as readonly string[]).toContain(match[1]);
    }
  });

  it("write a short specific subject and the concrete facts", () => {
    const mail = renderMail([entry()], context({ recipientName: "Jürg Müller" }), builtin);
    expect(mail.subject).toBe("Backup 3723702: storage 97% full");
    expect(mail.text).toContain("Hello Jürg Müller,");
    expect(mail.text).toContain("Storage used: 9.7 GiB of 10 GiB (97%).");
    expect(mail.text).toContain("Warning level: 90%.");
    expect(mail.text).toContain("computer büro-pc");
    expect(mail.text).toContain("Open account 3723702: https://selfcare.example.org/backup/accounts/3723702");
    expect(mail.html).toContain(
      '<a class="sbm-button" href="https://selfcare.example.org/backup/accounts/3723702"',
    );
  });

  it("say since when, why it matters and what to do, in the customer's words", () => {
    const now = Date.parse("2026-12-03T09:00:00Z");
    const mail = renderMail(
      [entry({ task: "schedule", labels: { account: "3723702", host: "büro-pc", task: "schedule" } })],
      context({ timeZone: "Europe/Zurich", now }),
      builtin,
    );
    const started = renderMail(
      [
        entry({
          task: "schedule",
          startsAt: "2026-12-01T01:15:00Z",
          labels: { account: "3723702", host: "büro-pc", task: "schedule" },
          annotations: { missed_schedules: "3" },
        }),
      ],
      context({ timeZone: "Europe/Zurich", now }),
      builtin,
    );
    expect(mail.text).toContain("For 6 days, since 26 November at 11:00.");
    expect(started.text).toContain("For 2 days, since Tuesday 02:15.");
    expect(started.text).toContain("Without regular backups, whatever changed since the last backup is lost");
    expect(started.text).toMatch(/What to do:\n {2}1\. Make sure the computer is switched on/);
    expect(started.text).toContain("(account 3723702, computer büro-pc)");
    expect(started.text).not.toMatch(/\bhost\b/);
  });

  it("tell a reseller whom to ask and how to reach them, not the customer's own steps", () => {
    const mail = renderMail(
      [entry({ customerName: "Jürg Müller", customerContact: "juerg@alpenblick.example" })],
      context({ audience: "reseller", now: Date.parse("2026-11-27T10:00:00Z") }),
      builtin,
    );
    expect(mail.text).toContain("Please ask Jürg Müller (juerg@alpenblick.example) to delete old backups");
    expect(mail.text).not.toContain("Delete old backups you no longer need");
  });

  it("name the installed and the minimum client version and where to download it", () => {
    const upgrade = entry({
      task: "upgrade",
      labels: { account: "3723705", host: "pc", task: "upgrade" },
      annotations: { client_identifier: "Sepiola Online Backup Client", client_version: "2.4.0" },
    });
    const clients = {
      minimumVersions: { "Sepiola Online Backup Client": "2.6.0" },
      downloads: { "Sepiola Online Backup Client": "https://downloads.example.org/sepiola" },
    };
    const mail = renderMail([upgrade], context({ language: "de", clients }), builtin);
    expect(mail.text).toContain("Installiert: Sepiola Online Backup Client 2.4.0.");
    expect(mail.text).toContain("Nötig: Version 2.6.0 oder neuer.");
    expect(mail.text).toContain("herunter: https://downloads.example.org/sepiola");
    const unlisted = renderMail(
      [upgrade],
      context({ clients: { minimumVersions: {}, downloads: {} } }),
      builtin,
    );
    expect(unlisted.text).toContain(
      "Download the current backup program: https://selfcare.example.org/backup/accounts/3723705",
    );
  });

  it("go on in lower case after the German greeting", () => {
    for (const audience of ["customer", "reseller", "operator"] as const) {
      const mail = renderMail(
        [entry()],
        context({ language: "de", audience, recipientName: "Bruno" }),
        builtin,
      );
      const [greeting, , first] = mail.text.split("\n");
      expect(greeting).toMatch(/,$/);
      expect(first, audience).toMatch(/^die /);
    }
  });

  it("set French text with narrow no-break spaces before : ; ! ? and typographic apostrophes", () => {
    const entries = ["quota", "schedule", "unsuccessful", "upgrade", "nobackup", "unreadable"].map((task) =>
      entry({
        task,
        labels: { account: "3723702", host: "pc", task },
        customerName: "Zoë",
        customerContact: "z@example.org",
      }),
    );
    for (const audience of ["customer", "reseller"] as const) {
      const mail = renderMail(entries, context({ language: "fr", audience }), builtin);
      const prose = mail.text.replace(/https?:\/\/\S+/g, "");
      expect(prose).not.toMatch(/[ \u00a0][:;!?]/);
      expect(prose).not.toMatch(/\S[:;!?](\s|$)/u);
      expect(prose).not.toContain("'");
      expect(mail.text).toContain("Votre équipe de sauvegarde");
    }
    const failures = entry({ task: "unsuccessful", annotations: { consecutive_failures: "3" } });
    expect(renderMail([failures], context({ language: "fr" }), builtin).subject).toBe(
      "Sauvegarde 3723702\u202f: 3 échecs de sauvegarde consécutifs",
    );
  });

  it("localize to German and French, with dates in the recipient's zone", () => {
    const schedule = entry({
      task: "schedule",
      labels: { account: "3723704", task: "schedule", host: "pc" },
      annotations: {
        missed_schedules: "3",
        last_success_timestamp: String(Date.parse("2026-11-20T19:05:00Z") / 1000),
      },
    });
    const de = renderMail([schedule], context({ language: "de", timeZone: "Europe/Zurich" }), builtin);
    expect(de.subject).toBe("Backup 3723704: 3 geplante Sicherungen verpasst");
    expect(de.text).toContain("Letzte erfolgreiche Sicherung: 20. November 2026 um 20:05 MEZ.");
    const fr = renderMail([schedule], context({ language: "fr", timeZone: "+01:00" }), builtin);
    expect(fr.subject).toBe("Sauvegarde 3723704\u202f: 3 sauvegardes planifiées manquées");
    expect(fr.text).toContain("20 novembre 2026 à 20:05 (UTC+01:00)");
  });

  it("leave out facts the alert does not carry instead of printing undefined", () => {
    const bare = entry({ annotations: {}, labels: { account: "3723702", task: "quota" } });
    const mail = renderMail([bare], context(), builtin);
    expect(mail.subject).toBe("Backup 3723702: storage almost full");
    expect(mail.text).not.toMatch(/undefined|\{\{/);
    expect(mail.text).toContain("Storage almost full (account 3723702)");
  });

  it("name the account and the customer in reseller mails", () => {
    const mail = renderMail(
      [entry({ customerName: "Jürg Müller" })],
      context({ audience: "reseller" }),
      builtin,
    );
    expect(mail.text).toContain("account 3723702 of Jürg Müller, computer büro-pc");
  });

  it("coalesce many problems into one mail with a counting subject", () => {
    const entries = Array.from({ length: 40 }, (_, i) =>
      entry({
        labels: { account: String(3800000 + i), task: "unsuccessful" },
        task: "unsuccessful",
        annotations: {},
      }),
    );
    const mail = renderMail(entries, context({ audience: "reseller", language: "de" }), builtin);
    expect(mail.subject).toBe("40 Backup-Probleme");
    for (let i = 0; i < 40; i++) expect(mail.text).toContain(`Konto ${3800000 + i}`);
    const mixed = renderMail([entry(), entry({ status: "resolved" })], context(), builtin);
    expect(mixed.subject).toBe("1 backup problem, 1 solved");
  });

  it("render hostile label values harmless: escaped in HTML, no line breaks in the subject", () => {
    const hostile = entry({
      task: "generic",
      labels: { account: '<script>alert("x")</script>', task: "monitoring" },
      annotations: {
        summary: "evil\r\nBcc: victim@example.org",
        description: "<img src=x onerror=alert(1)>",
      },
    });
    const mail = renderMail([hostile], context({ audience: "operator" }), builtin);
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.subject).toContain("evil Bcc: victim@example.org");
    expect(mail.html).not.toContain("<script>");
    expect(mail.html).not.toContain("<img");
    expect(mail.html).toContain("&#60;script&#62;");
  });

  it("greet with each language's punctuation", () => {
    const de = renderMail([entry()], context({ language: "de", recipientName: "Bruno Bärtschi" }), builtin);
    expect(de.text.split("\n")[0]).toBe("Guten Tag Bruno Bärtschi,");
    const fr = renderMail([entry()], context({ language: "fr", recipientName: "Zoë" }), builtin);
    expect(fr.text.split("\n")[0]).toBe("Bonjour Zoë,");
    const reseller = renderMail([entry()], context({ language: "de", audience: "reseller" }), builtin);
    expect(reseller.text.split("\n")[0]).toBe("Guten Tag,");
  });

  it("map preferredLanguage codes to the translated languages", () => {
    expect(toLanguage("de-CH", "en")).toBe("de");
    expect(toLanguage("fr_CH", "en")).toBe("fr");
    expect(toLanguage("it-CH", "de")).toBe("de");
    expect(toLanguage(undefined, "fr")).toBe("fr");
  });
});

describe("template overrides", () => {
  let remove = () => {};
  afterEach(() => remove());

  it("replace single keys from <overrideDir>/<language>.yaml and fall back when broken", () => {
    const temp = tempDir();
    remove = temp.remove;
    mkdirSync(temp.dir, { recursive: true });
    writeFileSync(
      path.join(temp.dir, "en.yaml"),
      [
        'subject.quota.firing: "Speicher {{account}} voll ({{usedPercent}})"',
        'subject.schedule.firing: "needs {{nosuchvalue}}"',
        'subject.upgrade.firing: "only with {{client}}"',
        'footer.customer: ["Custom footer {{selfCareUrl}}"]',
        'title.schedule.firing: "{{missed, plural, =1 {one run missed} other {# runs missed}}}"',
        'title.unsuccessful.firing: "{{failures, plural, one {# failure}}}"',
      ].join("\n"),
    );
    writeFileSync(path.join(temp.dir, "de.yaml"), "subject: [unclosed");
    const { logger, lines } = captureLogger("warn");
    const source = templateSource(temp.dir, logger);
    expect(renderMail([entry()], context(), source).subject).toBe("Speicher 3723702 voll (97%)");
    expect(renderMail([entry()], context(), source).text).toContain("Custom footer https://selfcare");
    expect(lines.some((l) => l.key === "subject.schedule.firing")).toBe(true);
    expect(lines.some((l) => String(l.file).endsWith("de.yaml"))).toBe(true);

    const upgrade = entry({
      task: "upgrade",
      annotations: {},
      labels: { account: "3723705", task: "upgrade" },
    });
    expect(renderMail([upgrade], context(), source).subject).toBe(
      "Backup 3723705: please update the backup program",
    );
    expect(lines.some((l) => l.key === "subject.upgrade.firing" && l.language === "en")).toBe(true);
    const missed = (n: number) =>
      entry({ task: "schedule", annotations: { missed_schedules: String(n) }, labels: { account: "1" } });
    expect(renderMail([missed(1)], context(), source).text).toContain("* one run missed (account 1)");
    expect(renderMail([missed(4)], context(), source).text).toContain("* 4 runs missed (account 1)");
    expect(
      lines.some((l) => l.key === "title.unsuccessful.firing" && String(l.problem).includes('"other" case')),
    ).toBe(true);
    expect(renderMail([entry()], context({ language: "de" }), source).subject).toBe(
      "Backup 3723702: Speicher zu 97% belegt",
    );
    expect(() => templateSource(temp.dir, logger, true)).toThrow(TemplateOverrideError);
    expect(() => templateSource(temp.dir, logger, true)).toThrow(
      /en\.yaml subject\.schedule\.firing: unknown placeholder \{\{nosuchvalue\}\}.*de\.yaml: /,
    );
  });
});
