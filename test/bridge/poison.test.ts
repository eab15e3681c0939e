import { describe, expect, it } from "vitest";
import type { Notification } from "../../src/bridge/payload.js";
import {
  alert,
  bridgeFixture,
  freePort,
  payload,
  post,
  quotaAnnotations,
  type SmtpSink,
  sqliteOf,
  waitFor,
} from "./support.js";

const text = (sink: SmtpSink, address: string) =>
  sink
    .to(address)
    .map((m) => m.parsed.text ?? "")
    .join("\n");

/** Hostile or broken alert values against the whole pipeline (LDIF directory, real SMTP server). */
describe("bridge poison alerts", () => {
  const bridges = bridgeFixture();

  it("mails the good alert behind a far-future startsAt and a 1e300 annotation", async () => {
    const { bridge: running, sink: smtp, lines, url } = await bridges.start({ log: "warn" });
    const hostile = payload([
      // Jürg's zone is +01:00: this instant plus one hour is past the last date JavaScript knows.
      alert({
        account: "3723702",
        task: "quota",
        annotations: quotaAnnotations,
        startsAt: "+275760-09-13T00:00:00Z",
      }),
      alert({
        account: "3723707",
        task: "unsuccessful",
        annotations: { last_success_timestamp: "1e300", consecutive_failures: "3", threshold: "1e300" },
      }),
    ]);
    const answer = await post(url, hostile);
    expect(answer.status).toBe(200);
    expect(answer.body.alerts).toBe(2);
    expect(answer.body.notes).toEqual([
      expect.stringMatching(/^alerts\.0\.startsAt: "\+275760-09-13T00:00:00Z" is no RFC 3339 time/),
      'alerts.1.annotations.threshold: "1e300" dropped, expected a whole number up to 10^9',
      'alerts.1.annotations.last_success_timestamp: "1e300" dropped, expected Unix seconds between 1970 and 2200',
    ]);
    expect(lines.some((l) => l.msg === "webhook values left out of the mails (the alerts are kept)")).toBe(
      true,
    );

    const good = payload([
      alert({ task: "monitoring", labels: { audience: "operator" }, annotations: { summary: "good one" } }),
      alert({ account: "3723701", task: "quota", annotations: quotaAnnotations }),
    ]);
    expect((await post(url, good)).status).toBe(200);
    await waitFor("the good alerts' mails", () =>
      text(smtp, "ops@backup.example").includes("good one")
        ? smtp.to("backup@alpenblick.example").length === 1
        : false,
    );
    // The hostile alerts are mailed too, without the values that could not be shown.
    await waitFor("the hostile alerts' mails", () => smtp.to("juerg.mueller@example.ch").length === 1);
    await waitFor("Anna's mail", () => smtp.to("anna@example.co.uk").length === 1);
    expect(text(smtp, "anna@example.co.uk")).not.toMatch(/1e300|Invalid/);
    expect((await running.outbox.stats()).deadLetters).toBe(0);
  });

  it("dead-letters an item no template can render and mails the others of its recipient", async () => {
    const { bridge: running, sink: smtp } = await bridges.start({ log: "warn" });
    // Stored by an older bridge that checked nothing: an annotation that is not even a string.
    const broken = {
      ...payload([alert({ task: "monitoring", labels: { audience: "operator" } })]),
    } as unknown as Notification;
    const [first] = broken.alerts;
    if (first) first.annotations = { summary: 42 } as unknown as Record<string, string>;
    const good = payload([
      alert({
        task: "monitoring",
        labels: { audience: "operator" },
        annotations: { summary: "still mailed" },
      }),
    ]) as unknown as Notification;
    await running.outbox.accept(broken, Date.now(), 0);
    await running.outbox.accept(good, Date.now(), 0);
    running.pipeline.wake();

    await waitFor("the operator mail", () => smtp.to("ops@backup.example").length === 1);
    expect(text(smtp, "ops@backup.example")).toContain("still mailed");
    await waitFor("the dead letter", async () => (await running.outbox.stats()).deadLetters === 1);
    const item = sqliteOf(running).prepare("SELECT state, reason FROM items WHERE state = 'dead'").get() as {
      reason: string;
    };
    expect(item.reason).toMatch(/^cannot render: /);
    const metrics = await (await fetch(`${running.url}/metrics`)).text();
    expect(metrics).toContain("stoney_backup_bridge_dead_letters 1");
    expect(metrics).toContain("stoney_backup_bridge_dead_letters_total 1");
  });

  it("gives an alert whose directory look-up keeps failing to the operators after retry.maxAgeHours", async () => {
    const { bridge: running, sink: smtp } = await bridges.start({
      bridge: { retry: { maxAgeHours: 0.5 / 3600 } },
      directory: { url: `ldap://127.0.0.1:${await freePort()}`, connectTimeoutMs: 200, timeoutMs: 200 },
      log: "warn",
    });
    await post(
      `${running.url}/webhook`,
      payload([alert({ account: "3723707", task: "quota", annotations: quotaAnnotations })]),
    );
    await waitFor("the operators' undeliverable notice", () => smtp.to("ops@backup.example").length === 1);
    const notice = text(smtp, "ops@backup.example");
    expect(notice).toContain("Not delivered to the customer or reseller: the directory look-up failed");
    expect(notice).toContain("3723707");
    expect((await running.outbox.stats()).pendingAlerts).toBe(0);
    expect((await running.outbox.history("3723707", 100))[0]).toMatchObject({
      recipient: "ops@backup.example",
      outcome: "sent",
    });
  });
});
