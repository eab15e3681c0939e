import { describe, expect, it } from "vitest";
import type { StoredAlert } from "../../src/bridge/outbox.js";
import { type AccountLookup, type RouteOptions, routeAlert } from "../../src/bridge/route.js";
import type { Account } from "../../src/directory/index.js";

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
