import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { QueuedItem } from "../../src/bridge/outbox.js";
import { type Notification, parseNotification } from "../../src/bridge/payload.js";
import { PostgresOutbox } from "../../src/bridge/postgres.js";
import { SchemaVersionError } from "../../src/store/migrations.js";
import { postgresMigrations } from "../../src/store/postgres.js";
import { type Postgres, requirePostgres, startPostgres } from "../support/postgres.js";
import { alert, payload, sleep } from "./support.js";

const notification = (alerts: Array<Record<string, unknown>>): Notification => {
  const parsed = parseNotification(payload(alerts));
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
};

const recipient = {
  address: "anna@example.org",
  audience: "customer" as const,
  language: "en",
  timeZone: "UTC",
};
const entry = { task: "quota", status: "firing", account: "3723702" } as unknown as QueuedItem["entry"];

describe.skipIf(!requirePostgres())("PostgreSQL outbox shared by several instances", () => {
  let server: Postgres;
  let databases = 0;
  const open: PostgresOutbox[] = [];
  const outbox = async (url: string, options: { leaseMs?: number; migrate?: boolean } = {}) => {
    const store = await PostgresOutbox.open({
      url,
      leaseMs: options.leaseMs ?? 30_000,
      poolSize: 4,
      messageDomain: "backup.example",
      migrate: options.migrate ?? true,
    });
    open.push(store);
    return store;
  };
  const database = () => server.createDatabase(`outbox_${databases++}`);

  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    for (const store of open) await store.close().catch(() => undefined);
    await server?.dispose();
  });

  it("migrates once when instances start together, and refuses a newer schema", async () => {
    const url = await database();
    const [a, b] = await Promise.all([outbox(url), outbox(url)]);
    const latest = postgresMigrations.at(-1)?.version;
    expect([a?.migration.applied.length, b?.migration.applied.length].sort()).toEqual([
      0,
      postgresMigrations.length,
    ]);
    expect(a?.migration.to).toBe(latest);
    const fresh = await database();
    await expect(outbox(fresh, { migrate: false })).rejects.toThrow(SchemaVersionError);
  });

  it("dedupes one alert that two instances accept at the same moment", async () => {
    const url = await database();
    const [a, b] = [await outbox(url), await outbox(url)];
    const alerts = Array.from({ length: 200 }, (_, i) =>
      alert({ account: "3723702", task: "quota", fingerprint: `fp-${i}` }),
    );
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        ((i % 2 === 0 ? a : b) as PostgresOutbox).accept(notification(alerts), Date.now(), 3_600_000),
      ),
    );
    expect(results.reduce((sum, r) => sum + r.duplicates, 0)).toBe(5 * 200);
    expect((await a.stats()).pendingAlerts).toBe(200);
    // The same alert twice in one payload: the second is the duplicate; without a window, none is.
    const twice = notification([alert({ fingerprint: "twice" }), alert({ fingerprint: "twice" })]);
    expect((await a.accept(twice, Date.now(), 3_600_000)).duplicates).toBe(1);
    expect((await a.accept(twice, Date.now(), 0)).duplicates).toBe(0);
  });

  it("keeps every window open while another instance's claimed alerts wait, so a killed instance's alerts join the recipient's one mail", async () => {
    const url = await database();
    const a = await outbox(url, { leaseMs: 400 });
    const b = await outbox(url, { leaseMs: 400 });
    await a.accept(
      notification(
        Array.from({ length: 20 }, (_, i) => alert({ account: "3723702", fingerprint: `split-${i}` })),
      ),
      Date.now(),
      3_600_000,
    );
    const claimedByA = await a.claimAlerts(Date.now(), 10);
    const claimedByB = await b.claimAlerts(Date.now(), 10);
    expect(claimedByA).toHaveLength(10);
    await b.route(
      claimedByB.map((x) => ({ alert: x, items: [{ kind: "queued" as const, recipient, entry }] })),
      Date.now(),
    );
    // a dies holding its claims (closing stops its lease renewal).
    await a.close();
    const compose = (items: readonly QueuedItem[]) => ({
      mail: { recipient, subject: `${items.length} alerts`, text: "", html: "", accounts: [], tasks: [] },
      itemIds: items.map((i) => i.id),
      dead: [],
    });
    const window = { quietMs: 1, maxHoldMs: 60_000 };
    // Past the quiet time of b's items, but a's claims have not lapsed.
    expect(await b.coalesce(window, 100, compose, Date.now() + 50)).toBe(0);
    await sleep(500);
    const taken = await b.claimAlerts(Date.now(), 100);
    expect(taken.map((x) => x.id).sort()).toEqual(claimedByA.map((x) => x.id).sort());
    await b.route(
      taken.map((x) => ({ alert: x, items: [{ kind: "queued" as const, recipient, entry }] })),
      Date.now(),
    );
    expect(await b.coalesce(window, 100, compose, Date.now() + 50)).toBe(1);
    expect((await b.claimMails(Date.now() + 50, 10)).map((m) => m.subject)).toEqual(["20 alerts"]);
  });

  it("gives each alert and mail to one instance, and a dead instance's claims to another", async () => {
    const url = await database();
    const a = await outbox(url, { leaseMs: 300 });
    const b = await outbox(url, { leaseMs: 300 });
    await a.accept(
      notification(
        Array.from({ length: 50 }, (_, i) => alert({ account: "3723702", fingerprint: `claim-${i}` })),
      ),
      Date.now(),
      3_600_000,
    );
    const [first, second] = await Promise.all([a.claimAlerts(Date.now(), 30), b.claimAlerts(Date.now(), 30)]);
    const ids = [...(first ?? []), ...(second ?? [])].map((x) => x.id);
    expect(new Set(ids).size).toBe(50);
    expect(ids).toHaveLength(50);

    // b routes its alerts; a dies holding its claims (closing stops its lease renewal).
    await b.route(
      (second ?? []).map((x) => ({ alert: x, items: [{ kind: "queued" as const, recipient, entry }] })),
      Date.now(),
    );
    await a.close();
    await sleep(400);
    const taken = await b.claimAlerts(Date.now(), 100);
    expect(taken.map((x) => x.id).sort()).toEqual((first ?? []).map((x) => x.id).sort());
    await b.route(
      taken.map((x) => ({ alert: x, items: [{ kind: "queued" as const, recipient, entry }] })),
      Date.now(),
    );

    // Coalescing: one mail for the recipient, whichever instance composes.
    const c = await outbox(url, { leaseMs: 300 });
    const compose = (items: readonly QueuedItem[]) => ({
      mail: {
        recipient,
        subject: `${items.length} alerts`,
        text: "",
        html: "",
        accounts: ["3723702"],
        tasks: ["quota"],
      },
      itemIds: items.map((i) => i.id),
      dead: [],
    });
    const created = await Promise.all([
      b.coalesce({ quietMs: 0, maxHoldMs: 0 }, 100, compose, Date.now()),
      c.coalesce({ quietMs: 0, maxHoldMs: 0 }, 100, compose, Date.now()),
    ]);
    expect(created.reduce((x, y) => x + y, 0)).toBe(1);

    const [mail] = await c.claimMails(Date.now(), 10);
    expect(mail?.subject).toBe("50 alerts");
    expect(await b.claimMails(Date.now(), 10)).toEqual([]);
    // c dies while sending: after its lease b sends the mail again.
    await c.close();
    await sleep(700);
    const [again] = await b.claimMails(Date.now(), 10);
    expect(again?.messageId).toBe(mail?.messageId);
    await b.record({
      mailId: again?.id ?? 0,
      outcome: { kind: "sent", response: "250 ok" },
      at: Date.now(),
      durationMs: 3,
    });
    expect(await b.stats()).toMatchObject({ pendingMails: 0, pendingAlerts: 0, queuedItems: 0 });
    expect((await b.history("3723702", 100)).filter((r) => r.outcome === "sent")).toHaveLength(50);

    // Retention: nothing is young enough to stay once the cutoff is in the future.
    expect(await b.sizeBytes()).toBeGreaterThan(0);
    const dedupeKeys = async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return Number((await client.query("SELECT COUNT(*) AS n FROM dedupe_keys")).rows[0].n);
      } finally {
        await client.end();
      }
    };
    expect(await dedupeKeys()).toBeGreaterThan(0);
    let deleted = 0;
    for (
      let rows = await b.prune(Date.now() + 1000, 20);
      rows > 0;
      rows = await b.prune(Date.now() + 1000, 20)
    )
      deleted += rows;
    expect(deleted).toBeGreaterThan(100);
    expect(await b.history("3723702", 100)).toEqual([]);
    expect(await dedupeKeys()).toBe(0);
  });
});
