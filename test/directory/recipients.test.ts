import { describe, expect, it } from "vitest";
import { accountDefaultsSchema } from "../../src/config/directory.js";
import {
  type Account,
  effectiveSettings,
  type Person,
  type Reseller,
  recipientTimeZone,
  resolveRecipients,
} from "../../src/directory/index.js";
import { account as testAccount } from "../support/accounts.js";

const defaults = accountDefaultsSchema.parse({});
const account = (fields: Partial<Account> = {}): Account =>
  testAccount("1", { dn: "uid=1,ou=accounts,dc=example", ...fields });
const person = (uid: string, fields: Partial<Person> = {}): Person => ({
  uid,
  dn: `uid=${uid},ou=people,dc=example`,
  mail: [`${uid}@example.org`],
  ...fields,
});
const reseller = (uid: string, fields: Partial<Reseller> = {}): Reseller => ({
  uid,
  dn: `uid=${uid},ou=reseller,dc=example`,
  mail: [],
  informPersonUids: [],
  personUids: [],
  settings: {},
  ...fields,
});

interface Case {
  account: Account;
  person?: Person;
  resellers?: Reseller[];
  persons?: Person[];
  resellerMail?: boolean;
}

const resolve = ({ account: a, person: p, resellers = [], persons = [], resellerMail = true }: Case) =>
  resolveRecipients(
    {
      account: a,
      ...(p ? { person: p } : {}),
      resellers,
      informPersons: new Map(persons.map((item) => [item.uid, item])),
      settings: effectiveSettings(a, resellers, defaults),
    },
    { resellerMail, defaults },
  );

const summary = (c: Case) => {
  const resolution = resolve(c);
  return {
    mailed: resolution.recipients.map(
      (r) => `${r.audience} ${r.address} ${r.language} ${r.timeZone} ${r.source.kind}:${r.source.uid}`,
    ),
    notMailed: resolution.notInformed.map((n) => `${n.audience} ${n.uid}: ${n.reason}`),
  };
};

describe("customer recipients (warnings flag, account mail, else person mail)", () => {
  it("mails every account address when the flag is on, in the owner's language and time zone", () => {
    const owner = person("5", { preferredLanguage: "de-CH", timeZoneOffset: "+05:30" });
    expect(
      summary({
        account: account({
          mail: ["a@x.example", "b@x.example"],
          personUid: "5",
          settings: { warnings: true },
        }),
        person: owner,
      }),
    ).toEqual({
      mailed: ["customer a@x.example de-CH +05:30 account:1", "customer b@x.example de-CH +05:30 account:1"],
      notMailed: [],
    });
  });

  it("reads a fixed offset of the default zone as that zone, so summer time is right", () => {
    expect(recipientTimeZone("+01:00", "Europe/Zurich")).toBe("Europe/Zurich");
    expect(recipientTimeZone("+02:00", "Europe/Zurich")).toBe("Europe/Zurich");
    expect(recipientTimeZone("+00:00", "Europe/Zurich")).toBe("+00:00");
    expect(recipientTimeZone("America/New_York", "Europe/Zurich")).toBe("America/New_York");
    expect(recipientTimeZone(undefined, "Europe/Zurich")).toBe("Europe/Zurich");
  });

  it("falls back to the owning person's addresses (all of them)", () => {
    const owner = person("5", { mail: ["p@x.example", "q@x.example"], preferredLanguage: "en-GB" });
    expect(summary({ account: account({ personUid: "5" }), person: owner }).mailed).toEqual([
      "customer p@x.example en-GB Europe/Zurich person:5",
      "customer q@x.example en-GB Europe/Zurich person:5",
    ]);
  });

  it("does not inform the customer when the flag is off, naming where the value came from", () => {
    expect(
      summary({ account: account({ mail: ["a@x.example"], settings: { warnings: false } }) }).notMailed,
    ).toEqual(["customer 1: warnings off (account)"]);
    const off = reseller("4", { settings: { warnings: false } });
    expect(
      summary({ account: account({ mail: ["a@x.example"], resellerUids: ["4"] }), resellers: [off] })
        .notMailed,
    ).toEqual(["customer 1: warnings off (reseller 4)", "reseller 4: reseller 4 warnings off"]);
    const configOff = resolveRecipients(
      {
        account: account({ mail: ["a@x.example"] }),
        resellers: [],
        informPersons: new Map(),
        settings: effectiveSettings(account(), [], { ...defaults, warnings: false }),
      },
      { resellerMail: true, defaults },
    );
    expect(configOff.notInformed).toEqual([
      { audience: "customer", uid: "1", reason: "warnings off (config)" },
    ]);
  });

  it("names the reason when nobody can be informed", () => {
    expect(summary({ account: account() }).notMailed).toEqual(["customer 1: no address"]);
    expect(summary({ account: account({ personUid: "9" }) }).notMailed).toEqual([
      "customer 1: person 9 not found",
    ]);
    expect(
      summary({ account: account({ personUid: "5" }), person: person("5", { mail: [] }) }).notMailed,
    ).toEqual(["customer 1: no address"]);
  });

  it("picks the language: account, then person, then reseller, then the configuration", () => {
    const r = reseller("4", { preferredLanguage: "fr-CH", mail: ["r@x.example"] });
    const language = (a: Account, p?: Person) =>
      resolve({ account: a, ...(p ? { person: p } : {}), resellers: [r] }).recipients[0]?.language;
    const base = { mail: ["a@x.example"], personUid: "5", resellerUids: ["4"] };
    expect(
      language(account({ ...base, preferredLanguage: "en" }), person("5", { preferredLanguage: "de-CH" })),
    ).toBe("en");
    expect(language(account(base), person("5", { preferredLanguage: "de-CH" }))).toBe("de-CH");
    expect(language(account(base), person("5"))).toBe("fr-CH");
    expect(resolve({ account: account({ mail: ["a@x.example"] }) }).recipients[0]?.language).toBe("en");
  });

  it("drops addresses that differ only in case", () => {
    expect(summary({ account: account({ mail: ["A@x.example", "a@X.example"] }) }).mailed).toEqual([
      "customer A@x.example en Europe/Zurich account:1",
    ]);
  });
});

