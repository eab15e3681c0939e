import { describe, expect, it } from "vitest";
import { builtinCatalogs, templateKeys } from "../../src/bridge/templates/index.js";
import { fill, parseTemplate, placeholdersOf } from "../../src/bridge/templates/message.js";

const counts = new Set([
  "missed",
  "threshold",
  "daysThreshold",
  "failures",
  "count",
  "problems",
  "solved",
  "unreadableFiles",
]);
const languages = ["de", "en", "fr"] as const;
const numbers = [0, 1, 2, 21] as const;

/**
 * Every template string that holds a count, rendered with the count 0, 1, 2 and 21 (its alternatives and
 * lines joined by " / "). Read as a customer would: singular and plural, and French counts 0 as singular.
 */
const expected: Record<(typeof languages)[number], Record<string, readonly string[]>> = {
  de: {
    "subject.schedule.firing": [
      "Backup 3723707: 0 geplante Sicherungen verpasst / Backup 3723707: seit mindestens 0 Tagen keine erfolgreiche Sicherung",
      "Backup 3723707: 1 geplante Sicherung verpasst / Backup 3723707: seit mindestens 1 Tag keine erfolgreiche Sicherung",
      "Backup 3723707: 2 geplante Sicherungen verpasst / Backup 3723707: seit mindestens 2 Tagen keine erfolgreiche Sicherung",
      "Backup 3723707: 21 geplante Sicherungen verpasst / Backup 3723707: seit mindestens 21 Tagen keine erfolgreiche Sicherung",
    ],
    "subject.unsuccessful.firing": [
      "Backup 3723707: 0 fehlgeschlagene Sicherungen in Folge",
      "Backup 3723707: 1 Sicherung fehlgeschlagen",
      "Backup 3723707: 2 fehlgeschlagene Sicherungen in Folge",
      "Backup 3723707: 21 fehlgeschlagene Sicherungen in Folge",
    ],
    "subject.coalesced.firing": [
      "0 Backup-Probleme",
      "1 Backup-Problem",
      "2 Backup-Probleme",
      "21 Backup-Probleme",
    ],
    "subject.coalesced.resolved": [
      "0 Backup-Probleme behoben",
      "1 Backup-Problem behoben",
      "2 Backup-Probleme behoben",
      "21 Backup-Probleme behoben",
    ],
    "subject.coalesced.mixed": [
      "0 Backup-Probleme, 0 behoben",
      "1 Backup-Problem, 1 behoben",
      "2 Backup-Probleme, 2 behoben",
      "21 Backup-Probleme, 21 behoben",
    ],
    "title.schedule.firing": [
      "0 geplante Sicherungen verpasst",
      "1 geplante Sicherung verpasst",
      "2 geplante Sicherungen verpasst",
      "21 geplante Sicherungen verpasst",
    ],
    "title.unsuccessful.firing": [
      "0 fehlgeschlagene Sicherungen in Folge",
      "1 Sicherung fehlgeschlagen",
      "2 fehlgeschlagene Sicherungen in Folge",
      "21 fehlgeschlagene Sicherungen in Folge",
    ],
    "facts.schedule.firing": [
      "Seit mindestens 0 Tagen keine erfolgreiche Sicherung.",
      "Seit mindestens 1 Tag keine erfolgreiche Sicherung.",
      "Seit mindestens 2 Tagen keine erfolgreiche Sicherung.",
      "Seit mindestens 21 Tagen keine erfolgreiche Sicherung.",
    ],
    "facts.unreadable.firing": [
      "0 Statusdateien, die das Backup-Programm auf den Server geschrieben hat, konnten nicht gelesen werden (beschädigt oder in einem Format, das diese Überwachung nicht kennt).",
      "1 Statusdatei, die das Backup-Programm auf den Server geschrieben hat, konnte nicht gelesen werden (beschädigt oder in einem Format, das diese Überwachung nicht kennt).",
      "2 Statusdateien, die das Backup-Programm auf den Server geschrieben hat, konnten nicht gelesen werden (beschädigt oder in einem Format, das diese Überwachung nicht kennt).",
      "21 Statusdateien, die das Backup-Programm auf den Server geschrieben hat, konnten nicht gelesen werden (beschädigt oder in einem Format, das diese Überwachung nicht kennt).",
    ],
    "facts.schedule.changed": [
      "Sie werden jetzt nach 0 verpassten Sicherungen gewarnt. / Sie werden jetzt nach 0 Tagen ohne erfolgreiche Sicherung gewarnt.",
      "Sie werden jetzt nach 1 verpassten Sicherung gewarnt. / Sie werden jetzt nach 1 Tag ohne erfolgreiche Sicherung gewarnt.",
      "Sie werden jetzt nach 2 verpassten Sicherungen gewarnt. / Sie werden jetzt nach 2 Tagen ohne erfolgreiche Sicherung gewarnt.",
      "Sie werden jetzt nach 21 verpassten Sicherungen gewarnt. / Sie werden jetzt nach 21 Tagen ohne erfolgreiche Sicherung gewarnt.",
    ],
    "facts.unsuccessful.changed": [
      "Sie werden jetzt nach 0 fehlgeschlagenen Sicherungen in Folge gewarnt.",
      "Sie werden jetzt nach 1 fehlgeschlagenen Sicherung gewarnt.",
      "Sie werden jetzt nach 2 fehlgeschlagenen Sicherungen in Folge gewarnt.",
      "Sie werden jetzt nach 21 fehlgeschlagenen Sicherungen in Folge gewarnt.",
    ],
    "intro.partial": [
      "0 behoben, 0 noch offen.",
      "1 behoben, 1 noch offen.",
      "2 behoben, 2 noch offen.",
      "21 behoben, 21 noch offen.",
    ],
  },
  en: {
    "subject.schedule.firing": [
      "Backup 3723707: 0 planned backups missed / Backup 3723707: no successful backup for at least 0 days",
      "Backup 3723707: 1 planned backup missed / Backup 3723707: no successful backup for at least 1 day",
      "Backup 3723707: 2 planned backups missed / Backup 3723707: no successful backup for at least 2 days",
      "Backup 3723707: 21 planned backups missed / Backup 3723707: no successful backup for at least 21 days",
    ],
    "subject.unsuccessful.firing": [
      "Backup 3723707: 0 failed backups in a row",
      "Backup 3723707: 1 backup failed",
      "Backup 3723707: 2 failed backups in a row",
      "Backup 3723707: 21 failed backups in a row",
    ],
    "subject.coalesced.firing": [
      "0 backup problems",
      "1 backup problem",
      "2 backup problems",
      "21 backup problems",
    ],
    "subject.coalesced.resolved": [
      "0 backup problems solved",
      "1 backup problem solved",
      "2 backup problems solved",
      "21 backup problems solved",
    ],
    "subject.coalesced.mixed": [
      "0 backup problems, 0 solved",
      "1 backup problem, 1 solved",
      "2 backup problems, 2 solved",
      "21 backup problems, 21 solved",
    ],
    "title.schedule.firing": [
      "0 planned backups missed",
      "1 planned backup missed",
      "2 planned backups missed",
      "21 planned backups missed",
    ],
    "title.unsuccessful.firing": [
      "0 failed backups in a row",
      "1 backup failed",
      "2 failed backups in a row",
      "21 failed backups in a row",
    ],
    "facts.schedule.firing": [
      "No successful backup for at least 0 days.",
      "No successful backup for at least 1 day.",
      "No successful backup for at least 2 days.",
      "No successful backup for at least 21 days.",
    ],
    "facts.unreadable.firing": [
      "0 status files that the backup program wrote to the server could not be read (damaged, or in a format this monitoring does not know).",
      "1 status file that the backup program wrote to the server could not be read (damaged, or in a format this monitoring does not know).",
      "2 status files that the backup program wrote to the server could not be read (damaged, or in a format this monitoring does not know).",
      "21 status files that the backup program wrote to the server could not be read (damaged, or in a format this monitoring does not know).",
    ],
    "facts.schedule.changed": [
      "You will now be warned after 0 missed backups. / You will now be warned after 0 days without a successful backup.",
      "You will now be warned after 1 missed backup. / You will now be warned after 1 day without a successful backup.",
      "You will now be warned after 2 missed backups. / You will now be warned after 2 days without a successful backup.",
      "You will now be warned after 21 missed backups. / You will now be warned after 21 days without a successful backup.",
    ],
    "facts.unsuccessful.changed": [
      "You will now be warned after 0 failed backups in a row.",
      "You will now be warned after 1 failed backup.",
      "You will now be warned after 2 failed backups in a row.",
      "You will now be warned after 21 failed backups in a row.",
    ],
    "intro.partial": [
      "0 solved, 0 still open.",
      "1 solved, 1 still open.",
      "2 solved, 2 still open.",
      "21 solved, 21 still open.",
    ],
  },
  fr: {
    "subject.schedule.firing": [
      "Sauvegarde 3723707 : 0 sauvegarde planifiée manquée / Sauvegarde 3723707 : aucune sauvegarde réussie depuis au moins 0 jour",
      "Sauvegarde 3723707 : 1 sauvegarde planifiée manquée / Sauvegarde 3723707 : aucune sauvegarde réussie depuis au moins 1 jour",
      "Sauvegarde 3723707 : 2 sauvegardes planifiées manquées / Sauvegarde 3723707 : aucune sauvegarde réussie depuis au moins 2 jours",
      "Sauvegarde 3723707 : 21 sauvegardes planifiées manquées / Sauvegarde 3723707 : aucune sauvegarde réussie depuis au moins 21 jours",
    ],
    "subject.unsuccessful.firing": [
      "Sauvegarde 3723707 : 0 échec de sauvegarde",
      "Sauvegarde 3723707 : 1 échec de sauvegarde",
      "Sauvegarde 3723707 : 2 échecs de sauvegarde consécutifs",
      "Sauvegarde 3723707 : 21 échecs de sauvegarde consécutifs",
    ],
    "subject.coalesced.firing": [
      "0 problème de sauvegarde",
      "1 problème de sauvegarde",
      "2 problèmes de sauvegarde",
      "21 problèmes de sauvegarde",
    ],
    "subject.coalesced.resolved": [
      "0 problème de sauvegarde résolu",
      "1 problème de sauvegarde résolu",
      "2 problèmes de sauvegarde résolus",
      "21 problèmes de sauvegarde résolus",
    ],
    "subject.coalesced.mixed": [
      "0 problème de sauvegarde, 0 résolu",
      "1 problème de sauvegarde, 1 résolu",
      "2 problèmes de sauvegarde, 2 résolus",
      "21 problèmes de sauvegarde, 21 résolus",
    ],
    "title.schedule.firing": [
      "0 sauvegarde planifiée manquée",
      "1 sauvegarde planifiée manquée",
      "2 sauvegardes planifiées manquées",
      "21 sauvegardes planifiées manquées",
    ],
    "title.unsuccessful.firing": [
      "0 échec de sauvegarde",
      "1 échec de sauvegarde",
      "2 échecs de sauvegarde consécutifs",
      "21 échecs de sauvegarde consécutifs",
    ],
    "facts.schedule.firing": [
      "Aucune sauvegarde réussie depuis au moins 0 jour.",
      "Aucune sauvegarde réussie depuis au moins 1 jour.",
      "Aucune sauvegarde réussie depuis au moins 2 jours.",
      "Aucune sauvegarde réussie depuis au moins 21 jours.",
    ],
    "facts.unreadable.firing": [
      "0 fichier d’état écrit sur le serveur par le logiciel de sauvegarde n’a pas pu être lu (endommagé ou dans un format que cette surveillance ne connaît pas).",
      "1 fichier d’état écrit sur le serveur par le logiciel de sauvegarde n’a pas pu être lu (endommagé ou dans un format que cette surveillance ne connaît pas).",
      "2 fichiers d’état écrits sur le serveur par le logiciel de sauvegarde n’ont pas pu être lus (endommagés ou dans un format que cette surveillance ne connaît pas).",
      "21 fichiers d’état écrits sur le serveur par le logiciel de sauvegarde n’ont pas pu être lus (endommagés ou dans un format que cette surveillance ne connaît pas).",
    ],
    "facts.schedule.changed": [
      "Vous serez désormais averti après 0 sauvegarde manquée. / Vous serez désormais averti après 0 jour sans sauvegarde réussie.",
      "Vous serez désormais averti après 1 sauvegarde manquée. / Vous serez désormais averti après 1 jour sans sauvegarde réussie.",
      "Vous serez désormais averti après 2 sauvegardes manquées. / Vous serez désormais averti après 2 jours sans sauvegarde réussie.",
      "Vous serez désormais averti après 21 sauvegardes manquées. / Vous serez désormais averti après 21 jours sans sauvegarde réussie.",
    ],
    "facts.unsuccessful.changed": [
      "Vous serez désormais averti après 0 échec de sauvegarde.",
      "Vous serez désormais averti après 1 échec de sauvegarde.",
      "Vous serez désormais averti après 2 échecs de sauvegarde consécutifs.",
      "Vous serez désormais averti après 21 échecs de sauvegarde consécutifs.",
    ],
    "intro.partial": [
      "0 résolu, 0 encore ouvert.",
      "1 résolu, 1 encore ouvert.",
      "2 résolus, 2 encore ouverts.",
      "21 résolus, 21 encore ouverts.",
    ],
  },
};

