import type { ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { RunningBridge } from "../../src/bridge/index.js";
import type { SqliteOutbox } from "../../src/bridge/outbox.js";
import {
  alert,
  bridgeFixture,
  exampleLdif,
  freePort,
  operatorMail,
  payload,
  post,
  runCli,
  spawnBridge,
  sqliteOf,
  waitFor,
} from "./support.js";

const operatorAlert = () => alert({ task: "monitoring", labels: { audience: "operator" } });
const addresses = (n: number, prefix = "ops") =>
  Array.from({ length: n }, (_, i) => `${prefix}${i}@backup.example`);

const bridges = bridgeFixture();

/** The send stage against a real SMTP server: outcomes recorded per mail, stalls and crashes bounded. */
describe("bridge sending", () => {
  /** A bridge whose SMTP server holds the mails to stalled@backup.example until `release` or the test's end. */
  const startStalled = async (bridge: Record<string, unknown>) => {
    const started = await bridges.start({ bridge });
    const release = started.sink.hold("stalled@backup.example");
    // Deferred after the bridge started, so released before it closes: the close waits for mails in flight.
    bridges.defer(release);
    return { running: started.bridge, smtp: started.sink, release };
  };

  it("delivers other recipients while one recipient's SMTP transaction hangs", async () => {
    const { running, smtp, release } = await startStalled({
      smtp: { maxConnections: 3 },
      operators: ["stalled@backup.example"],
    });
    await post(`${running.url}/webhook`, payload([operatorAlert()]));
    await waitFor("the stalled mail in flight", () =>
      sqliteOf(running).prepare("SELECT 1 FROM mails WHERE state = 'sending'").get(),
    );

    // Mails created after the stalled one (another routing round) still go out while it hangs.
    const others = addresses(12);
    (running.outbox as SqliteOutbox).createMails(
      others.map((address) => operatorMail(address, "after the stalled one")),
      Date.now(),
    );
    await waitFor("every other recipient's mail", () => others.every((a) => smtp.to(a).length === 1));
    expect(smtp.to("stalled@backup.example")).toHaveLength(0);
    const states = sqliteOf(running).prepare("SELECT state, COUNT(*) AS n FROM mails GROUP BY state").all();
    expect(states).toEqual([
      { state: "sending", n: 1 },
      { state: "sent", n: 12 },
    ]);

    release();
    await waitFor("the stalled mail after all", () => smtp.to("stalled@backup.example").length === 1);
    await waitFor(
      "every mail recorded as sent",
      () => sqliteOf(running).prepare("SELECT 1 FROM mails WHERE state != 'sent'").get() === undefined,
    );
  });

  it("gives a mail that stalls past smtp.mailTimeoutMs back for a retry, and sends the rest", async () => {
    const { running, smtp, release } = await startStalled({
      smtp: { maxConnections: 2, mailTimeoutMs: 1000 },
      operators: ["stalled@backup.example", ...addresses(6)],
    });
    await post(`${running.url}/webhook`, payload([operatorAlert()]));
    await waitFor("a timed-out attempt", () =>
      sqliteOf(running).prepare("SELECT response FROM attempts WHERE outcome = 'temporary'").get(),
    );
    await waitFor("the other mails while one stalls", () =>
      addresses(6).every((a) => smtp.to(a).length === 1),
    );
    expect(smtp.to("stalled@backup.example")).toHaveLength(0);
    release();
    await waitFor("the stalled mail on a retry", () => smtp.to("stalled@backup.example").length >= 1);
  });

  it("sends nothing twice while the store cannot record outcomes, and /readyz says so", async () => {
    const { bridge, sink, lines } = await bridges.start({
      bridge: { smtp: { maxConnections: 2 }, operators: addresses(5) },
      log: "error",
    });
    const ready = async () => (await fetch(`${bridge.url}/readyz`)).status;
    expect(await ready()).toBe(200);

    // A full disk as SQLite reports it, for the attempt records and the readiness probe only.
    const db = sqliteOf(bridge);
    db.exec(`CREATE TEMP TRIGGER full_attempts BEFORE INSERT ON attempts
      BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`);
    db.exec(`CREATE TEMP TRIGGER full_probes BEFORE INSERT ON probes
      BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`);
    expect(await ready()).toBe(503);
    await post(`${bridge.url}/webhook`, payload([operatorAlert()]));
    await waitFor("the first mails accepted", () => sink.mails.length === 2);
    await waitFor("recording retried", () => lines.length >= 3);
    // Two recipients got their mail; the other three wait until the outcomes are recorded.
    expect(sink.mails).toHaveLength(2);

    db.exec("DROP TRIGGER full_attempts; DROP TRIGGER full_probes");
    const sent = () =>
      (db.prepare("SELECT COUNT(*) AS n FROM mails WHERE state = 'sent'").get() as { n: number }).n;
    await waitFor("every mail recorded as sent", () => sent() === 5);
    expect(sink.mails).toHaveLength(5);
    expect(new Set(sink.mails.map((m) => m.envelopeTo[0])).size).toBe(5);
    expect(await ready()).toBe(200);
  });

  it("resends at most the mails in flight (the SMTP connections) after a kill -9", async () => {
    const smtp = await bridges.sink();
    const dir = bridges.temp();
    const port = await freePort();
    const connections = 2;
    const operators = addresses(40);
    const configFile = path.join(dir, "config.yaml");
    writeFileSync(
      configFile,
      JSON.stringify({
        directory: { url: `file:${exampleLdif}` },
        bridge: {
          listen: { host: "127.0.0.1", port },
          outbox: "./outbox.sqlite",
          coalesceSeconds: 0,
          smtp: { url: smtp.url, maxConnections: connections },
          retry: { initialBackoffSeconds: 0.1, maxBackoffSeconds: 0.5 },
          operators,
        },
        logging: { level: "warn" },
      }),
    );
    const children: ChildProcess[] = [];
    bridges.defer(() => {
      for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    });
    const startChild = () => spawnBridge(configFile, port, children);

    const first = await startChild();
    const killAfter = 10;
    smtp.onAccepted = () => {
      if (smtp.mails.length === killAfter) first.child.kill("SIGKILL");
    };
    expect((await post(`http://127.0.0.1:${port}/webhook`, payload([operatorAlert()]))).status).toBe(200);
    await first.exited;
    smtp.onAccepted = undefined;

    const second = await startChild();
    await waitFor("a mail for every operator", () => operators.every((a) => smtp.to(a).length >= 1), 30_000);
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);

    const ids = smtp.mails.map((m) => m.parsed.messageId);
    const resent = ids.length - new Set(ids).size;
    expect(resent).toBeLessThanOrEqual(connections);
  });
});

