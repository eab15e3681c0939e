import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { CollectionStatus, RunningExporter } from "../../src/exporter/index.js";
import { readExporterState } from "../../src/exporter/index.js";
import { removeTempDirs, startOnExamples, testConfig } from "./support.js";

const credentials = { username: "prometheus", password: "scrape-secret" };
const basic = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;

let exporter: RunningExporter | undefined;
afterEach(async () => {
  await exporter?.close();
  exporter = undefined;
});
afterAll(removeTempDirs);

const start = async (withAuth = true) => {
  exporter = await startOnExamples(testConfig(withAuth ? { exporter: { basicAuth: credentials } } : {}));
  await exporter.collect();
  return exporter;
};

describe("exporter JSON state", () => {
  it("needs the scrape credentials and answers per account with settings and their sources", async () => {
    const { url } = await start();
    expect((await fetch(`${url}/api/v1/state`)).status).toBe(401);
    const response = await fetch(`${url}/api/v1/state`, { headers: { authorization: basic } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as CollectionStatus;
    expect(body.collectedAt).toBe("2026-11-26T12:00:00.000Z");
    expect(body.accounts.map((a) => a.uid)).toContain("3723701");
    expect(body.accounts.map((a) => a.uid)).not.toContain("3723708");
    const account = body.accounts.find((a) => a.uid === "3723702");
    expect(account?.resellers).toEqual(["4000001"]);
    expect(account?.quota.usedRatio).toBeCloseTo((9448928051 + 966367642) / 10737418240);
    expect(account?.settings.quotaWarningPercent).toEqual({
      value: 90,
      source: "reseller",
      resellerUid: "4000001",
    });
    expect(account?.settings.warnings).toEqual({ value: true, source: "account" });
    const first = body.accounts.find((a) => a.uid === "3723701");
    expect(first?.hosts[0]?.host).toBe("EMPFANG-PC");
    expect(first?.hosts[0]).toHaveProperty("missedRuns");
    expect(first?.hosts[0]).toHaveProperty("clientOutdated");
  });

  it("selects accounts and resellers by query, and the in-memory source says the same", async () => {
    const { url, status } = await start();
    const one = (await (
      await fetch(`${url}/api/v1/state?reseller=4000002&account=3723707`, {
        headers: { authorization: basic },
      })
    ).json()) as CollectionStatus;
    expect(one.accounts.map((a) => a.uid)).toEqual(["3723704", "3723705", "3723707", "3723709", "3723710"]);
    const remote = await readExporterState(url, credentials);
    const local = await status.accounts(["3723709", "9999999"]);
    expect([...local.keys()]).toEqual(["3723709"]);
    expect(local.get("3723709")).toEqual(remote?.accounts.find((a) => a.uid === "3723709"));
    expect((await status.collectedAt())?.toISOString()).toBe("2026-11-26T12:00:00.000Z");
  });

  it("is not served without configured credentials", async () => {
    const { url } = await start(false);
    const response = await fetch(`${url}/api/v1/state`);
    expect(response.status).toBe(404);
    expect(await response.text()).toContain("exporter.basicAuth");
  });
});
