import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool } from "../../src/bridge/index.js";
import { PostgresSelfcareStore } from "../../src/selfcare/postgres-store.js";
import { type SelfcareStore, SqliteSelfcareStore } from "../../src/selfcare/store.js";
import { tempDir } from "../bridge/support.js";
import { type Postgres, requirePostgres, startPostgres } from "../support/postgres.js";

const withPostgres = requirePostgres();

describe("self-care store: the same answers from SQLite and PostgreSQL", () => {
  const temp = tempDir();
  let server: Postgres | undefined;
  const stores: Array<[string, SelfcareStore]> = [];
  beforeAll(async () => {
    stores.push(["sqlite", new SqliteSelfcareStore(path.join(temp.dir, "outbox.sqlite"))]);
    if (withPostgres) {
      server = await startPostgres();
      const url = await server.createDatabase("selfcare");
      stores.push(["postgres", new PostgresSelfcareStore(createPool({ url, poolSize: 2 }))]);
    }
  });
  afterAll(async () => {
    for (const [, store] of stores) await store.close();
    await server?.dispose();
    temp.remove();
  });

  it("keeps sessions, pauses and the audit trail", async () => {
    const answers = [];
    for (const [, store] of stores) {
      await store.createSession({
        id: "s1",
        personUid: "5000001",
        csrfToken: "t",
        language: "de",
        createdAt: 1,
        lastSeenAt: 1,
      });
      await store.touchSession("s1", 50);
      const session = await store.session("s1");
      const short = await store.addPause({
        account: "3723702",
        createdBy: "5000001",
        createdAt: 10,
        until: 100,
      });
      await store.addPause({
        account: "3723702",
        createdBy: "5000001",
        createdAt: 10,
        until: 200,
        comment: "away",
      });
      await store.setPauseSilence(short.id, "silence-1");
      const ended = await store.endPause("3723702", short.id, "5000002", 20);
      const notTwice = await store.endPause("3723702", short.id, "5000002", 21);
      const active = await store.activePauses(["3723702", "3723702", "3723703"], 30);
      await store.appendAudit([
        {
          at: 5,
          personUid: "5000001",
          target: "3723702",
          action: "threshold",
          oldValue: "90",
          newValue: "80",
        },
        { at: 6, personUid: "5000001", target: "3723702", action: "warnings", newValue: "off" },
      ]);
      const idle = await store.deleteIdleSessions(60);
      answers.push({
        session,
        ended: { ...ended, id: 0 },
        notTwice,
        active: [...active.entries()].map(([account, pause]) => [account, pause.until, pause.comment]),
        pauses: (await store.pauses("3723702", 10)).map((p) => [p.until, p.silenceId, p.endedBy]),
        audit: await store.audit("3723702", 10),
        idle,
        gone: await store.session("s1"),
      });
    }
    const [sqlite] = answers;
    expect(sqlite).toMatchObject({
      session: { personUid: "5000001", lastSeenAt: 50 },
      ended: { endedAt: 20, endedBy: "5000002", silenceId: "silence-1" },
      active: [["3723702", 200, "away"]],
      idle: 1,
    });
    expect(sqlite?.audit.map((a) => a.action)).toEqual(["warnings", "threshold"]);
    for (const other of answers.slice(1)) expect(other).toEqual(sqlite);
  });

  it("counts login failures per key since a time with the latest, clears keys and drops old failures", async () => {
    const answers = [];
    for (const [, store] of stores) {
      await store.addLoginFailure(["uid:a", "address:1"], 10);
      await store.addLoginFailure(["uid:a", "address:2"], 20);
      await store.addLoginFailure(["uid:b", "address:1", "uid:b|address:1"], 30);
      const since15 = await store.loginFailures(["uid:a", "uid:b", "address:1", "address:9"], 15);
      const all = await store.loginFailures(["uid:a", "uid:a", "address:1"], 0);
      await store.clearLoginFailures(["uid:b", "uid:b|address:1"]);
      const cleared = await store.loginFailures(["uid:b", "uid:b|address:1", "address:1"], 0);
      const dropped = await store.deleteLoginFailures(20);
      const left = await store.loginFailures(["uid:a", "address:1", "address:2"], 0);
      answers.push({ since15, all, cleared, dropped, left });
    }
    const [sqlite] = answers;
    expect(sqlite).toEqual({
      since15: new Map([
        ["uid:a", { count: 1, last: 20 }],
        ["uid:b", { count: 1, last: 30 }],
        ["address:1", { count: 1, last: 30 }],
      ]),
      all: new Map([
        ["uid:a", { count: 2, last: 20 }],
        ["address:1", { count: 2, last: 30 }],
      ]),
      cleared: new Map([["address:1", { count: 2, last: 30 }]]),
      dropped: 2,
      left: new Map([
        ["uid:a", { count: 1, last: 20 }],
        ["address:1", { count: 1, last: 30 }],
        ["address:2", { count: 1, last: 20 }],
      ]),
    });
    for (const other of answers.slice(1)) expect(other).toEqual(sqlite);
  });

  it("keeps one unsubscription in force per address and stream, whatever the case, until it is undone", async () => {
    const answers = [];
    for (const [, store] of stores) {
      const first = await store.unsubscribe("Anna@Example.co.uk", "alerts:3723707", "anna@example.co.uk", 10);
      const again = await store.unsubscribe("anna@example.co.uk", "alerts:3723707", "anna@example.co.uk", 20);
      await store.unsubscribe("anna@example.co.uk", "digest", "anna@example.co.uk", 30);
      await store.unsubscribe("other@example.org", "alerts", "other@example.org", 40);
      const active = await store.activeUnsubscriptions(["ANNA@example.co.uk", "nobody@example.org"]);
      const ended = await store.endUnsubscription(first.unsubscription.id, "5000001", 50);
      const notTwice = await store.endUnsubscription(first.unsubscription.id, "5000001", 60);
      const renewed = await store.unsubscribe(
        "anna@example.co.uk",
        "alerts:3723707",
        "anna@example.co.uk",
        70,
      );
      const after = await store.activeUnsubscriptions(["anna@example.co.uk", "other@example.org"]);
      const withoutIds = <T extends { id: number }>({ id: _, ...rest }: T) => rest;
      answers.push({
        first: { created: first.created, ...withoutIds(first.unsubscription) },
        again: { created: again.created, createdAt: again.unsubscription.createdAt },
        active: active.map(withoutIds),
        ended: ended && withoutIds(ended),
        notTwice,
        renewed: { created: renewed.created, createdAt: renewed.unsubscription.createdAt },
        after: after.map((u) => [u.address, u.stream, u.createdAt]),
      });
    }
    const [sqlite] = answers;
    expect(sqlite).toEqual({
      first: {
        created: true,
        address: "anna@example.co.uk",
        stream: "alerts:3723707",
        createdAt: 10,
        createdBy: "anna@example.co.uk",
      },
      again: { created: false, createdAt: 10 },
      active: [
        {
          address: "anna@example.co.uk",
          stream: "alerts:3723707",
          createdAt: 10,
          createdBy: "anna@example.co.uk",
        },
        { address: "anna@example.co.uk", stream: "digest", createdAt: 30, createdBy: "anna@example.co.uk" },
      ],
      ended: {
        address: "anna@example.co.uk",
        stream: "alerts:3723707",
        createdAt: 10,
        createdBy: "anna@example.co.uk",
        endedAt: 50,
        endedBy: "5000001",
      },
      notTwice: undefined,
      renewed: { created: true, createdAt: 70 },
      after: [
        ["anna@example.co.uk", "digest", 30],
        ["other@example.org", "alerts", 40],
        ["anna@example.co.uk", "alerts:3723707", 70],
      ],
    });
    for (const other of answers.slice(1)) expect(other).toEqual(sqlite);
  });
});
