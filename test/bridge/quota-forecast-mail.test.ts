import { describe, expect, it } from "vitest";
import { presentVerdict } from "../../src/bridge/present.js";
import {
  type MailContext,
  type MailEntry,
  renderMail,
  templateSource,
} from "../../src/bridge/templates/index.js";
import { captureLogger } from "./support.js";

const builtin = templateSource(undefined, captureLogger().logger);

/** StoneyBackupQuotaFullSoon as the shipped rule writes it: full around 14 March 2027. */
const forecast = (status: "firing" | "resolved"): MailEntry => ({
  task: "quota",
  status,
  labels: { alertname: "StoneyBackupQuotaFullSoon", account: "3723702", task: "quota" },
  annotations: {
    full_timestamp: String(Date.parse("2027-03-14T10:00:00Z") / 1000),
    used_bytes: "7516192768",
    quota_bytes: "10737418240",
    days_ahead: "14",
  },
  startsAt: "2027-03-01T10:00:00Z",
});

const context = (language: MailContext["language"]): MailContext => ({
  audience: "customer",
  language,
  timeZone: "Europe/Zurich",
  selfCareUrl: "https://selfcare.example.org/backup",
});

describe("the mail of a storage that will be full soon", () => {
  it("names the expected date in English, German and French", () => {
    const en = renderMail([forecast("firing")], context("en"), builtin);
    expect(en.subject).toBe("Backup 3723702: storage full around 14 March 2027 at its present growth");
    expect(en.text).toContain(
      "At the growth of the last 30 days, the storage will be full around 14 March 2027: new backups will then fail.",
    );
    expect(en.text).toContain("Storage used: 7 GiB of 10 GiB (70%).");
    const de = renderMail([forecast("firing")], context("de"), builtin);
    expect(de.subject).toBe("Backup 3723702: Speicher bei gleichem Wachstum etwa am 14. März 2027 voll");
    expect(de.text).toContain("etwa am 14. März 2027 voll: Danach schlagen neue Sicherungen fehl.");
    const fr = renderMail([forecast("firing")], context("fr"), builtin);
    expect(fr.subject).toBe("Sauvegarde 3723702\u202f: espace plein vers le 14 mars 2027 au rythme actuel");
    expect(fr.text).toContain("l’espace sera plein vers le 14 mars 2027\u202f: les nouvelles sauvegardes");
  });

  it("says the date no longer holds when the warning ends, not that the storage went below the level", () => {
    const resolved = forecast("resolved");
    const verdict = presentVerdict(
      {
        ...resolved,
        id: 1,
        fingerprint: "f",
        startsAt: resolved.startsAt,
        endsAt: "",
        receivedAt: 0,
      } as never,
      {
        uid: "3723702",
        resellers: [],
        neverUsed: false,
        quota: { quotaBytes: 10737418240, usedBytes: 7516192768, usedRatio: 0.7, warningRatio: 0.9 },
        settings: {} as never,
        hosts: [],
      },
    );
    expect(verdict.kind).toBe("confirmed");
    const annotations = verdict.kind === "confirmed" ? verdict.annotations : {};
    const mail = renderMail([{ ...resolved, annotations }], context("en"), builtin);
    expect(mail.subject).toBe("Backup 3723702: storage no longer expected to be full around 14 March 2027");
  });
});
