import { describe, expect, it } from "vitest";
import type { StoredAlert } from "../../src/bridge/outbox.js";
import {
  type AccountLookup,
  lookUpBisecting,
  type RecipientResolver,
  type RouteOptions,
  routeAlert,
} from "../../src/bridge/route.js";
import { directorySchema } from "../../src/config/directory.js";
import {
  type Account,
  type Directory,
  DirectoryError,
  lookUpAccounts,
  openDirectory,
} from "../../src/directory/index.js";
import { createLogger } from "../../src/log.js";
import { exampleLdif } from "../support/common.js";

const options: RouteOptions = {
  operators: ["ops@backup.example"],
  resolvedMails: { quota: true, upgrade: false, generic: true },
  defaultLanguage: "en",
  operatorTimeZone: "Europe/Zurich",
};

const stored = (labels: Record<string, string>, status: "firing" | "resolved" = "firing"): StoredAlert => ({
  id: 1,
  receivedAt: 0,
  fingerprint: "f",
  status,
  startsAt: "2026-11-26T10:00:00Z",
  ...(labels.account ? { account: labels.account } : {}),
  task: labels.task ?? "generic",
  labels,
  annotations: {},
  attempts: 0,
});

const account = { uid: "3723702", dn: "uid=3723702", active: true, settings: {}, mail: [], resellerUids: [] };
const lookup: AccountLookup = {
  found: new Map([
    [
      "3723702",
      {
        account: { ...account, lastSuccessfulBackup: new Map() } as Account,
        person: { uid: "5000001", dn: "uid=5000001", givenName: "Jürg", surname: "Müller", mail: [] },
        resolution: {
          accountUid: "3723702",
          recipients: [
            {
              address: "juerg.mueller@example.ch",
              audience: "customer",
              language: "de-CH",
              timeZone: "+01:00",
              source: { kind: "person", uid: "5000001" },
            },
          ],
          notInformed: [{ audience: "reseller", uid: "4000001", reason: "warnings off (reseller)" }],
        },
      },
    ],
  ]),
  unknown: ["9999999"],
};

describe("routing stage", () => {
  it("queues the directory's recipients (language reduced to de) and records who is not informed", () => {
    const items = routeAlert(stored({ account: "3723702", task: "quota" }), lookup, options);
    expect(items).toMatchObject([
      {
        kind: "queued",
        recipient: {
          address: "juerg.mueller@example.ch",
          audience: "customer",
          language: "de",
          name: "Jürg Müller",
        },
        entry: { customerName: "Jürg Müller" },
      },
      { kind: "suppressed", audience: "reseller", reason: "warnings off (reseller)" },
    ]);
  });

  it("sends operator alerts, alerts without account and unknown accounts to the operators", () => {
    const operator = routeAlert(
      stored({ account: "3723702", audience: "operator", task: "x" }),
      lookup,
      options,
    );
    expect(operator).toMatchObject([
      { kind: "queued", recipient: { audience: "operator", timeZone: "Europe/Zurich" } },
    ]);
    expect(routeAlert(stored({ task: "monitoring" }), undefined, options)).toMatchObject([
      { kind: "queued", recipient: { address: "ops@backup.example" } },
    ]);
    expect(routeAlert(stored({ account: "9999999", task: "quota" }), lookup, options)).toMatchObject([
      { kind: "queued", entry: { unknownAccount: true } },
    ]);
  });

  it("records switched-off resolved mails instead of queueing them", () => {
    expect(
      routeAlert(stored({ account: "3723702", task: "upgrade" }, "resolved"), lookup, options),
    ).toMatchObject([{ kind: "suppressed", reason: "resolved mails off" }]);
    expect(
      routeAlert(stored({ account: "3723702", task: "quota" }, "resolved"), lookup, options)[0]?.kind,
    ).toBe("queued");
  });

  it("mails neither the warning nor the resolution of a problem solved before its warning went out", () => {
    const quota = { account: "3723702", task: "quota" };
    const solvedEarly = "solved before its warning was mailed";
    const state = (resolved: boolean, announced: boolean, waiting: boolean) => ({
      resolved,
      announced,
      waiting,
    });
    expect(routeAlert(stored(quota), lookup, options, state(true, false, false))).toMatchObject([
      { kind: "suppressed", reason: solvedEarly },
    ]);
    expect(routeAlert(stored(quota, "resolved"), lookup, options, state(true, false, true))).toMatchObject([
      { kind: "suppressed", reason: solvedEarly },
    ]);
    expect(routeAlert(stored(quota, "resolved"), lookup, options, state(true, true, true))[0]?.kind).toBe(
      "queued",
    );
    expect(routeAlert(stored(quota), lookup, options, state(false, true, false))[0]?.kind).toBe("queued");
  });
});

