import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { MailRecipient, RoutedItem } from "../../src/bridge/outbox.js";
import {
  applyUnsubscriptions,
  checkClaim,
  signClaim,
  type Unsubscription,
  unsubscribeUrl,
} from "../../src/bridge/unsubscribe.js";
import { configSchema } from "../../src/config/index.js";

const secret = "the key of the one-click links in this test, 48 chars";
const NOW = Date.parse("2026-12-06T07:00:00Z");
const claim = { address: "anna@example.co.uk", stream: "alerts:3723707" as const, expires: NOW + 1000 };

describe("one-click tokens", () => {
  it("carry the address, the stream and the expiry (to the second) under a signature", () => {
    expect(checkClaim(secret, signClaim(secret, claim), NOW)).toEqual({ ok: true, claim });
  });

  it("are forged when another key signed them, the payload or the signature changed, or the shape is not a token", () => {
    const token = signClaim(secret, claim);
    const [payload = "", signature = ""] = token.split(".");
    const other = signClaim(`${secret}!`, claim);
    const altered = Buffer.from(JSON.stringify({ a: "eve@example.org", s: "alerts", e: 9e9 })).toString(
      "base64url",
    );
    const flipped = `${signature.slice(0, -1)}${signature.endsWith("A") ? "B" : "A"}`;
    // Signed with the key, but not a claim: never trusted either.
    const notAClaim = Buffer.from(
      JSON.stringify({ a: "anna@example.co.uk", s: "everything", e: 9e9 }),
    ).toString("base64url");
    const signedNotAClaim = `${notAClaim}.${createHmac("sha256", secret).update(notAClaim).digest("base64url")}`;
    for (const forged of [
      other,
      `${altered}.${signature}`,
      `${payload}.${flipped}`,
      `${payload}.${signature.slice(0, 20)}`,
      payload,
      `${token}.x`,
      "",
      signedNotAClaim,
    ])
      expect(checkClaim(secret, forged, NOW), forged).toEqual({ ok: false, reason: "forged" });
  });

  it("expire: the claim is told, but not valid", () => {
    const token = signClaim(secret, { ...claim, expires: NOW });
    expect(checkClaim(secret, token, NOW)).toEqual({
      ok: false,
      reason: "expired",
      claim: { ...claim, expires: NOW },
    });
  });

  it("are only put into links with a key and an https:// portal, valid for linkDays", () => {
    const config = (bridge: object) =>
      configSchema.parse({ directory: { url: "file:x.ldif" }, bridge }).bridge;
    const signed = config({
      templates: { selfCareUrl: "https://portal.example/backup/" },
      unsubscribe: { secret, linkDays: 2 },
    });
    const url = unsubscribeUrl(signed, "anna@example.co.uk", "digest", NOW) ?? "";
    expect(url).toMatch(/^https:\/\/portal\.example\/backup\/unsubscribe\/[\w-]+\.[\w-]+$/);
    expect(checkClaim(secret, url.split("/").at(-1) ?? "", NOW)).toEqual({
      ok: true,
      claim: { address: "anna@example.co.uk", stream: "digest", expires: NOW + 2 * 86_400_000 },
    });
    expect(
      unsubscribeUrl(
        config({ templates: { selfCareUrl: "https://portal.example" } }),
        "a@b.example",
        "alerts",
        NOW,
      ),
    ).toBeUndefined();
    expect(
      unsubscribeUrl(
        config({ templates: { selfCareUrl: "http://127.0.0.1:9853" }, unsubscribe: { secret } }),
        "a@b.example",
        "alerts",
        NOW,
      ),
    ).toBeUndefined();
  });
});

describe("the unsubscription stage", () => {
  const entry = {
    task: "quota",
    status: "firing" as const,
    labels: {},
    annotations: {},
    startsAt: "2026-12-06T06:00:00Z",
  };
  const queued = (address: string, audience: MailRecipient["audience"]): RoutedItem => ({
    kind: "queued",
    recipient: { address, audience, language: "en", timeZone: "Europe/Zurich" },
    entry,
  });
  const unsubscribed = (address: string, stream: Unsubscription["stream"]): Unsubscription => ({
    id: 1,
    address,
    stream,
    createdAt: NOW,
    createdBy: address,
  });
  const items = [
    queued("Anna@Example.co.uk", "customer"),
    queued("support@muster-reseller.example", "reseller"),
    queued("ops@backup.example", "operator"),
  ];
  const outcome = (routed: RoutedItem[]) => routed.map((i) => (i.kind === "queued" ? "queued" : i.reason));

  it("suppresses the address's mails about the account it unsubscribed from, whatever the case, and says why", () => {
    expect(
      outcome(applyUnsubscriptions(items, "3723707", [unsubscribed("anna@example.co.uk", "alerts:3723707")])),
    ).toEqual([
      "unsubscribed: anna@example.co.uk from alerts of account 3723707 on 2026-12-06",
      "queued",
      "queued",
    ]);
    expect(
      outcome(applyUnsubscriptions(items, "3723702", [unsubscribed("anna@example.co.uk", "alerts:3723707")])),
    ).toEqual(["queued", "queued", "queued"]);
  });

  it("stops every account's alerts for `alerts`, none for `digest`, and never an operator's mail", () => {
    const all = [
      unsubscribed("support@muster-reseller.example", "alerts"),
      unsubscribed("ops@backup.example", "alerts"),
    ];
    expect(outcome(applyUnsubscriptions(items, "3723702", all))).toEqual([
      "queued",
      "unsubscribed: support@muster-reseller.example from alerts about every account on 2026-12-06",
      "queued",
    ]);
    expect(
      outcome(applyUnsubscriptions(items, "3723707", [unsubscribed("anna@example.co.uk", "digest")])),
    ).toEqual(["queued", "queued", "queued"]);
  });
});
