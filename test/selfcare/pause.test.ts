import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningBridge } from "../../src/bridge/index.js";
import type { RunningSelfcare } from "../../src/selfcare/index.js";
import { alert, payload, type SmtpSink, smtpSink, testConfig, waitFor } from "../bridge/support.js";
import { type RunningDaemon, startAlertmanager } from "../stack/servers.js";
import { requireBinaries } from "../support/binaries.js";
import { type BridgeAndPortal, demo, login, startBridgeAndPortal } from "./support.js";

const enabled = requireBinaries(["prometheus-alertmanager"]);

interface Silence {
  id: string;
  status: { state: string };
  matchers: { name: string; value: string }[];
  createdBy: string;
}

describe.runIf(enabled)("a pause in the portal", () => {
  let dir: string;
  let smtp: SmtpSink;
  let alertmanager: RunningDaemon;
  let running: BridgeAndPortal;
  let bridge: RunningBridge;
  let portal: RunningSelfcare;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "stoney-pause-"));
    smtp = await smtpSink();
    alertmanager = await startAlertmanager(path.join(dir, "alertmanager"), {
      webhookUrl: "http://127.0.0.1:9/webhook",
      token: "unused",
      waitSeconds: 1,
    });
    const config = testConfig({ dir, bridge: { smtp: { url: smtp.url } } });
    config.selfcare.alertmanagerUrl = alertmanager.url;
    running = await startBridgeAndPortal(config);
    ({ bridge, portal } = running);
  });
  afterAll(async () => {
    await running?.close();
    await alertmanager?.stop();
    await smtp?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const silences = async (): Promise<Silence[]> =>
    (await (await fetch(`${alertmanager.url}/api/v2/silences`)).json()) as Silence[];

  it("suppresses the mails the bridge would have sent, records why, and is an Alertmanager silence", async () => {
    const customer = await login(portal.url, demo.customer);
    const until = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    const created = await customer.call("POST", "/api/v1/accounts/3723702/pauses", {
      until,
      comment: "move",
    });
    expect(created.status).toBe(201);
    const pause = (await created.json()) as { id: number; silenceId?: string };
    expect(pause.silenceId).toBeDefined();
    const silence = (await silences()).find((s) => s.id === pause.silenceId);
    expect(silence?.status.state).toBe("active");
    expect(silence?.matchers).toMatchObject([{ name: "account", value: "3723702" }]);
    expect(silence?.createdBy).toBe("5000001");

    // The same alert for a paused and for an unpaused account of the same owner: only one is mailed.
    const posted = await fetch(`${bridge.url}/webhook`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(
        payload([alert({ account: "3723702", task: "quota" }), alert({ account: "3723701", task: "quota" })]),
      ),
    });
    expect(posted.status).toBe(200);
    await waitFor("the unpaused account's mail", () => smtp.to("backup@alpenblick.example").length > 0);
    const paused = await waitFor("the paused account's history", async () => {
      const rows = await bridge.outbox.history("3723702", 10);
      return rows.length >= 2 ? rows : undefined;
    });
    // The end of that day where Jürg Müller lives (sstTimeZoneOffset +01:00).
    expect(paused.map((row) => row.outcome)).toEqual([
      `suppressed: paused by 5000001 until ${until}T22:59:59Z`,
      `suppressed: paused by 5000001 until ${until}T22:59:59Z`,
    ]);
    expect(smtp.to("juerg.mueller@example.ch")).toHaveLength(0);
    expect(smtp.to("support@muster-reseller.example").map((m) => m.parsed.text ?? "")).not.toContainEqual(
      expect.stringContaining("3723702"),
    );

    const page = await customer.call("GET", "/api/v1/accounts/3723702");
    const details = (await page.json()) as { history: { outcome: string }[]; activePause?: { id: number } };
    expect(details.activePause?.id).toBe(pause.id);
    expect(details.history[0]?.outcome).toMatch(/^suppressed: paused by 5000001 until/);

    expect((await customer.call("DELETE", `/api/v1/accounts/3723702/pauses/${pause.id}`)).status).toBe(200);
    const expired = (await silences()).find((s) => s.id === pause.silenceId);
    expect(expired?.status.state).toBe("expired");
  });
});
