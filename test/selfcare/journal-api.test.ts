import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openJournalReader, openJournalWriter } from "../../src/journal/index.js";
import { createLogger } from "../../src/log.js";
import { requireBinaries } from "../support/binaries.js";
import { exampleLdif, type Slapd, startSlapd } from "../support/slapd.js";
import {
  demo,
  type Harness,
  login,
  slapdDirectory,
  slapdSelfcare,
  startPortal,
  testPersons,
} from "./support.js";

const enabled = requireBinaries(["slapd", "slapadd"]);
const GB = 1_000_000_000;

describe.runIf(enabled)("journal API: /api/v1/accounts/<uid>/runs and /usage", () => {
  let slapd: Slapd;
  let harness: Harness;
  let url: string;

  beforeAll(async () => {
    slapd = await startSlapd({ ldif: [exampleLdif, testPersons] });
    harness = await startPortal(slapdDirectory(slapd), { selfcare: slapdSelfcare(slapd) });
    url = harness.portal.url;
    // The exporter writes its journal in the background, a moment after the collection: wait for it.
    const reader = openJournalReader(harness.config.history);
    for (let tries = 0; (await reader.runs("3723701", 0, Date.now())).length === 0; tries++) {
      if (tries > 100) throw new Error("the exporter's run never reached the journal");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await reader.close();
    // The exporter (collected at 2026-11-26T12:00Z) recorded its runs; a few more days of usage beside them.
    const writer = openJournalWriter(harness.config.history, createLogger("fatal"));
    for (let day = 1; day <= 5; day++)
      writer.recordUsage(
        "3723701",
        { usedBytes: (10 + day) * GB, quotaBytes: 20 * GB },
        new Date(Date.UTC(2026, 9, day, 6)),
      );
    await writer.close();
  });
  afterAll(async () => {
    await harness?.close();
    await slapd?.dispose();
  });

  it("lists the runs the exporter saw, with RFC 3339 times, duration and result", async () => {
    const customer = await login(url, demo.customer);
    const response = await customer.call(
      "GET",
      "/api/v1/accounts/3723701/runs?since=2026-11-01T00:00:00Z&until=2026-11-30T00:00:00%2B01:00",
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      uid: "3723701",
      since: "2026-11-01T00:00:00.000Z",
      until: "2026-11-29T23:00:00.000Z",
      runs: [
        {
          host: "EMPFANG-PC",
          runId: "7719417",
          startedAt: "2026-11-25T18:30:02.000Z",
          endedAt: "2026-11-25T18:47:45.000Z",
          durationSeconds: 1063,
          result: "success",
          clientVersion: "2.6.1",
        },
      ],
    });
    const before = await customer.call("GET", "/api/v1/accounts/3723701/runs?until=2026-11-25T00:00:00Z");
    expect(((await before.json()) as { runs: unknown[] }).runs).toEqual([]);
  });

  it("lists the usage per day with the forecast from its trend", async () => {
    const customer = await login(url, demo.customer);
    const response = await customer.call(
      "GET",
      "/api/v1/accounts/3723701/usage?since=2026-10-02T00:00:00Z&until=2026-10-05T23:00:00Z",
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      uid: "3723701",
      since: "2026-10-02T00:00:00.000Z",
      until: "2026-10-05T23:00:00.000Z",
      days: [2, 3, 4, 5].map((day) => ({
        date: `2026-10-0${day}`,
        usedBytes: (10 + day) * GB,
        quotaBytes: 20 * GB,
      })),
      // 1 GB a day from 15 GB on 5 October: 20 GB on 10 October.
      forecast: { bytesPerDay: GB, fullAt: "2026-10-10T00:00:00.000Z" },
    });
  });

  for (const [query, reason] of [
    ["since=yesterday", "since must be an RFC 3339 time such as 2026-11-01T00:00:00Z"],
    ["until=2026-11-01", "until must be an RFC 3339 time such as 2026-11-01T00:00:00Z"],
    ["until=2026-13-01T00:00:00Z", "until must be an RFC 3339 time such as 2026-11-01T00:00:00Z"],
    ["since=2026-11-02T00:00:00Z&until=2026-11-01T00:00:00Z", "since must not be after until"],
    ["since=2026-11-01T00:00:00Z&since=2026-11-02T00:00:00Z", "since must be given once"],
  ])
    it(`answers 400 with the reason for ${query}`, async () => {
      const customer = await login(url, demo.customer);
      for (const route of ["runs", "usage"]) {
        const response = await customer.call("GET", `/api/v1/accounts/3723701/${route}?${query}`);
        expect(response.status).toBe(400);
        expect(await response.json()).toEqual({ error: reason });
      }
    });

  it("is 401 without a session and 403 for an account that is not the person's", async () => {
    for (const route of ["runs", "usage"]) {
      expect((await fetch(`${url}/api/v1/accounts/3723701/${route}`)).status).toBe(401);
      const colleague = await login(url, demo.colleague);
      const response = await colleague.call("GET", `/api/v1/accounts/3723702/${route}`);
      expect(response.status).toBe(403);
      expect(await response.text()).not.toMatch(/usedBytes|runId/);
    }
  });
});
