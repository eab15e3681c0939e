import { describe, expect, it } from "vitest";
import { checkClaim } from "../../src/bridge/unsubscribe.js";
import { alert, bridgeFixture, payload, post, quotaAnnotations, waitFor } from "./support.js";

const header = (mail: { parsed: { headers: Map<string, unknown> } } | undefined, name: string) =>
  mail?.parsed.headers.get(name);

const secret = "a test key of the one-click unsubscribe links, 48 chars";

/** The claim of a mail's one-click link under `base`, checked with the test key; undefined without a link. */
const unsubscribeClaim = (mail: { parsed: { headers: Map<string, unknown> } } | undefined, base: string) => {
  const list = header(mail, "list") as { unsubscribe?: { url: string } } | undefined;
  const url = list?.unsubscribe?.url;
  if (url === undefined) return undefined;
  expect(url.startsWith(`${base}/unsubscribe/`)).toBe(true);
  const check = checkClaim(secret, url.slice(`${base}/unsubscribe/`.length), Date.now());
  return check.ok ? { address: check.claim.address, stream: check.claim.stream } : check;
};

/** Mails parsed by mailparser, as a mail client sees them: one conversation per problem. */
describe("mail threads and list headers", () => {
  const bridges = bridgeFixture();
  const start = async (templates: Record<string, unknown>, unsubscribe: Record<string, unknown> = {}) => {
    const { url, sink } = await bridges.start({
      bridge: {
        dedupeWindowSeconds: 0,
        smtp: { from: "Backup <backup@stoney.example>" },
        templates,
        unsubscribe,
      },
    });
    return { url, mails: sink };
  };

  it("gives customer and reseller mails a signed one-click link per recipient and account, operator mails none", async () => {
    const base = "https://selfcare.stoney.example";
    const { url, mails } = await start({ selfCareUrl: base }, { secret });
    await post(
      url,
      payload([
        alert({ account: "3723702", task: "quota", annotations: quotaAnnotations }),
        alert({ task: "exporter", labels: { audience: "operator" } }),
      ]),
    );
    await waitFor("the customer's, the reseller's and the operators' mails", () => mails.mails.length === 3);
    const customer = mails.to("juerg.mueller@example.ch")[0];
    const reseller = mails.to("support@muster-reseller.example")[0];
    const operator = mails.to("ops@backup.example")[0];
    expect(unsubscribeClaim(customer, base)).toEqual({
      address: "juerg.mueller@example.ch",
      stream: "alerts:3723702",
    });
    expect(unsubscribeClaim(reseller, base)).toEqual({
      address: "support@muster-reseller.example",
      stream: "alerts:3723702",
    });
    for (const mail of [customer, reseller])
      expect(header(mail, "list")).toMatchObject({
        "unsubscribe-post": { name: "List-Unsubscribe=One-Click" },
      });
    expect(header(operator, "list")).toEqual({
      id: { id: "operator.stoney-backup.stoney.example", name: "stoney backup operator notices" },
    });
    expect(operator?.raw).not.toMatch(/^List-Unsubscribe/im);
  });

  it("offers a mail about several accounts the unsubscribing from all alerts; without a key, no link", async () => {
    const base = "https://selfcare.stoney.example";
    const { url, mails } = await start({ selfCareUrl: base }, { secret });
    await post(
      url,
      payload([
        alert({ account: "3723702", task: "quota", annotations: quotaAnnotations }),
        alert({ account: "3723701", task: "quota", annotations: quotaAnnotations }),
      ]),
    );
    await waitFor("the mails", () => mails.to("support@muster-reseller.example").length === 1);
    expect(unsubscribeClaim(mails.to("support@muster-reseller.example")[0], base)).toEqual({
      address: "support@muster-reseller.example",
      stream: "alerts",
    });

    const unsigned = await start({ selfCareUrl: base });
    await post(
      unsigned.url,
      payload([alert({ account: "3723707", task: "quota", annotations: quotaAnnotations })]),
    );
    await waitFor("the mail", () => unsigned.mails.to("anna@example.co.uk").length === 1);
    expect(unsubscribeClaim(unsigned.mails.to("anna@example.co.uk")[0], base)).toBeUndefined();
  });

  it("answers the first mail with the reminder and the resolution, and links the account's settings", async () => {
    const { url, mails } = await start(
      { selfCareUrl: "https://selfcare.stoney.example/backup/" },
      { secret },
    );
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
      expect(header(mail, "list")).toMatchObject({
        id: { id: "customer.stoney-backup.stoney.example", name: "stoney backup customer notices" },
        "unsubscribe-post": { name: "List-Unsubscribe=One-Click" },
      });
      expect(unsubscribeClaim(mail, "https://selfcare.stoney.example/backup")).toEqual({
        address: to,
        stream: "alerts:3723707",
      });
      expect(mail?.parsed.text).toContain(
        "You can change this at https://selfcare.stoney.example/backup/accounts/3723707/settings",
      );
    }
  });

  it("starts a new conversation for a new problem; no one-click unsubscribing without https", async () => {
    const { url, mails } = await start({ selfCareUrl: "http://127.0.0.1:9853" }, { secret });
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
