import { describe, expect, it } from "vitest";
import { translator } from "../../src/selfcare/i18n.js";
import { dayIn, endOfDay, formats, offsetMinutes } from "../../src/selfcare/time.js";
import { auditText, mailKindText, outcomeText, reasonText } from "../../src/selfcare/wording.js";

const de = translator("de");
const fr = translator("fr");
const zurich = formats("de", "Europe/Zurich");

describe("the bridge's and the directory's records in the person's words", () => {
  it("names every outcome of a mail, without the English original or the operator's error", () => {
    const cases: [string, string][] = [
      ["sent", "gesendet"],
      ["pending", "wird gesendet"],
      ["pending (421 4.7.0 try again later)", "noch nicht zugestellt, wird erneut versucht"],
      ["queued", "wartet, um mit anderen Hinweisen gesendet zu werden"],
      ["held", "zurückgehalten"],
      ["waiting for the directory", "wartet auf das Verzeichnis"],
      ["rejected (550 no such user)", "vom Mailserver abgelehnt"],
      ["dead: too old to retry", "konnte nicht zugestellt werden"],
      ["suppressed: duplicate", "nicht gesendet: bereits gemeldet"],
      ["suppressed: nobody to inform", "nicht gesendet: niemand zu informieren"],
      ["suppressed: resolved mails off", "nicht gesendet: Entwarnungen sind ausgeschaltet"],
      ["suppressed: warnings off (account)", "nicht gesendet: Warn-Mails sind ausgeschaltet"],
      [
        "suppressed: reseller 4000001 warnings off",
        "nicht gesendet: Wiederverkäufer 4000001 hat die Warn-Mails ausgeschaltet",
      ],
      ["suppressed: something new", "nicht gesendet"],
      ["something else entirely", "nicht gesendet"],
    ];
    for (const [outcome, words] of cases) expect(outcomeText(de, zurich, outcome), outcome).toBe(words);
  });

  it("shows a pause's end in the person's zone", () => {
    expect(outcomeText(de, zurich, "suppressed: paused by 5000001 until 2026-12-13T22:59:59Z")).toBe(
      "nicht gesendet: pausiert von 5000001 bis 13.12.2026, 23:59",
    );
  });

  it("names the task and whether it warned or gave the all-clear", () => {
    expect(mailKindText(de, { task: "quota", status: "firing" })).toBe("Speicher fast voll (Warnung)");
    expect(mailKindText(fr, { task: "schedule", status: "resolved" })).toBe(
      "Sauvegardes manquées (fin d’alerte)",
    );
    expect(mailKindText(de, { task: "forecast", status: "firing" })).toBe("Hinweis zur Sicherung (Warnung)");
  });

  it("says why someone is not informed", () => {
    expect(reasonText(fr, "person 5000099 not found")).toBe("personne 5000099 introuvable");
    expect(reasonText(de, 'mail "a@b.ch, c@d.ch" ignored: not exactly one address')).toBe(
      "ein Mail-Eintrag ist nicht genau eine Adresse",
    );
  });

  it("describes an audit entry with the setting's label, on/off and local times", () => {
    const at = Date.UTC(2026, 11, 1);
    const entry = { at, personUid: "5000001", target: "3723701" };
    expect(
      auditText(de, zurich, { ...entry, action: "setting missedBackupsThreshold", oldValue: "2" }),
    ).toEqual({
      what: "Warnen nach verpassten Sicherungen geändert",
      old: "2",
    });
    expect(
      auditText(fr, zurich, { ...entry, action: "setting warnings", oldValue: "TRUE", newValue: "FALSE" }),
    ).toEqual({
      what: "Messages d’avertissement modifié",
      old: "activés",
      new: "désactivés",
    });
    expect(
      auditText(de, zurich, { ...entry, action: "pause", newValue: "2026-12-13T22:59:59.000Z" }),
    ).toEqual({
      what: "Benachrichtigungen pausiert",
      new: "13.12.2026, 23:59",
    });
  });
});

describe("times in the person's zone", () => {
  it("reads offsets as written and IANA zones with their summer time", () => {
    expect(offsetMinutes("+01:00", 0)).toBe(60);
    expect(offsetMinutes("-0430", 0)).toBe(-270);
    expect(offsetMinutes("Europe/Zurich", Date.UTC(2026, 0, 15))).toBe(60);
    expect(offsetMinutes("Europe/Zurich", Date.UTC(2026, 6, 15))).toBe(120);
  });

  it("ends a day at 23:59:59 where the person lives, across clock changes", () => {
    expect(endOfDay("2026-12-13", "Europe/Zurich").toISOString()).toBe("2026-12-13T22:59:59.000Z");
    expect(endOfDay("2026-12-13", "+01:00").toISOString()).toBe("2026-12-13T22:59:59.000Z");
    expect(endOfDay("2026-12-13", "UTC").toISOString()).toBe("2026-12-13T23:59:59.000Z");
    // 29 March 2026: Zurich moves to summer time at 02:00, so the day ends at 21:59:59 UTC.
    expect(endOfDay("2026-03-29", "Europe/Zurich").toISOString()).toBe("2026-03-29T21:59:59.000Z");
    expect(endOfDay("2026-10-25", "Europe/Zurich").toISOString()).toBe("2026-10-25T22:59:59.000Z");
    expect(endOfDay("2026-12-13", "America/New_York").toISOString()).toBe("2026-12-14T04:59:59.000Z");
  });

  it("tells the day of an instant in the zone", () => {
    expect(dayIn(Date.UTC(2026, 11, 13, 23, 30), "Europe/Zurich")).toBe("2026-12-14");
    expect(dayIn(Date.UTC(2026, 11, 13, 23, 30), "UTC")).toBe("2026-12-13");
  });

  it("shows a pause until 13.12. as that day, not the next", () => {
    const end = endOfDay("2026-12-13", "+01:00");
    expect(formats("de", "+01:00").dateTime(end)).toBe("13.12.2026, 23:59");
    expect(formats("fr", "Europe/Zurich").dateTime(end)).toBe("13 déc. 2026, 23:59");
  });

  it("says how long ago or ahead, in the language", () => {
    const now = Date.UTC(2026, 11, 6, 12);
    expect(formats("en", "UTC").relative(now - 2 * 86_400_000, now)).toBe("2 days ago");
    expect(formats("de", "UTC").relative(now - 3 * 3_600_000, now)).toBe("vor 3 Stunden");
    expect(formats("fr", "UTC").relative(now + 5 * 60_000, now)).toBe("dans 5 minutes");
  });
});