describe("reseller recipients (also where the customer opted out)", () => {
  const contact = person("10", {
    mail: ["support@r.example"],
    preferredLanguage: "fr-CH",
    timeZoneOffset: "+01:00",
  });
  const owner = person("11", { mail: ["boss@r.example"] });

  it("mails the reseller entry's addresses, even when the customer opted out", () => {
    const r = reseller("4", { mail: ["r@x.example"], preferredLanguage: "de-CH", informPersonUids: ["10"] });
    expect(
      summary({
        account: account({ resellerUids: ["4"], settings: { warnings: false } }),
        resellers: [r],
        persons: [contact],
      }),
    ).toEqual({
      mailed: ["reseller r@x.example de-CH Europe/Zurich reseller:4"],
      notMailed: ["customer 1: warnings off (account)"],
    });
  });

  it("falls back to the inform persons, then to the reseller's own persons", () => {
    const informs = reseller("4", { informPersonUids: ["10"], personUids: ["11"] });
    expect(
      summary({
        account: account({ mail: ["a@x.example"], resellerUids: ["4"] }),
        resellers: [informs],
        persons: [contact, owner],
      }).mailed,
    ).toEqual([
      "customer a@x.example en Europe/Zurich account:1",
      "reseller support@r.example fr-CH Europe/Zurich person:10",
    ]);
    const owns = reseller("4", { personUids: ["11"] });
    expect(
      summary({ account: account({ resellerUids: ["4"] }), resellers: [owns], persons: [owner] }).mailed,
    ).toEqual(["reseller boss@r.example en Europe/Zurich person:11"]);
    const informWithoutMail = reseller("4", { informPersonUids: ["12"], personUids: ["11"] });
    expect(
      summary({
        account: account({ resellerUids: ["4"] }),
        resellers: [informWithoutMail],
        persons: [person("12", { mail: [] }), owner],
      }).mailed,
    ).toEqual(["reseller boss@r.example en Europe/Zurich person:11"]);
  });

  it("names why a reseller is not informed", () => {
    const a = account({ mail: ["a@x.example"], resellerUids: ["4", "5", "6"] });
    const off = reseller("4", { mail: ["r@x.example"], settings: { warnings: false } });
    const silent = reseller("5", { informPersonUids: ["99"] });
    // Reseller 4's flag is also the customer's default: the account has none of its own.
    expect(summary({ account: a, resellers: [off, silent] }).notMailed).toEqual([
      "customer 1: warnings off (reseller 4)",
      "reseller 4: reseller 4 warnings off",
      "reseller 5: reseller 5 has no address",
      "reseller 6: reseller 6 not found",
    ]);
    expect(summary({ account: a, resellers: [off, silent], resellerMail: false }).notMailed).toEqual([
      "customer 1: warnings off (reseller 4)",
      "reseller 4: reseller mail off",
      "reseller 5: reseller mail off",
      "reseller 6: reseller mail off",
    ]);
  });

  it("informs every reseller of an account once per address", () => {
    const a = account({ resellerUids: ["4", "5"], settings: { warnings: false } });
    const first = reseller("4", { mail: ["shared@r.example"] });
    const second = reseller("5", { mail: ["SHARED@r.example", "other@r.example"] });
    expect(summary({ account: a, resellers: [first, second] }).mailed).toEqual([
      "reseller shared@r.example en Europe/Zurich reseller:4",
      "reseller other@r.example en Europe/Zurich reseller:5",
    ]);
  });
});

describe("effectiveSettings", () => {
  it("takes each setting from the account, else the first reseller in the account's order that has it, else the configuration", () => {
    const first = reseller("4", { settings: { quotaWarningPercent: 90 } });
    const second = reseller("5", {
      settings: { quotaWarningPercent: 70, missedBackupsThreshold: 2, warnings: false },
    });
    const a = account({ resellerUids: ["4", "5"], settings: { failuresThreshold: 0 } });
    expect(effectiveSettings(a, [second, first], defaults)).toEqual({
      warnings: { value: false, source: "reseller", resellerUid: "5" },
      quotaWarningPercent: { value: 90, source: "reseller", resellerUid: "4" },
      missedBackupsThreshold: { value: 2, source: "reseller", resellerUid: "5" },
      missedDaysThreshold: { value: 1, source: "config" },
      failuresThreshold: { value: 0, source: "account" },
      quotaFullDays: { value: 14, source: "config" },
    });
  });

  it("uses the documented configuration defaults", () => {
    expect(effectiveSettings(account(), [], defaults)).toEqual({
      warnings: { value: true, source: "config" },
      quotaWarningPercent: { value: 85, source: "config" },
      missedBackupsThreshold: { value: 1, source: "config" },
      missedDaysThreshold: { value: 1, source: "config" },
      failuresThreshold: { value: 1, source: "config" },
      quotaFullDays: { value: 14, source: "config" },
    });
  });
});
