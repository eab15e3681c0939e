import type { Catalog } from "./catalog.js";

/** Built-in German templates; operators override single keys in `<overrideDir>/de.yaml`. */
export const de: Catalog = {
  "subject.quota.firing": [
    "Backup {{account}}: Speicher bei gleichem Wachstum etwa am {{fullDate}} voll",
    "Backup {{account}}: Speicher zu {{usedPercent}} belegt",
    "Backup {{account}}: Speicher fast voll",
  ],
  "subject.quota.resolved": [
    "Backup {{account}}: Speicher voraussichtlich nicht mehr am {{fullDate}} voll",
    "Backup {{account}}: Speicher wieder unter der Warnschwelle",
  ],
  "subject.schedule.firing": [
    "Backup {{account}}: {{missed, plural, one {# geplante Sicherung verpasst} other {# geplante Sicherungen verpasst}}}",
    "Backup {{account}}: keine erfolgreiche Sicherung seit {{lastSuccessDate}}",
    "Backup {{account}}: seit mindestens {{daysThreshold, plural, one {# Tag} other {# Tagen}}} keine erfolgreiche Sicherung",
    "Backup {{account}}: geplante Sicherungen verpasst",
  ],
  "subject.schedule.resolved": ["Backup {{account}}: Sicherungen laufen wieder planmässig"],
  "subject.unsuccessful.firing": [
    "Backup {{account}}: {{failures, plural, one {# Sicherung fehlgeschlagen} other {# fehlgeschlagene Sicherungen in Folge}}}",
    "Backup {{account}}: Sicherung fehlgeschlagen",
  ],
  "subject.unsuccessful.resolved": ["Backup {{account}}: Sicherungen wieder erfolgreich"],
  "subject.upgrade.firing": [
    "Backup {{account}}: bitte {{client}} {{clientVersion}} aktualisieren",
    "Backup {{account}}: bitte das Backup-Programm aktualisieren",
  ],
  "subject.upgrade.resolved": ["Backup {{account}}: Backup-Programm aktuell"],
  "subject.nobackup.firing": ["Backup {{account}}: noch keine Sicherung erhalten"],
  "subject.unreadable.firing": [
    "Backup {{account}}: Status des Backup-Programms auf {{host}} nicht lesbar",
    "Backup {{account}}: Status des Backup-Programms nicht lesbar",
  ],
  "subject.nobackup.resolved": ["Backup {{account}}: erste Sicherung erhalten"],
  "subject.unreadable.resolved": ["Backup {{account}}: Status des Backup-Programms wieder lesbar"],
  "subject.generic.firing": [
    "Backup {{account}}: {{summary}}",
    "Backup-Überwachung: {{summary}}",
    "Backup-Überwachung: {{alertname}}",
  ],
  "subject.generic.resolved": [
    "Behoben: Backup {{account}}: {{summary}}",
    "Behoben: {{summary}}",
    "Behoben: {{alertname}}",
  ],
  "subject.coalesced.firing": ["{{count, plural, one {# Backup-Problem} other {# Backup-Probleme}}}"],
  "subject.coalesced.resolved": [
    "{{count, plural, one {# Backup-Problem behoben} other {# Backup-Probleme behoben}}}",
  ],
  "subject.coalesced.mixed": [
    "{{problems, plural, one {# Backup-Problem} other {# Backup-Probleme}}}, {{solved, plural, other {# behoben}}}",
  ],
  "title.quota.firing": [
    "Speicher etwa am {{fullDate}} voll",
    "Speicher zu {{usedPercent}} belegt",
    "Speicher fast voll",
  ],
  "title.quota.resolved": [
    "Speicher voraussichtlich nicht mehr am {{fullDate}} voll",
    "Speicher wieder unter der Warnschwelle",
  ],
  "title.schedule.firing": [
    "{{missed, plural, one {# geplante Sicherung verpasst} other {# geplante Sicherungen verpasst}}}",
    "Keine erfolgreiche Sicherung in letzter Zeit",
  ],
  "title.schedule.resolved": ["Sicherungen laufen wieder planmässig"],
  "title.unsuccessful.firing": [
    "{{failures, plural, one {# Sicherung fehlgeschlagen} other {# fehlgeschlagene Sicherungen in Folge}}}",
    "Sicherung fehlgeschlagen",
  ],
  "title.unsuccessful.resolved": ["Sicherungen wieder erfolgreich"],
  "title.upgrade.firing": ["Backup-Programm veraltet"],
  "title.upgrade.resolved": ["Backup-Programm aktuell"],
  "title.nobackup.firing": ["Noch keine Sicherung erhalten"],
  "title.unreadable.firing": ["Status des Backup-Programms nicht lesbar"],
  "title.nobackup.resolved": ["Erste Sicherung erhalten"],
  "title.unreadable.resolved": ["Status des Backup-Programms wieder lesbar"],
  "title.generic.firing": ["{{summary}}", "{{alertname}}"],
  "title.generic.resolved": ["Behoben: {{summary}}", "Behoben: {{alertname}}"],
  "greeting.customer": ["Guten Tag {{name}},", "Guten Tag,"],
  "greeting.reseller": ["Guten Tag,"],
  "greeting.operator": ["Guten Tag,"],
  "intro.customer": ["Die Überwachung Ihres Online-Backups meldet Folgendes:"],
  "intro.reseller": ["Die Überwachung der Online-Backups Ihrer Kundinnen und Kunden meldet Folgendes:"],
  "intro.operator": ["Die Backup-Überwachung meldet Folgendes:"],
  "heading.customer": [
    "{{title}} (Konto {{account}}, Computer {{host}})",
    "{{title}} (Konto {{account}})",
    "{{title}}",
  ],
  "heading.reseller": [
    "{{title}} (Konto {{account}} von {{customer}}, Computer {{host}})",
    "{{title}} (Konto {{account}} von {{customer}})",
    "{{title}} (Konto {{account}}, Computer {{host}})",
    "{{title}} (Konto {{account}})",
    "{{title}}",
  ],
  "heading.operator": [
    "{{title}} (Konto {{account}}, Computer {{host}})",
    "{{title}} (Konto {{account}})",
    "{{title}} (Computer {{host}})",
    "{{title}}",
  ],
  "facts.quota.firing": [
    "Belegter Speicher: {{usedGiB}} GiB von {{quotaGiB}} GiB ({{usedPercent}}).",
    "Warnschwelle: {{warningPercent}}.",
    "Wächst der Speicherbedarf weiter wie in den letzten 30 Tagen, ist der Speicher etwa am {{fullDate}} voll: Danach schlagen neue Sicherungen fehl.",
  ],
  "facts.quota.resolved": [
    "Jetzt belegter Speicher: {{usedGiB}} GiB von {{quotaGiB}} GiB ({{usedPercent}}).",
  ],
  "facts.schedule.firing": [
    "Seit mindestens {{daysThreshold, plural, one {# Tag} other {# Tagen}}} keine erfolgreiche Sicherung.",
    "Letzte erfolgreiche Sicherung: {{lastSuccess}}.",
    "Nächste geplante Sicherung: {{nextSchedule}}.",
  ],
  "facts.schedule.resolved": ["Letzte erfolgreiche Sicherung: {{lastSuccess}}."],
  "facts.unsuccessful.firing": ["Letzte erfolgreiche Sicherung: {{lastSuccess}}."],
  "facts.unsuccessful.resolved": ["Letzte erfolgreiche Sicherung: {{lastSuccess}}."],
  "facts.upgrade.firing": ["Installiertes Programm: {{client}} {{clientVersion}}."],
  "facts.upgrade.resolved": ["Jetzt installiert: {{client}} {{clientVersion}}."],
  "facts.nobackup.firing": ["Konto eröffnet: {{created}}. Seither ist keine Sicherung eingegangen."],
  "facts.unreadable.firing": [
    "{{unreadableFiles, plural, one {# Statusdatei, die das Backup-Programm auf den Server geschrieben hat, konnte} other {# Statusdateien, die das Backup-Programm auf den Server geschrieben hat, konnten}}} nicht gelesen werden (beschädigt oder in einem Format, das diese Überwachung nicht kennt).",
    "Deshalb können wir nicht feststellen, ob seine Sicherungen gelingen.",
  ],
  "facts.nobackup.resolved": [],
  "facts.unreadable.resolved": [],
  "facts.generic.firing": ["{{description}}", "Seit: {{startsAt}}."],
  "facts.generic.resolved": ["{{description}}", "Behoben um: {{endsAt}}."],
  "facts.unknownAccount": [
    "Das Konto {{account}} ist nicht im Verzeichnis; deshalb geht diese Meldung an den Betrieb.",
  ],
  "facts.undeliverable": [
    "Nicht an Kunde oder Wiederverkäufer zugestellt: {{reason}}. Diese Meldung geht stattdessen an den Betrieb.",
  ],
  "advice.quota": [
    "Bitte löschen Sie nicht mehr benötigte Sicherungen oder bestellen Sie mehr Speicher: {{selfCareUrl}}",
  ],
  "advice.schedule": [
    "Bitte prüfen Sie, ob der Computer zur geplanten Zeit eingeschaltet ist und das Backup-Programm läuft. Einstellungen und Hilfe: {{selfCareUrl}}",
  ],
  "advice.unsuccessful": [
    "Bitte öffnen Sie das Backup-Programm und sehen Sie im Protokoll der letzten Sicherung nach. Hilfe: {{selfCareUrl}}",
  ],
  "advice.upgrade": ["Bitte installieren Sie das aktuelle Backup-Programm: {{selfCareUrl}}"],
  "advice.nobackup": [
    "Bitte installieren Sie das Backup-Programm und starten Sie eine erste Sicherung. Anleitung: {{selfCareUrl}}",
  ],
  "advice.unreadable": [
    "Bitte aktualisieren Sie das Backup-Programm auf die aktuelle Version oder installieren Sie es neu: {{selfCareUrl}}",
  ],
  "advice.generic": ["Weitere Informationen: {{selfCareUrl}}"],
  "footer.customer": [
    "Sie erhalten diese Nachricht, weil für Ihr Konto Backup-Warnungen eingeschaltet sind.",
    "Ändern können Sie das unter {{settingsUrl}}",
    "Ihr Backup-Team",
  ],
  "footer.reseller": ["Sie erhalten diese Nachricht als Wiederverkäufer dieser Konten.", "Ihr Backup-Team"],
  "footer.operator": ["stoney backup monitor"],
  "subject.quota.changed": [
    "Backup {{account}}: Warnschwelle jetzt {{warningPercent}}, {{usedPercent}} belegt",
    "Backup {{account}}: Speicherwarnung ausgeschaltet, {{usedPercent}} belegt",
  ],
  "title.quota.changed": ["Warnschwelle auf {{warningPercent}} erhöht", "Speicherwarnung ausgeschaltet"],
  "facts.quota.changed": [
    "Jetzt belegter Speicher: {{usedGiB}} GiB von {{quotaGiB}} GiB ({{usedPercent}}).",
    "Warnschwelle jetzt: {{warningPercent}}. Sie werden wieder gewarnt, wenn mehr belegt ist.",
  ],
  "subject.schedule.changed": [
    "Backup {{account}}: Warnschwelle geändert, weiterhin keine erfolgreiche Sicherung seit {{lastSuccessDate}}",
    "Backup {{account}}: Warnschwelle geändert, weiterhin keine erfolgreiche Sicherung",
  ],
  "title.schedule.changed": ["Warnschwelle für verpasste Sicherungen geändert"],
  "facts.schedule.changed": [
    "Sie werden jetzt nach {{threshold, plural, one {# verpassten Sicherung} other {# verpassten Sicherungen}}} gewarnt.",
    "Sie werden jetzt nach {{daysThreshold, plural, one {# Tag} other {# Tagen}}} ohne erfolgreiche Sicherung gewarnt.",
    "Seit der Warnung ist keine Sicherung gelungen. Letzte erfolgreiche Sicherung: {{lastSuccess}}.",
  ],
  "subject.unsuccessful.changed": [
    "Backup {{account}}: Warnschwelle geändert, weiterhin keine erfolgreiche Sicherung seit {{lastSuccessDate}}",
    "Backup {{account}}: Warnschwelle geändert, weiterhin keine erfolgreiche Sicherung",
  ],
  "title.unsuccessful.changed": ["Warnschwelle für fehlgeschlagene Sicherungen geändert"],
  "facts.unsuccessful.changed": [
    "Sie werden jetzt nach {{threshold, plural, one {# fehlgeschlagenen Sicherung} other {# fehlgeschlagenen Sicherungen in Folge}}} gewarnt.",
    "Seit der Warnung ist keine Sicherung gelungen. Letzte erfolgreiche Sicherung: {{lastSuccess}}.",
  ],
  "subject.unconfirmed": [
    "Backup {{account}}: Problem nicht mehr gemeldet",
    "Backup-Überwachung: Problem nicht mehr gemeldet",
  ],
  "title.unconfirmed": ["Nicht mehr gemeldet: {{title}}"],
  "facts.unconfirmed": [
    "Die Überwachung meldet dieses Problem seit dem {{endsAt}} nicht mehr.",
    "Wir konnten den aktuellen Stand des Backups nicht prüfen und können deshalb noch nicht bestätigen, dass das Problem behoben ist.",
  ],
  "intro.partial": ["{{solved, plural, other {# behoben}}}, {{problems, plural, other {# noch offen}}}."],
  "intro.stillOpen": ["Noch offen:"],
};
