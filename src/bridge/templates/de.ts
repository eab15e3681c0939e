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
  "intro.customer": ["die Überwachung Ihres Online-Backups meldet Folgendes:"],
  "intro.reseller": ["die Überwachung der Online-Backups Ihrer Kundinnen und Kunden meldet Folgendes:"],
  "intro.operator": ["die Backup-Überwachung meldet Folgendes:"],
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
  "facts.upgrade.firing": [
    "Installiert: {{client}} {{clientVersion}}.",
    "Nötig: Version {{minimumVersion}} oder neuer.",
  ],
  "facts.upgrade.resolved": ["Jetzt installiert: {{client}} {{clientVersion}}."],
  "facts.nobackup.firing": ["Konto eröffnet: {{created}}. Seither ist keine Sicherung eingegangen."],
  "facts.unreadable.firing": [
    "{{unreadableFiles, plural, one {# Statusdatei, die das Backup-Programm auf den Server geschrieben hat, konnte} other {# Statusdateien, die das Backup-Programm auf den Server geschrieben hat, konnten}}} nicht gelesen werden (beschädigt oder in einem Format, das diese Überwachung nicht kennt).",
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
  "since.firing": [
    "Seit {{since}} ({{sinceDays, plural, one {# Tag} other {# Tage}}}).",
    "Seit {{since}} ({{sinceHours, plural, one {# Stunde} other {# Stunden}}}).",
    "Seit {{since}}.",
  ],
  "why.quota": [
    "Wenn der Speicher voll ist, schlagen neue Sicherungen fehl, und neue Änderungen sind nicht mehr geschützt.",
  ],
  "why.schedule": [
    "Ohne regelmässige Sicherungen geht alles, was sich seit der letzten Sicherung geändert hat, verloren, wenn der Computer kaputtgeht oder gestohlen wird.",
  ],
  "why.unsuccessful": [
    "Dateien, die sich seit der letzten erfolgreichen Sicherung geändert haben, sind erst wieder geschützt, wenn eine Sicherung gelingt.",
  ],
  "why.upgrade": [
    "Alte Versionen des Backup-Programms erhalten keine Korrekturen mehr und funktionieren womöglich bald nicht mehr mit unseren Servern.",
  ],
  "why.nobackup": ["Bis eine erste Sicherung gelaufen ist, ist keine Datei auf dem Computer geschützt."],
  "why.unreadable": [
    "Deshalb können wir Sie nicht warnen, wenn die Sicherungen dieses Computers fehlschlagen.",
  ],
  "why.generic": [],
  "advice.quota": [
    "Löschen Sie im Backup-Programm alte Sicherungen, die Sie nicht mehr brauchen, oder bestellen Sie auf Ihrer Kontoseite mehr Speicher.",
  ],
  "advice.schedule": [
    "Sorgen Sie dafür, dass der Computer zur geplanten Zeit eingeschaltet und mit dem Internet verbunden ist.",
    "Öffnen Sie das Backup-Programm und prüfen Sie, ob die geplanten Sicherungen eingeschaltet sind; Sie können auch gleich eine Sicherung starten.",
  ],
  "advice.unsuccessful": [
    "Öffnen Sie das Backup-Programm auf dem Computer und lesen Sie den Bericht der letzten Sicherung: Er nennt die Dateien oder das Problem, an dem sie gescheitert ist.",
    "Starten Sie danach eine Sicherung von Hand. Schlägt sie wieder fehl, melden Sie sich bei uns und sagen Sie uns, was im Bericht steht.",
  ],
  "advice.upgrade": [
    "Laden Sie das aktuelle Backup-Programm herunter: {{downloadUrl}}",
    "Installieren Sie es auf dem Computer über die alte Version; Ihre Einstellungen und Sicherungen bleiben erhalten.",
  ],
  "advice.nobackup": [
    "Installieren Sie das Backup-Programm auf dem Computer, den Sie schützen möchten, und melden Sie sich mit dem Konto {{account}} an.",
    "Starten Sie eine erste Sicherung; danach laufen die Sicherungen zu den geplanten Zeiten von selbst.",
  ],
  "advice.unreadable": [
    "Aktualisieren Sie das Backup-Programm auf dem Computer auf die aktuelle Version oder installieren Sie es neu; Ihre Einstellungen und Sicherungen bleiben erhalten.",
  ],
  "advice.generic": [],
  "ask.quota": [
    "Bitten Sie {{customer}} ({{contact}}), nicht mehr benötigte alte Sicherungen zu löschen, oder bieten Sie mehr Speicher an.",
    "Bitten Sie {{customer}}, nicht mehr benötigte alte Sicherungen zu löschen, oder bieten Sie mehr Speicher an.",
    "Bitten Sie Ihre Kundin oder Ihren Kunden, nicht mehr benötigte alte Sicherungen zu löschen, oder bieten Sie mehr Speicher an.",
  ],
  "ask.schedule": [
    "Bitten Sie {{customer}} ({{contact}}), den Computer zur geplanten Zeit einzuschalten und im Backup-Programm zu prüfen, ob die geplanten Sicherungen eingeschaltet sind.",
    "Bitten Sie {{customer}}, den Computer zur geplanten Zeit einzuschalten und im Backup-Programm zu prüfen, ob die geplanten Sicherungen eingeschaltet sind.",
    "Bitten Sie Ihre Kundin oder Ihren Kunden, den Computer zur geplanten Zeit einzuschalten und im Backup-Programm zu prüfen, ob die geplanten Sicherungen eingeschaltet sind.",
  ],
  "ask.unsuccessful": [
    "Bitten Sie {{customer}} ({{contact}}) um den Bericht der letzten Sicherung aus dem Backup-Programm; er nennt das Problem.",
    "Bitten Sie {{customer}} um den Bericht der letzten Sicherung aus dem Backup-Programm; er nennt das Problem.",
    "Bitten Sie Ihre Kundin oder Ihren Kunden um den Bericht der letzten Sicherung aus dem Backup-Programm; er nennt das Problem.",
  ],
  "ask.upgrade": [
    "Bitten Sie {{customer}} ({{contact}}), das aktuelle Backup-Programm zu installieren, oder installieren Sie es selbst: {{downloadUrl}}",
    "Bitten Sie {{customer}}, das aktuelle Backup-Programm zu installieren, oder installieren Sie es selbst: {{downloadUrl}}",
    "Bitten Sie Ihre Kundin oder Ihren Kunden, das aktuelle Backup-Programm zu installieren, oder installieren Sie es selbst: {{downloadUrl}}",
  ],
  "ask.nobackup": [
    "Fragen Sie {{customer}} ({{contact}}), ob das Konto noch gebraucht wird, und falls ja, ob das Backup-Programm installiert und eine erste Sicherung gestartet werden kann.",
    "Fragen Sie {{customer}}, ob das Konto noch gebraucht wird, und falls ja, ob das Backup-Programm installiert und eine erste Sicherung gestartet werden kann.",
    "Fragen Sie Ihre Kundin oder Ihren Kunden, ob das Konto noch gebraucht wird, und falls ja, ob das Backup-Programm installiert und eine erste Sicherung gestartet werden kann.",
  ],
  "ask.unreadable": [
    "Bitten Sie {{customer}} ({{contact}}), das Backup-Programm zu aktualisieren oder neu zu installieren, oder tun Sie es selbst.",
    "Bitten Sie {{customer}}, das Backup-Programm zu aktualisieren oder neu zu installieren, oder tun Sie es selbst.",
    "Bitten Sie Ihre Kundin oder Ihren Kunden, das Backup-Programm zu aktualisieren oder neu zu installieren, oder tun Sie es selbst.",
  ],
  "ask.generic": [],
  "label.steps": ["Was zu tun ist:"],
  "button.account": ["Konto {{account}} öffnen", "Backup-Portal öffnen"],
  "link.account": ["Konto {{account}} öffnen: {{accountUrl}}"],
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
