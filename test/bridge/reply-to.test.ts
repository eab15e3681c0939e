import { describe, expect, it } from "vitest";
import { alert, bridgeFixture, payload, post, quotaAnnotations, settled, waitFor } from "./support.js";

const replyTo = (mail: { parsed: { replyTo?: { value: Array<{ address?: string }> } } } | undefined) =>
  mail?.parsed.replyTo?.value.map((v) => v.address);

/** Replies reach a human: the mails a real SMTP server receives, parsed by mailparser. */
describe("Reply-To", () => {
  const bridges = bridgeFixture();

  it("names the reseller's own address for its customers, the operator's support address otherwise, none for operators", async () => {
    const { url, bridge, sink } = await bridges.start({ bridge: { replyTo: "support@backup.example" } });
    await post(
      url,
      payload([
        // 3723702: reseller 4000001 has its own mail, support@muster-reseller.example.
        alert({ account: "3723702", task: "quota", annotations: quotaAnnotations }),
        // 3723704: reseller 4000002 has none (its mails go to a person): the operator's address.
        alert({ account: "3723704", task: "schedule", labels: { host: "MacBook-Zoe" } }),
        // 3723707: no reseller.
        alert({ account: "3723707", task: "quota", annotations: quotaAnnotations }),
        alert({ task: "monitoring", labels: { audience: "operator" } }),
      ]),
    );
    await waitFor("the mails", async () => (await settled(bridge)) && sink.mails.length >= 6);
    expect(replyTo(sink.to("juerg.mueller@example.ch")[0])).toEqual(["support@muster-reseller.example"]);
    expect(replyTo(sink.to("support@muster-reseller.example")[0])).toEqual(["support@backup.example"]);
    expect(replyTo(sink.to("zoe.lefevre@example.fr")[0])).toEqual(["support@backup.example"]);
    expect(replyTo(sink.to("support@eclair.example")[0])).toEqual(["support@backup.example"]);
    expect(replyTo(sink.to("anna@example.co.uk")[0])).toEqual(["support@backup.example"]);
    expect(sink.to("ops@backup.example")[0]?.parsed.replyTo).toBeUndefined();
  });

  it("is left out when no support address is configured", async () => {
    const { url, sink } = await bridges.start();
    await post(url, payload([alert({ account: "3723707", task: "quota", annotations: quotaAnnotations })]));
    await waitFor("the mail", () => sink.to("anna@example.co.uk").length === 1);
    expect(sink.to("anna@example.co.uk")[0]?.parsed.replyTo).toBeUndefined();
  });
});
