import { request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { Collector } from "../../src/exporter/collector.js";
import { contentType, createApp } from "../../src/exporter/http.js";
import { createSelfMetrics } from "../../src/exporter/self-metrics.js";
import { parseExposition, seriesValue } from "./exposition.js";
import { account, FakeDirectory, FakeReader, host, settings } from "./fakes.js";

const logger = pino({ level: "silent" });
let server: Server | undefined;

afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

const serve = async (credentials?: { username: string; password: string }) => {
  const directory = new FakeDirectory();
  directory.accounts = [account("3723701")];
  const reader = new FakeReader();
  reader.states.set("3723701", {
    hosts: [host("pc", { status: "failed" })],
    quota: {},
    neverUsed: false,
    errors: [],
  });
  const metrics = createSelfMetrics();
  const collector = new Collector({ directory, reader, settings, metrics, logger, concurrency: 2 });
  const app = createApp(
    {
      body: () => collector.snapshot?.body,
      selfMetrics: () => metrics.registry.metrics(),
      ready: () => collector.snapshot !== undefined,
    },
    logger,
    credentials,
  );
  const listening = app.listen(0, "127.0.0.1");
  server = listening;
  await new Promise((resolve) => listening.once("listening", resolve));
  const url = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
  return { url, collector };
};

describe("exporter HTTP", () => {
  it("answers /metrics before the first collection, and /readyz only after it", async () => {
    const { url, collector } = await serve();
    expect((await fetch(`${url}/readyz`)).status).toBe(503);
    const early = await fetch(`${url}/metrics`);
    expect(early.status).toBe(200);
    expect(seriesValue(parseExposition(await early.text()), "stoney_backup_collector_up")).toBe(0);
    await collector.collect();
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it("serves the text format plain and gzip-compressed with the same content", async () => {
    const { url, collector } = await serve();
    await collector.collect();
    const plain = await fetch(`${url}/metrics`, { headers: { "accept-encoding": "identity" } });
    expect(plain.headers.get("content-type")).toBe(contentType);
    expect(plain.headers.get("content-encoding")).toBeNull();
    const plainText = await plain.text();
    expect(Number(plain.headers.get("content-length"))).toBe(Buffer.byteLength(plainText));
    expect(
      seriesValue(parseExposition(plainText), "stoney_backup_last_run_status", {
        account: "3723701",
        host: "pc",
        status: "failed",
      }),
    ).toBe(1);

    // fetch would inflate transparently; read the raw bytes through node:http instead.
    const raw = await new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
      request(`${url}/metrics`, { headers: { "accept-encoding": "gzip" } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      })
        .on("error", reject)
        .end();
    });
    expect(raw.headers["content-encoding"]).toBe("gzip");
    expect(Number(raw.headers["content-length"])).toBe(raw.body.length);
    const inflated = gunzipSync(raw.body).toString("utf8");
    const withoutProcess = (text: string) =>
      parseExposition(text).filter(
        (s) => s.name.startsWith("stoney_backup_") && !s.name.startsWith("stoney_backup_collector_duration"),
      );
    expect(withoutProcess(inflated)).toEqual(withoutProcess(plainText));
  });

  it("has a landing page linking the endpoints", async () => {
    const { url } = await serve();
    const page = await fetch(url);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await page.text();
    for (const link of ["metrics", "healthz", "readyz"]) expect(html).toContain(`href="${link}"`);
  });

  it("asks for basic auth on /metrics only, when configured", async () => {
    const { url } = await serve({ username: "prometheus", password: "s3cret:with colon" });
    const anonymous = await fetch(`${url}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toMatch(/^Basic realm=/);
    const wrong = await fetch(`${url}/metrics`, {
      headers: { authorization: `Basic ${Buffer.from("prometheus:nope").toString("base64")}` },
    });
    expect(wrong.status).toBe(401);
    const right = await fetch(`${url}/metrics`, {
      headers: { authorization: `Basic ${Buffer.from("prometheus:s3cret:with colon").toString("base64")}` },
    });
    expect(right.status).toBe(200);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });
});
