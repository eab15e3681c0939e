import { describe, expect, it } from "vitest";
import type { RunningBridge } from "../../src/bridge/index.js";
import { alert, bridgeFixture, payload, post, sleep, sqliteOf, testConfig } from "./support.js";

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

/** An empty JSON post with no Authorization header. */
const postWithoutCredentials = (url: string) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });

describe("webhook answers", () => {
  let bridge: RunningBridge | undefined;
  const bridges = bridgeFixture();

  const start = async (bridgeConfig: Record<string, unknown> = {}) => {
    bridge = await bridges.startWith(testConfig({ dir: bridges.temp(), bridge: bridgeConfig }));
    return `${bridge.url}/webhook`;
  };

  it("accepts a valid payload with 200 once stored, and unknown fields", async () => {
    const url = await start();
    const body = payload([{ ...alert({ account: "3723702", task: "quota" }), newField: 1 }], {
      futureField: "x",
    });
    const answer = await post(url, body);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: "accepted", alerts: 1, duplicates: 0 });
    const stored = (bridge && sqliteOf(bridge))?.prepare("SELECT COUNT(*) AS n FROM alerts").get() as {
      n: number;
    };
    expect(stored.n).toBe(1);
  });

  it("answers 400 with the reason for invalid payloads", async () => {
    const url = await start();
    const missing = await post(url, payload([{ ...alert(), fingerprint: undefined }]));
    expect(missing.status).toBe(400);
    expect(String(missing.body.error)).toContain("alerts.0.fingerprint");
    const version = await post(url, { ...payload([alert()]), version: "3" });
    expect(version.status).toBe(400);
    expect(String(version.body.error)).toContain("version");
    const broken = await post(url, "{not json");
    expect(broken.status).toBe(400);
    expect(String(broken.body.error)).toContain("invalid JSON");
  });

  it("answers 401 without or with wrong credentials (bearer token)", async () => {
    const url = await start({ auth: { bearerToken: "s3cret-token" } });
    expect((await post(url, payload([alert()]))).status).toBe(401);
    expect((await post(url, payload([alert()]), { authorization: "Bearer wrong" })).status).toBe(401);
    expect(
      (await post(url, payload([alert()]), { authorization: "Bearer s3cret-token-longer" })).status,
    ).toBe(401);
    expect((await post(url, payload([alert()]), { authorization: basic("x", "s3cret-token") })).status).toBe(
      401,
    );
    expect((await post(url, payload([alert()]), { authorization: "Bearer s3cret-token" })).status).toBe(200);
  });

  it("answers 401 without or with wrong credentials (basic auth)", async () => {
    const url = await start({ auth: { basic: { username: "alertmanager", password: "pw" } } });
    expect((await post(url, payload([alert()]))).status).toBe(401);
    expect(
      (await post(url, payload([alert()]), { authorization: basic("alertmanager", "nope") })).status,
    ).toBe(401);
    expect((await post(url, payload([alert()]), { authorization: basic("other", "pw") })).status).toBe(401);
    expect((await post(url, payload([alert()]), { authorization: basic("alertmanager", "pw") })).status).toBe(
      200,
    );
  });

  it("answers 413 over the body limit and 415 for other content types", async () => {
    const url = await start({ bodyLimitBytes: 2048 });
    const big = payload(
      Array.from({ length: 20 }, () => alert({ annotations: { description: "x".repeat(200) } })),
    );
    expect((await post(url, big)).status).toBe(413);
    expect((await post(url, payload([alert()]), { "content-type": "text/plain" })).status).toBe(415);
    expect((await post(url, "a=b", { "content-type": "application/x-www-form-urlencoded" })).status).toBe(
      415,
    );
  });

  it("answers 413 to a streamed body over the limit, 415 to another charset or a compressed body, and names the reason", async () => {
    const url = await start({ bodyLimitBytes: 2048 });
    const big = JSON.stringify(payload([alert({ annotations: { description: "x".repeat(4000) } })]));
    // No Content-Length: the body arrives in chunks, and the limit is counted as it comes.
    const chunks = [big.slice(0, 1000), big.slice(1000)];
    const streamed = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: new ReadableStream({
        pull(controller) {
          const chunk = chunks.shift();
          if (chunk === undefined) controller.close();
          else controller.enqueue(new TextEncoder().encode(chunk));
        },
      }),
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(await streamed.json()).toEqual({ status: "error", error: "body larger than 2048 bytes" });
    const latin = await post(url, payload([alert()]), {
      "content-type": "application/json; charset=ISO-8859-1",
    });
    expect(latin).toEqual({
      status: 415,
      body: { status: "error", error: 'unsupported charset "ISO-8859-1"' },
    });
    const gzip = await post(url, payload([alert()]), { "content-encoding": "gzip" });
    expect(gzip).toEqual({
      status: 415,
      body: { status: "error", error: 'unsupported content encoding "gzip"' },
    });
    expect(
      (await post(url, payload([alert()]), { "content-type": "application/json; charset=utf-8" })).status,
    ).toBe(200);
    const anonymous = await postWithoutCredentials(url);
    expect(anonymous.status).toBe(400);
    expect(anonymous.headers.get("content-type")).toBe("application/json; charset=utf-8");
  });

  it("asks for the credentials it takes in WWW-Authenticate", async () => {
    const url = await start({ auth: { bearerToken: "s3cret-token" } });
    const refused = await postWithoutCredentials(url);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toBe("Bearer");
  });

  it("answers 503 when the outbox cannot write, so Alertmanager retries", async () => {
    const url = await start();
    (bridge && sqliteOf(bridge))?.pragma("query_only = ON");
    expect((await post(url, payload([alert()]))).status).toBe(503);
    expect((await fetch(`${bridge?.url}/readyz`)).status).toBe(503);
    (bridge && sqliteOf(bridge))?.pragma("query_only = OFF");
    expect((await post(url, payload([alert()]))).status).toBe(200);
    expect((await fetch(`${bridge?.url}/readyz`)).status).toBe(200);
  });

  it("serves /healthz and /metrics with the contract's metric names", async () => {
    const url = await start();
    await post(url, payload([alert({ account: "3723702" }), alert({ account: "3723703" })]));
    expect((await fetch(`${bridge?.url}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${bridge?.url}/metrics`)).text();
    expect(metrics).toContain("stoney_backup_bridge_notifications_received_total 1");
    expect(metrics).toContain("stoney_backup_bridge_alerts_received_total 2");
    for (const name of [
      "mails_sent_total",
      "mails_failed_total",
      "mails_retried_total",
      "mails_suppressed_total",
      "outbox_pending",
      "outbox_oldest_pending_age_seconds",
      "dead_letters_total",
      "dead_letters",
      "smtp_send_duration_seconds",
      "directory_errors_total",
    ])
      expect(metrics).toContain(`# TYPE stoney_backup_bridge_${name} `);
  });

  it("takes a repeat within the receiver's repeat_interval as a duplicate and a later one as a reminder", async () => {
    const url = await start({ dedupeWindowSeconds: undefined, repeatIntervals: { "stoney-bridge": 1.5 } });
    const body = payload([alert({ account: "3723702", task: "quota", fingerprint: "repeated" })]);
    expect((await post(url, body)).body).toMatchObject({ duplicates: 0 });
    // A group change or an HA replica within the interval: no second mail.
    expect((await post(url, body)).body).toMatchObject({ duplicates: 1 });
    // Another receiver keeps the default interval (4 h).
    const other = { ...body, receiver: "operators" };
    expect((await post(url, other)).body).toMatchObject({ duplicates: 1 });
    await sleep(1600);
    expect((await post(url, body)).body).toMatchObject({ duplicates: 0 });
    expect((await post(url, other)).body).toMatchObject({ duplicates: 1 });
  });
});
