import { request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { type CompressedBody, compressBody } from "../../src/exporter/body.js";
import { Collector } from "../../src/exporter/collector.js";
import { contentType, createApp } from "../../src/exporter/http.js";
import { createSelfMetrics } from "../../src/exporter/self-metrics.js";
import { basicAuthHeaders } from "../../src/http-auth.js";
import { DAY_MS, type JournalReader, type JournalRun, type UsageDay } from "../../src/journal/index.js";
import { parseExposition, seriesValue } from "./exposition.js";
import { account, FakeDirectory, FakeReader, host, settings } from "./fakes.js";

const logger = pino({ level: "silent" });
let server: Server | undefined;

afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

const serve = async (credentials?: { username: string; password: string }, journal?: JournalReader) => {
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
      ...(journal ? { journal } : {}),
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

  describe("plain scrapes of a body larger than the connection buffers", () => {
    const tail = "# TYPE stoney_backup_collector_up gauge\nstoney_backup_collector_up 1\n";
    /** Exposition text that says which collection rendered it, 2.6 MB per 500 chunks. */
    const collectionText = (collection: number, chunks = 500) =>
      Array.from({ length: chunks }, (_, chunk) =>
        Array.from(
          { length: 100 },
          (_, line) => `stoney_backup_test_collection{account="${chunk * 100 + line}"} ${collection}\n`,
        ).join(""),
      );
    const serveBody = async (body: CompressedBody) => {
      const source = { current: body };
      const app = createApp(
        { body: () => source.current, selfMetrics: async () => tail, ready: () => true },
        logger,
      );
      const listening = app.listen(0, "127.0.0.1");
      server = listening;
      await new Promise((resolve) => listening.once("listening", resolve));
      return { url: `http://127.0.0.1:${(listening.address() as AddressInfo).port}`, source };
    };
    /** A plain scrape whose reading starts only when `read` is called. */
    const slowScrape = (url: string) =>
      new Promise<{ headers: Record<string, unknown>; read: () => Promise<Buffer> }>((resolve, reject) => {
        request(`${url}/metrics`, { headers: { "accept-encoding": "identity" } }, (res) => {
          res.pause();
          resolve({
            headers: res.headers,
            read: () =>
              new Promise((done, failed) => {
                const chunks: Buffer[] = [];
                res.on("data", (chunk: Buffer) => chunks.push(chunk));
                res.on("end", () => done(Buffer.concat(chunks)));
                res.on("error", failed);
                res.resume();
              }),
          });
        })
          .on("error", reject)
          .end();
      });

    it("finishes a scrape of the old body when a new collection replaces it meanwhile", async () => {
      // 16 MB: more than the inflated bytes the scrape queues and the kernel's buffers hold, so it is
      // still inflating the first body when the second replaces it.
      const first = await compressBody(collectionText(1, 3000), 64 * 1024);
      const { url, source } = await serveBody(first);
      const scrape = await slowScrape(url);
      source.current = await compressBody(collectionText(2, 3000), 64 * 1024);
      const received = await scrape.read();
      expect(Number(scrape.headers["content-length"])).toBe(received.length);
      expect(received.toString("utf8")).toBe(collectionText(1, 3000).join("") + tail);
      const next = await fetch(`${url}/metrics`, { headers: { "accept-encoding": "identity" } });
      expect(await next.text()).toBe(collectionText(2, 3000).join("") + tail);
    });

    it("serves the same bytes plain and gzip-compressed, the tail last", async () => {
      const { url } = await serveBody(await compressBody(collectionText(1), 64 * 1024));
      const plain = await (await slowScrape(url)).read();
      const gzip = await new Promise<Buffer>((resolve, reject) => {
        request(`${url}/metrics`, { headers: { "accept-encoding": "gzip" } }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => resolve(Buffer.concat(chunks)));
        })
          .on("error", reject)
          .end();
      });
      expect(gunzipSync(gzip).equals(plain)).toBe(true);
      expect(plain.toString("utf8").endsWith(`} 1\n${tail}`)).toBe(true);
    });

    it("keeps serving after a client goes away in the middle of a plain scrape", async () => {
      const { url } = await serveBody(await compressBody(collectionText(1), 64 * 1024));
      await new Promise<void>((resolve, reject) => {
        const req = request(`${url}/metrics`, { headers: { "accept-encoding": "identity" } }, (res) => {
          res.once("data", () => {
            req.destroy();
            resolve();
          });
        }).on("error", (error) => {
          if (!req.destroyed) reject(error);
        });
        req.end();
      });
      const next = await fetch(`${url}/metrics`, { headers: { "accept-encoding": "identity" } });
      expect(await next.text()).toBe(collectionText(1).join("") + tail);
    });
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

  describe("an account's run journal", () => {
    const scrape = { username: "prometheus", password: "s3cret" };
    const run: JournalRun = {
      account: "3723701",
      host: "pc",
      runId: "r1",
      startedMs: Date.parse("2026-11-20T20:00:00Z"),
      endedMs: Date.parse("2026-11-20T20:30:00Z"),
      success: true,
      clientVersion: "2.4.1",
    };
    const day: UsageDay = {
      account: "3723701",
      day: Date.parse("2026-11-20T00:00:00Z") / DAY_MS,
      usedBytes: 5,
    };
    /** A journal holding one run and one usage day of 3723701, in the times and days it is asked for. */
    const journal: JournalReader = {
      runs: async (account, sinceMs, untilMs) =>
        [run].filter((r) => r.account === account && r.endedMs >= sinceMs && r.endedMs <= untilMs),
      usage: async (account, sinceDay, untilDay) =>
        [day].filter((u) => u.account === account && u.day >= sinceDay && u.day <= untilDay),
      close: async () => {},
    };
    const range = "since=2026-11-01T00:00:00Z&until=2026-11-30T00:00:00Z";

    it("serves the runs and usage of the range asked for, behind the basic auth", async () => {
      const { url } = await serve(scrape, journal);
      const get = (p: string) => fetch(`${url}${p}`, { headers: basicAuthHeaders(scrape) });
      const runs = await get(`/api/v1/journal/accounts/3723701/runs?${range}`);
      expect(runs.status).toBe(200);
      expect(await runs.json()).toEqual({ runs: [run] });
      const usage = await get(`/api/v1/journal/accounts/3723701/usage?${range}`);
      expect(await usage.json()).toEqual({ usage: [day] });
      const before = await get("/api/v1/journal/accounts/3723701/runs?until=2026-11-20T20:29:59Z");
      expect(await before.json()).toEqual({ runs: [] });
      const other = await get(`/api/v1/journal/accounts/3723702/runs?${range}`);
      expect(await other.json()).toEqual({ runs: [] });
    });

    it("refuses a request without the credentials, and serves nothing when none are configured", async () => {
      const { url } = await serve(scrape, journal);
      const anonymous = await fetch(`${url}/api/v1/journal/accounts/3723701/runs?${range}`);
      expect(anonymous.status).toBe(401);
      const wrong = await fetch(`${url}/api/v1/journal/accounts/3723701/usage?${range}`, {
        headers: basicAuthHeaders({ username: "prometheus", password: "nope" }),
      });
      expect(wrong.status).toBe(401);
      await new Promise((resolve) => server?.close(resolve));
      const open = await serve(undefined, journal);
      expect((await fetch(`${open.url}/api/v1/journal/accounts/3723701/runs?${range}`)).status).toBe(404);
    });

    it("sends the reader to PostgreSQL when this exporter's journal is kept there", async () => {
      const { url } = await serve(scrape);
      const response = await fetch(`${url}/api/v1/journal/accounts/3723701/usage?${range}`, {
        headers: basicAuthHeaders(scrape),
      });
      expect(response.status).toBe(404);
      expect(((await response.json()) as { error: string }).error).toMatch(/PostgreSQL/);
    });

    it("answers 400 with the reason when since or until is not a usable time", async () => {
      const { url } = await serve(scrape, journal);
      const get = (query: string) =>
        fetch(`${url}/api/v1/journal/accounts/3723701/runs?${query}`, { headers: basicAuthHeaders(scrape) });
      for (const query of [
        "since=yesterday",
        "until=2026-11-01",
        "since=2026-11-02T00:00:00Z&until=2026-11-01T00:00:00Z",
      ]) {
        const response = await get(query);
        expect(response.status, query).toBe(400);
        expect(((await response.json()) as { error: string }).error).toMatch(/since|until/);
      }
    });
  });
});
