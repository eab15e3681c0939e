import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { simpleParser } from "mailparser";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { alert, payload } from "./bridge/support.js";
import { exampleBackupRoot, exampleLdif, freePort, spawnCli, waitFor } from "./support/common.js";

const dir = mkdtempSync(path.join(tmpdir(), "stoney-reload-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The process's JSON log lines with this message. */
const logged = (stderr: string, message: string): Record<string, unknown>[] =>
  stderr
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.msg === message);

/** Send SIGHUP and wait until the process has logged `message` once more than before. */
async function hangUp(
  cli: ReturnType<typeof spawnCli>,
  message: string,
): Promise<Record<string, unknown> | undefined> {
  const before = logged(cli.stderr(), message).length;
  cli.child.kill("SIGHUP");
  return waitFor(message, () => logged(cli.stderr(), message)[before]);
}

const restartNeeded = "a restart is needed to apply this setting; the running value is kept";

/** Rewrite the file with `write`, send SIGHUP, and return the restart warnings of that reload. */
async function hangUpWith(cli: ReturnType<typeof spawnCli>, write: () => void) {
  const before = logged(cli.stderr(), restartNeeded).length;
  write();
  await hangUp(cli, "configuration reloaded");
  return logged(cli.stderr(), restartNeeded).slice(before);
}

describe("SIGHUP reloads the configuration of a running bridge", () => {
  it("answers a webhook in flight, applies the new token and templates, and keeps them over an invalid file", async () => {
    const port = await freePort();
    const mailDir = path.join(dir, "bridge-mail");
    const templates = path.join(dir, "templates");
    mkdirSync(templates);
    const configFile = path.join(dir, "bridge.yaml");
    const write = (token: string) =>
      writeFileSync(
        configFile,
        stringify({
          directory: { url: `file:${exampleLdif}` },
          bridge: {
            listen: { host: "127.0.0.1", port },
            auth: { bearerToken: token },
            outbox: path.join(dir, "outbox.sqlite"),
            coalesceSeconds: 0.2,
            smtp: { url: `file:${mailDir}` },
            operators: ["ops@backup.example"],
            templates: { overrideDir: templates },
          },
        }),
      );
    write("before");
    const webhook = `http://127.0.0.1:${port}/webhook`;
    const post = async (token: string, summary: string) =>
      (
        await fetch(webhook, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: JSON.stringify(payload([alert({ annotations: { summary } })])),
        })
      ).status;
    const mails = async () =>
      Promise.all(
        (readdirSync(mailDir, { withFileTypes: true }) ?? [])
          .filter((entry) => entry.name.endsWith(".eml"))
          .map(async (entry) => simpleParser(readFileSync(path.join(mailDir, entry.name)))),
      );

    const cli = spawnCli(["--config", configFile, "bridge"]);
    try {
      await waitFor("the bridge", async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok);
      expect(await post("before", "first alert")).toBe(200);
      await waitFor("the first mail", async () => (await mails()).length === 1);

      // A webhook that the server has taken (it answered 100 Continue to its headers) and whose body is
      // still coming when the configuration changes.
      const body = JSON.stringify(payload([alert({ annotations: { summary: "alert in flight" } })]));
      let answered: (status: number | undefined) => void = () => {};
      const answer = new Promise<number | undefined>((resolve) => {
        answered = resolve;
      });
      const inFlight = http.request(webhook, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          authorization: "Bearer before",
          expect: "100-continue",
        },
      });
      inFlight.on("response", (response) => {
        response.resume();
        answered(response.statusCode);
      });
      await new Promise((resolve) => inFlight.once("continue", resolve));
      inFlight.write(body.slice(0, 20));

      write("after");
      writeFileSync(
        path.join(templates, "en.yaml"),
        stringify({
          "subject.generic.firing": "after the reload",
          "subject.coalesced.firing": "after the reload",
        }),
      );
      await hangUp(cli, "configuration reloaded");
      inFlight.end(body.slice(20));
      expect(await answer).toBe(200);

      expect(await post("before", "old token")).toBe(401);
      expect(await post("after", "new token")).toBe(200);
      const delivered = await waitFor("the mails after the reload", async () => {
        const all = await mails();
        const texts = all.map((mail) => mail.text ?? "");
        return texts.some((text) => text.includes("alert in flight")) &&
          texts.some((text) => text.includes("new token"))
          ? all
          : undefined;
      });
      const subjects = delivered.map((mail) => mail.subject);
      expect(subjects.filter((subject) => subject === "after the reload").length).toBe(delivered.length - 1);

      // An override broken by the edit keeps the running overrides instead of the built-in texts.
      writeFileSync(
        path.join(templates, "en.yaml"),
        stringify({ "subject.generic.firing": "needs {{nosuchvalue}}", "subject.coalesced.firing": "fine" }),
      );
      const refused = await hangUp(
        cli,
        "configuration reload failed: the service keeps its running configuration",
      );
      expect(refused).toMatchObject({ level: 50, service: "bridge" });
      expect(String(refused?.reason)).toContain(
        "en.yaml subject.generic.firing: unknown placeholder {{nosuchvalue}}",
      );
      const before = delivered.length;
      expect(await post("after", "with the running templates")).toBe(200);
      const later = await waitFor("the mail after the refused reload", async () => {
        const all = await mails();
        return all.length > before ? all : undefined;
      });
      const newest = later.find((mail) => (mail.text ?? "").includes("with the running templates"));
      expect(newest?.subject).toBe("after the reload");

      writeFileSync(configFile, "bridge: [unclosed\n");
      const failure = await hangUp(cli, "configuration reload failed: the running configuration is kept");
      expect(failure).toMatchObject({ level: 50, file: configFile });
      expect(String((failure?.problems as string[] | undefined)?.[0])).toMatch(/^YAML line \d+: /);
      expect(await post("after", "still the new token")).toBe(200);
    } finally {
      cli.child.kill("SIGTERM");
    }
    expect(await cli.exited, cli.stderr()).toBe(0);
  });
});