const countsOf = (template: string): boolean => {
  const parsed = parseTemplate(template);
  return parsed.ok && placeholdersOf(parsed.value).some((name) => counts.has(name));
};

const valuesWith = (n: number) => ({
  account: "3723707",
  ...Object.fromEntries([...counts].map((name) => [name, String(n)])),
});

describe("counts in every language", () => {
  it("render every template key with 0, 1, 2 and 21 in the grammatical number the table says", () => {
    for (const language of languages) {
      const rendered: Record<string, string[]> = {};
      for (const key of templateKeys) {
        const lines = builtinCatalogs[language][key].filter(countsOf);
        if (lines.length === 0) continue;
        rendered[key] = numbers.map((n) =>
          lines.map((line) => fill(line, valuesWith(n), false, language)).join(" / "),
        );
      }
      expect(rendered).toEqual(expected[language]);
    }
  });

  it("use plural blocks for every count, never a bare {{count}}", () => {
    for (const language of languages)
      for (const key of templateKeys)
        for (const line of builtinCatalogs[language][key]) {
          const parsed = parseTemplate(line);
          expect(parsed.ok, `${language} ${key}: ${line}`).toBe(true);
          if (!parsed.ok) continue;
          const bare = parsed.value.filter((s) => s.kind === "value" && counts.has(s.name));
          expect(bare, `${language} ${key}: ${line}`).toEqual([]);
        }
  });
});
