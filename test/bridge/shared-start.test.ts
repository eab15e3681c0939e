import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningBridge, startBridge } from "../../src/bridge/index.js";
import type { Config } from "../../src/config/index.js";
import { openSelfcareStore, type SelfcareStore } from "../../src/selfcare/index.js";
import { type Postgres, requirePostgres, startPostgres } from "../support/postgres.js";
import {
  alert,
  captureLogger,
  payload,
  post,
  type SmtpSink,
  smtpSink,
  testConfig,
  waitFor,
} from "./support.js";

const token = "shared-start";
const operators = ["ops1@backup.example", "ops2@backup.example", "ops3@backup.example"];
const accounts = ["3723701", "3723702", "3723703", "3723704", "3723705"];

/** A bridge as `stoney-backup-monitor bridge` composes it: the self-care store (pauses) first, then the bridge. */
interface Instance {
  bridge: RunningBridge;
  store: SelfcareStore;
  lines: Array<Record<string, unknown>>;
}

async function startInstance(config: Config): Promise<Instance> {
  const { logger, lines } = captureLogger("warn");
  const store = openSelfcareStore(config);
  try {
    const bridge = await startBridge(config, logger, {
      pauses: (accounts, at) => store.activePauses(accounts, at),
    });
    return { bridge, store, lines };
  } catch (error) {
    await store.close();
    throw error;
  }
}

async function stopInstance(instance: Instance): Promise<void> {
  await instance.bridge.close();
  await instance.store.close();
}

/**
 * Operator alerts that carry an account: no directory look-up, but every routing round asks the
 * self-care store whether the account is paused, as customer alerts do. Each mail names its problems.
 */
const problem = (name: string, account: string) =>
  alert({
    account,
    fingerprint: name,
    labels: { audience: "operator", instance: name },
    annotations: { summary: `${name} is down` },
  });

/** How many times each (recipient, problem) pair was mailed; every pair of `problems` appears. */
function pairCounts(sink: SmtpSink, problems: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const to of operators) for (const name of problems) counts.set(`${to} ${name}`, 0);
  for (const mail of sink.mails)
    for (const to of mail.envelopeTo)
      for (const name of problems)
        if ((mail.parsed.text ?? "").includes(`${name} is down`))
          counts.set(`${to} ${name}`, (counts.get(`${to} ${name}`) ?? 0) + 1);
  return counts;
}

const pairsNotOnce = (counts: Map<string, number>) => [...counts].filter(([, n]) => n !== 1);

describe.skipIf(!requirePostgres())("bridges on one PostgreSQL database", () => {
  let server: Postgres;
  let sink: SmtpSink;
  let databases = 0;

  const configFor = (url: string, overrides: Record<string, unknown> = {}): Config =>
    testConfig({
      dir: "/nonexistent",
      bridge: {
        listen: { host: "127.0.0.1", port: 0 },
        auth: { bearerToken: token },
        outbox: url,
        postgres: { leaseSeconds: 3, poolSize: 3 },
        coalesceSeconds: 0,
        smtp: { url: sink.url, maxConnections: 2 },
        operators,
        ...overrides,
      },
    });
  const postTo = async (instance: Instance, alerts: Array<Record<string, unknown>>) => {
    const answer = await post(`${instance.bridge.url}/webhook`, payload(alerts), {
      authorization: `Bearer ${token}`,
    });
    expect(answer.status).toBe(200);
  };

  beforeAll(async () => {
    server = await startPostgres();
    sink = await smtpSink();
  });
  afterAll(async () => {
    await sink?.stop();
    await server?.dispose();
  });

  it("three bridges started in the same instant on an empty database mail every pair once, 20 times over", async () => {
    const repetitions = 20;
    const restartDuring = 7;
    /** What each repetition came to: "delivered", or why not. */
    const outcomes: string[] = [];
    for (let repetition = 0; repetition < repetitions; repetition++) {
      sink.mails.length = 0;
      const url = await server.createDatabase(`start_${databases++}`);
      const configs = [0, 1, 2].map(() => configFor(url));
      const started = await Promise.allSettled(configs.map(startInstance));
      const instances = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
      try {
        const refused = started.flatMap((s) => (s.status === "rejected" ? [String(s.reason)] : []));
        if (refused.length > 0) {
          outcomes.push(`start refused: ${refused[0]}`);
          continue;
        }
        // Each instance gets its own share of the burst, and one share goes to all three at once
        // (Alertmanagers racing), which the shared dedupe stores once.
        const problems: string[] = [];
        const share = (name: string) =>
          Array.from({ length: 6 }, (_, i) => {
            problems.push(`${name}-${repetition}-${i}`);
            return problem(`${name}-${repetition}-${i}`, accounts[i % accounts.length] as string);
          });
        const own = instances.map((_, i) => share(`own${i}`));
        const common = share("common");
        await Promise.all([
          ...instances.map((instance, i) => postTo(instance, own[i] ?? [])),
          ...instances.map((instance) => postTo(instance, common)),
        ]);
        if (repetition === restartDuring) {
          await server.stop();
          await server.start();
        }
        const delivered = await waitFor(
          "every pair mailed",
          () => [...pairCounts(sink, problems).values()].every((n) => n > 0),
          20_000,
        ).catch(() => false);
        if (!delivered) {
          const failed = instances
            .flatMap((i) => i.lines)
            .find((l) => l.msg === "bridge pipeline round failed; trying again");
          const missing = [...pairCounts(sink, problems).values()].filter((n) => n === 0).length;
          outcomes.push(
            `${missing} pairs not mailed${failed ? `; ${String((failed.err as { message?: string })?.message)}` : ""}`,
          );
          continue;
        }
        // Whatever is still on its way (a retry, a second mail) lands before the pairs are counted.
        await waitFor("all three outboxes settled", async () => {
          for (const { bridge } of instances) {
            const stats = await bridge.outbox.stats();
            if (stats.pendingAlerts + stats.queuedItems + stats.pendingMails > 0) return false;
          }
          return true;
        });
        const twice = pairsNotOnce(pairCounts(sink, problems));
        outcomes.push(twice.length === 0 ? "delivered" : `${twice.length} pairs mailed more than once`);
      } finally {
        await Promise.all(instances.map(stopInstance));
      }
    }
    expect(outcomes).toEqual(Array.from({ length: repetitions }, () => "delivered"));
  }, 400_000);
});
