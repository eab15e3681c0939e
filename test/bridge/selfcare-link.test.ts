import { describe, expect, it } from "vitest";
import { selfCareLink } from "../../src/bridge/compose.js";
import type { QueuedItem } from "../../src/bridge/outbox.js";

const item = (account: string | undefined): QueuedItem => ({
  id: 1,
  alertId: 1,
  createdAt: 0,
  ...(account ? { account } : {}),
  task: "quota",
  recipient: { address: "a@example.org", audience: "customer", language: "en", timeZone: "UTC" },
  entry: { task: "quota", status: "firing", labels: {}, annotations: {}, startsAt: "2026-11-26T10:00:00Z" },
});

describe("the self-care link in mails", () => {
  it("points a mail about one account at its page in the portal", () => {
    expect(selfCareLink("https://backup.example/", "customer", [item("3723701"), item("3723701")])).toBe(
      "https://backup.example/accounts/3723701",
    );
    expect(selfCareLink("https://backup.example", "reseller", [item("a/b")])).toBe(
      "https://backup.example/accounts/a%2Fb",
    );
  });

  it("keeps the portal's front page for several accounts, operators and alerts without an account", () => {
    const base = "https://backup.example";
    expect(selfCareLink(base, "reseller", [item("3723701"), item("3723702")])).toBe(base);
    expect(selfCareLink(base, "operator", [item("3723701")])).toBe(base);
    expect(selfCareLink(base, "customer", [item(undefined)])).toBe(base);
  });
});