describe("bridge relay faults", () => {
  const start = async (operators: string[]) => {
    const { bridge, sink, config } = await bridges.start({ bridge: { operators } });
    return { running: bridge, smtp: sink, config };
  };
  const attempts = (running: RunningBridge, outcome: string) =>
    (
      sqliteOf(running).prepare("SELECT COUNT(*) AS n FROM attempts WHERE outcome = ?").get(outcome) as {
        n: number;
      }
    ).n;
  const states = (running: RunningBridge) =>
    sqliteOf(running).prepare("SELECT recipient, state FROM mails ORDER BY recipient").all();

  it("delivers every mail after a relay answered 550 to every recipient for a while", async () => {
    const operators = addresses(6);
    const { running, smtp } = await start(operators);
    smtp.refuseAll = true;
    await post(`${running.url}/webhook`, payload([operatorAlert()]));
    // Every mail refused at least twice (seconds of refusals with the tests' short backoff).
    await waitFor("repeated refusals", () => attempts(running, "temporary") >= 12);
    expect(attempts(running, "rejected")).toBe(0);
    smtp.refuseAll = false;
    await waitFor("every mail", () => operators.every((a) => smtp.to(a).length === 1));
    // The relay's 250 reaches the sink before the bridge records the outcome.
    await waitFor("every outcome recorded", () =>
      states(running).every((row) => (row as { state: string }).state !== "sending"),
    );
    expect(states(running)).toEqual(operators.sort().map((recipient) => ({ recipient, state: "sent" })));
  });

  it("retries a 554 to DATA as the relay's fault", async () => {
    const { running, smtp } = await start(["ops@backup.example"]);
    smtp.refuseData = true;
    await post(`${running.url}/webhook`, payload([operatorAlert()]));
    await waitFor("repeated refusals", () => attempts(running, "temporary") >= 3);
    smtp.refuseData = false;
    await waitFor("the mail", () => smtp.to("ops@backup.example").length === 1);
  });

  it("rejects a recipient the relay refuses while it takes others, and requeue sends it again", async () => {
    const operators = ["refused@backup.example", ...addresses(3)];
    const { running, smtp, config } = await start(operators);
    smtp.rejected.add("refused@backup.example");
    await post(`${running.url}/webhook`, payload([operatorAlert()]));
    await waitFor("the refused recipient rejected", () =>
      sqliteOf(running).prepare("SELECT 1 FROM mails WHERE state = 'rejected'").get(),
    );
    // The others' outcomes may be recorded after the refusal: mails go out side by side.
    await waitFor("every outcome recorded", () =>
      states(running).every((row) => (row as { state: string }).state !== "sending"),
    );
    expect(states(running)).toEqual([
      { recipient: "ops0@backup.example", state: "sent" },
      { recipient: "ops1@backup.example", state: "sent" },
      { recipient: "ops2@backup.example", state: "sent" },
      { recipient: "refused@backup.example", state: "rejected" },
    ]);

    const configFile = path.join(path.dirname(config.bridge.outbox), "config.json");
    writeFileSync(
      configFile,
      JSON.stringify({
        directory: { url: `file:${exampleLdif}` },
        bridge: { outbox: config.bridge.outbox },
      }),
    );
    const bad = await runCli(["requeue", "--config", configFile, "--since", "yesterday"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split("\n")).toEqual([
      '--since: expected a time such as 2026-12-01T08:00:00Z, got "yesterday"',
    ]);
    const none = await runCli(["requeue", "--config", configFile]);
    expect(none.code).toBe(2);

    smtp.rejected.clear();
    const requeued = await runCli([
      "requeue",
      "--config",
      configFile,
      "--recipient",
      "Refused@backup.example",
      "--since",
      new Date(Date.now() - 3600_000).toISOString(),
    ]);
    expect(requeued).toMatchObject({ code: 0, stdout: "requeued 1 rejected or dead mail\n" });
    await waitFor("the requeued mail", () => smtp.to("refused@backup.example").length === 1);
  });
});
