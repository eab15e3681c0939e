import { describe, expect, it } from "vitest";
import { type MailEntry, renderMail, templateSource } from "../../src/bridge/templates/index.js";
import { captureLogger } from "./support.js";

const builtin = templateSource(undefined, captureLogger().logger);
const portal = "https://backup.example/";

const entry = (account: string | undefined): MailEntry => ({
  task: "quota",
  status: "firing",
  labels: { task: "quota", ...(account ? { account } : {}) },
  annotations: { used_ratio: "0.97" },
  startsAt: "2026-11-26T10:00:00Z",
});

const hrefs = (html: string) => [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]);

describe("links in mails", () => {
  it("point every account's button and link at that account's page in the portal", () => {
    const mail = renderMail(
      [entry("3723701"), entry("a/b")],
      { audience: "reseller", language: "en", timeZone: "UTC", selfCareUrl: portal },
      builtin,
    );
    expect(hrefs(mail.html)).toEqual([
      "https://backup.example/accounts/3723701",
      "https://backup.example/accounts/a%2Fb",
    ]);
    expect(mail.html).toContain(">Open account 3723701</a>");
    expect(mail.text).toContain("Open account 3723701: https://backup.example/accounts/3723701");
    expect(mail.text).toContain("Open account a/b: https://backup.example/accounts/a%2Fb");
    expect(mail.text).not.toMatch(/https:\/\/backup\.example\/?\s/);
  });

  it("give one button per account however many problems it has", () => {
    const mail = renderMail(
      [entry("3723701"), { ...entry("3723701"), task: "unsuccessful" }],
      { audience: "customer", language: "de", timeZone: "UTC", selfCareUrl: portal },
      builtin,
    );
    expect(hrefs(mail.html)).toEqual(["https://backup.example/accounts/3723701"]);
  });

  it("give operators and alerts without an account no account button", () => {
    const operator = renderMail(
      [entry("3723701")],
      { audience: "operator", language: "en", timeZone: "UTC", selfCareUrl: portal },
      builtin,
    );
    expect(hrefs(operator.html)).toEqual([]);
    const noAccount = renderMail(
      [entry(undefined)],
      { audience: "customer", language: "en", timeZone: "UTC", selfCareUrl: portal },
      builtin,
    );
    expect(noAccount.html).not.toContain("Open account");
  });
});