describe("SIGHUP reloads the configuration of a running exporter", () => {
  it("applies scrape auth, metric names and the interval at once, and keeps them over an invalid file", async () => {
    const port = await freePort();
    const configFile = path.join(dir, "exporter.yaml");
    const write = (exporter: Record<string, unknown>) =>
      writeFileSync(
        configFile,
        stringify({
          directory: { url: `file:${exampleLdif}` },
          backup: { root: exampleBackupRoot },
          history: { path: path.join(dir, "history.sqlite") },
          exporter: { listen: { host: "127.0.0.1", port }, ...exporter },
        }),
      );
    write({ intervalSeconds: 3600 });
    const metrics = `http://127.0.0.1:${port}/metrics`;
    const authorization = `Basic ${Buffer.from("prometheus:scrape-secret").toString("base64")}`;

    const cli = spawnCli(["--config", configFile, "exporter"]);
    try {
      await waitFor("the first collection", async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok);
      expect(await (await fetch(metrics)).text()).toContain("stoney_backup_missed_days_threshold{");

      write({
        intervalSeconds: 0.2,
        deprecatedMetrics: false,
        basicAuth: { username: "prometheus", password: "scrape-secret" },
      });
      await hangUp(cli, "configuration reloaded");
      expect((await fetch(metrics)).status).toBe(401);
      // The next collection comes within the new interval, not after the hour the old one had left.
      await waitFor("a collection without the deprecated names", async () => {
        const text = await (await fetch(metrics, { headers: { authorization } })).text();
        return (
          !text.includes("stoney_backup_missed_days_threshold") && text.includes("stoney_backup_account_info")
        );
      });

      const moved = await hangUpWith(cli, () =>
        write({
          intervalSeconds: 0.2,
          deprecatedMetrics: false,
          basicAuth: { username: "prometheus", password: "scrape-secret" },
          listen: { host: "127.0.0.1", port: port + 1 },
        }),
      );
      expect(moved.map((line) => line.setting)).toEqual(["exporter.listen"]);
      expect((await fetch(metrics, { headers: { authorization } })).status).toBe(200);

      write({ concurrency: 0 });
      const failure = await hangUp(cli, "configuration reload failed: the running configuration is kept");
      expect(failure?.problems).toEqual(["exporter.concurrency: Too small: expected number to be >0"]);
      expect((await fetch(metrics)).status).toBe(401);
      expect((await fetch(metrics, { headers: { authorization } })).status).toBe(200);
    } finally {
      cli.child.kill("SIGTERM");
    }
    expect(await cli.exited, cli.stderr()).toBe(0);
  });
});

describe("SIGHUP on a running portal", () => {
  it("names the settings that only a restart applies and keeps serving with the running ones", async () => {
    const port = await freePort();
    const configFile = path.join(dir, "selfcare.yaml");
    const write = (pageSize: number, format: string) => () =>
      writeFileSync(
        configFile,
        stringify({
          directory: { url: `file:${exampleLdif}` },
          bridge: { outbox: path.join(dir, "selfcare-outbox.sqlite") },
          selfcare: { listen: { host: "127.0.0.1", port }, pageSize },
          logging: { level: "info", format },
        }),
      );
    write(50, "json")();
    const cli = spawnCli(["--config", configFile, "selfcare"]);
    try {
      const login = `http://127.0.0.1:${port}/login`;
      await waitFor("the portal", async () => (await fetch(login).catch(() => undefined))?.ok);
      const warned = await hangUpWith(cli, write(20, "pretty"));
      expect(warned.map((line) => line.setting).sort()).toEqual(["logging.format", "selfcare"]);
      expect((await fetch(login)).status).toBe(200);
      expect(await hangUpWith(cli, write(50, "json"))).toEqual([]);
    } finally {
      cli.child.kill("SIGTERM");
    }
    expect(await cli.exited, cli.stderr()).toBe(0);
  });
});
