import { describe, expect, it } from "vitest";
import { alert, bridgeFixture, payload, post, quotaAnnotations, waitFor } from "./support.js";

const header = (mail: { parsed: { headers: Map<string, unknown> } } | undefined, name: string) =>
  mail?.parsed.headers.get(name);

/** Mails parsed by mailparser, as a mail client sees them: one conversation per problem. */
describe("mail threads and list headers", () => {
  const bridges = bridgeFixture();
  const start = async (templates: Record<string, unknown>) => {
    const { url, sink } = await bridges.start({
      bridge: { dedupeWindowSeconds: 0, smtp: { from: "Backup <backup@stoney.example>" }, templates },
    });
    return { url, mails: sink };
  };

  it("answers the first mail with the reminder and the resolution, and links the account's settings", async () => {
    const { url, mails } = await start({ selfCareUrl: "https://selfcare.stoney.example/backup/" });
    const firing = alert({
      account: "3723707",
      task: "quota",
      annotations: quotaAnnotations,
      fingerprint: "t1",
    });
    const to = "anna@example.co.uk";
    await post(url, payload([firing]));
    await waitFor("the warning", () => mails.to(to).length === 1);
    await post(url, payload([{ ...firing, annotations: { ...quotaAnnotations, used_ratio: "0.98" } }]));
    await waitFor("the reminder", () => mails.to(to).length === 2);
    await post(url, payload([{ ...firing, status: "resolved", endsAt: "2026-11-26T11:30:00Z" }]));
    await waitFor("the resolution", () => mails.to(to).length === 3);
    const [first, reminder, resolved] = mails.to(to);
    const root = first?.parsed.messageId;
    expect(root).toMatch(/^<[^@]+@stoney\.example>$/);
    expect(first?.parsed.subject).toBe("Backup 3723707: storage 97% full");
    expect(first?.parsed.inReplyTo).toBeUndefined();
    for (const reply of [reminder, resolved]) {
      expect(reply?.parsed.inReplyTo).toBe(root);
      expect(reply?.parsed.references).toBe(root);
      expect(reply?.parsed.subject).toBe("Re: Backup 3723707: storage 97% full");
      expect(reply?.parsed.messageId).not.toBe(root);
    }
    expect(reminder?.parsed.text).toContain("Storage 98% full");
    // No exporter state behind this bridge: the resolution says only what is certain.
    expect(resolved?.parsed.text).toContain("No longer reported: Storage almost full");
    for (const mail of [first, reminder, resolved]) {
      expect(header(mail, "content-language")).toBe("en");
      expect(header(mail, "list")).toEqual({
        id: { id: "customer.stoney-backup.stoney.example", name: "stoney backup customer notices" },
        unsubscribe: { url: "https://selfcare.stoney.example/backup/accounts/3723707/settings" },
        "unsubscribe-post": { name: "List-Unsubscribe=One-Click" },
      });
      expect(mail?.parsed.text).toContain(
        "You can change this at https://selfcare.stoney.example/backup/accounts/3723707/settings",
      );
    }
  });

  it("starts a new conversation for a new problem; no one-click unsubscribing for resellers or without https", async () => {
    const { url, mails } = await start({ selfCareUrl: "http://127.0.0.1:9853" });
    const quota = (fingerprint: string, startsAt: string) =>
      alert({ account: "3723702", task: "quota", annotations: quotaAnnotations, fingerprint, startsAt });
    await post(url, payload([quota("n1", "2026-11-26T10:00:00Z")]));
    await waitFor("the first mails", () => mails.mails.length === 2);
    await post(url, payload([quota("n1", "2026-11-27T10:00:00Z")]));
    await waitFor("the second problem's mails", () => mails.mails.length === 4);
    const lists = mails.mails.map((mail) => {
      expect(mail.parsed.inReplyTo).toBeUndefined();
      const list = header(mail, "list") as { id: { id: string }; unsubscribe?: unknown };
      expect(list.unsubscribe).toBeUndefined();
      return list.id.id;
    });
    expect(new Set(lists)).toEqual(
      new Set(["customer.stoney-backup.stoney.example", "reseller.stoney-backup.stoney.example"]),
    );
    const languages = new Set(mails.mails.map((m) => header(m, "content-language")));
    expect(languages).toEqual(new Set(["de"]));
  });
});