describe("account labels that cannot be a directory uid", () => {
  it("sends the alert to the operators as undeliverable, with the reason, without looking it up", () => {
    const items = routeAlert(stored({ account: "3".repeat(257), task: "quota" }), undefined, options);
    expect(items).toMatchObject([
      {
        kind: "queued",
        recipient: { address: "ops@backup.example", audience: "operator" },
        entry: {
          undeliverable: "the account label is 257 characters long (a directory uid has at most 256)",
        },
      },
    ]);
  });

  it("leaves an operator alert's account label alone", () => {
    const items = routeAlert(stored({ account: "", audience: "operator", task: "x" }), undefined, options);
    expect(items).toHaveLength(1);
    expect(items[0]?.entry.undeliverable).toBeUndefined();
  });
});

describe("bisecting look-up", () => {
  const config = directorySchema.parse({ url: `file:${exampleLdif}` });
  const uids = [...Array.from({ length: 10 }, (_, i) => String(3723701 + i)), "9999999"];

  /** The example directory, except that any look-up of `poisoned` among other accounts fails with `error`. */
  const failingFor = (poisoned: string, error: () => Error) => {
    const directory = openDirectory(config, createLogger("silent"));
    const batches: string[][] = [];
    const failing: Directory = {
      ...directory,
      getAccounts: async (batch) => {
        batches.push([...batch]);
        if (batch.includes(poisoned)) throw error();
        return directory.getAccounts(batch);
      },
      getPersons: (batch) => directory.getPersons(batch),
      getResellers: (batch) => directory.getResellers(batch),
    };
    const resolve: RecipientResolver = (batch) =>
      lookUpAccounts(failing, batch, { resellerMail: config.resellerMail, defaults: config.defaults });
    return { resolve, batches };
  };

  it("resolves every other uid when one uid makes the directory fail, in about two look-ups per halving", async () => {
    const { resolve, batches } = failingFor(
      "3723707",
      () => new DirectoryError("directory: connection to ldap://ldap.example lost looking up accounts"),
    );
    const result = await lookUpBisecting(resolve, uids);
    expect([...result.failed]).toEqual([
      ["3723707", "directory: connection to ldap://ldap.example lost looking up accounts"],
    ]);
    expect([...result.found.keys()].sort()).toEqual(
      uids.filter((uid) => !["3723707", "9999999"].includes(uid)),
    );
    expect(result.unknown).toEqual(["9999999"]);
    // 11 uids: the whole batch, then two halves at each of four halvings.
    expect(batches.length).toBeLessThanOrEqual(1 + 2 * Math.ceil(Math.log2(uids.length)));
    expect(batches.filter((batch) => batch.includes("3723707")).at(-1)).toEqual(["3723707"]);
  });

  it("looks up once and rejects when the directory itself is unavailable", async () => {
    const { resolve, batches } = failingFor(
      "3723701",
      () =>
        new DirectoryError("directory: cannot reach ldap://ldap.example: ECONNREFUSED", {
          unavailable: true,
        }),
    );
    await expect(lookUpBisecting(resolve, uids)).rejects.toThrow("ECONNREFUSED");
    expect(batches).toHaveLength(1);
  });

  it("isolates the accounts that need a person whose look-up fails (bad data behind them)", async () => {
    const directory = openDirectory(config, createLogger("silent"));
    const failing: Directory = {
      ...directory,
      getAccounts: (batch) => directory.getAccounts(batch),
      getResellers: (batch) => directory.getResellers(batch),
      getPersons: async (batch) => {
        if (batch.includes("5000001")) throw new Error("invalid filter");
        return directory.getPersons(batch);
      },
    };
    const result = await lookUpBisecting(
      (batch) => lookUpAccounts(failing, batch, { resellerMail: false, defaults: config.defaults }),
      uids,
    );
    // The three accounts whose owner is person 5000001.
    expect([...result.failed.keys()].sort()).toEqual(["3723701", "3723702", "3723709"]);
    expect(result.found.size).toBe(7);
  });
});
