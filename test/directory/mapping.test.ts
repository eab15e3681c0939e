import { describe, expect, it } from "vitest";
import { attributeNamesSchema } from "../../src/config/directory.js";
import { parseGeneralizedTime, parseLastSuccessfulBackups } from "../../src/directory/index.js";
import { mappedAttributes, toAccount, toPerson, toReseller } from "../../src/directory/mapping.js";

const names = attributeNamesSchema.parse({});
const entry = (attributes: Record<string, string[]>, dn = "uid=1,ou=accounts,dc=example") => ({
  dn,
  attributes: Object.fromEntries(
    Object.entries(attributes).map(([key, values]) => [key.toLowerCase(), values]),
  ),
});

describe("toAccount", () => {
  it("maps every attribute with the default names", () => {
    const account = toAccount(
      entry({
        uid: ["3723701"],
        homeDirectory: ["/var/backup/3723701"],
        sstIsActive: ["TRUE"],
        sstBackupWarningOn: ["TRUE"],
        sstNotificationWarningLevel: ["95"],
        sstBackupWarningNumbers: ["3"],
        sstBackupWarningDays: ["5"],
        sstBackupWarningFailures: ["0"],
        mail: ["a@example.org", "b@example.org"],
        preferredLanguage: ["fr"],
        sstBelongsToPersonUID: ["5000001"],
        sstBelongsToResellerUID: ["4000001", "4000002"],
        sstBelongsToCustomerUID: ["6000001"],
        sstQuota: ["10737418240"],
        sstBackupSize: ["9448928051"],
        sstIncrementSize: ["966367642"],
        sstBackupLastSuccessfulBackup: ["laptop:20261125T190512Z", "0", "büro-pc:20261124T080000Z"],
        createTimestamp: ["20261001120000Z"],
      }),
      names,
    );
    expect(account).toEqual({
      uid: "3723701",
      dn: "uid=1,ou=accounts,dc=example",
      home: "/var/backup/3723701",
      active: true,
      settings: {
        warnings: true,
        quotaWarningPercent: 95,
        missedBackupsThreshold: 3,
        missedDaysThreshold: 5,
        failuresThreshold: 0,
      },
      warningsFlagAttribute: "sstBackupWarningOn",
      mail: ["a@example.org", "b@example.org"],
      preferredLanguage: "fr",
      personUid: "5000001",
      resellerUids: ["4000001", "4000002"],
      customerUid: "6000001",
      quotaBytes: 10737418240,
      backupSizeBytes: 9448928051,
      incrementSizeBytes: 966367642,
      lastSuccessfulBackup: new Map([
        ["laptop", new Date("2026-11-25T19:05:12Z")],
        ["büro-pc", new Date("2026-11-24T08:00:00Z")],
      ]),
      createdAt: new Date("2026-10-01T12:00:00Z"),
    });
  });

  it("leaves absent attributes undefined and counts an entry without sstIsActive as active", () => {
    const account = toAccount(entry({ uid: ["3723704"] }), names);
    expect(account).toEqual({
      uid: "3723704",
      dn: "uid=1,ou=accounts,dc=example",
      active: true,
      settings: {},
      mail: [],
      resellerUids: [],
      lastSuccessfulBackup: new Map(),
    });
  });

  it("reads the first present of the flag names, in the configured order", () => {
    expect(toAccount(entry({ sstBackupWarnings: ["FALSE"] }), names)).toMatchObject({
      settings: { warnings: false },
      warningsFlagAttribute: "sstBackupWarnings",
    });
    const both = entry({ sstBackupWarnings: ["TRUE"], sstBackupWarningOn: ["FALSE"] });
    expect(toAccount(both, names).settings.warnings).toBe(true);
    const schemaFirst = { ...names, warningsFlag: ["sstBackupWarningOn", "sstBackupWarnings"] };
    expect(toAccount(both, schemaFirst)).toMatchObject({
      settings: { warnings: false },
      warningsFlagAttribute: "sstBackupWarningOn",
    });
  });

  it("uses configured attribute names", () => {
    const custom = {
      ...names,
      mail: "backupMail",
      quotaWarningPercent: "quotaLevel",
      warningsFlag: ["wantsMail"],
    };
    const account = toAccount(
      entry({ backupMail: ["x@example.org"], quotaLevel: ["70"], wantsMail: ["false"] }),
      custom,
    );
    expect(account.mail).toEqual(["x@example.org"]);
    expect(account.settings).toEqual({ quotaWarningPercent: 70, warnings: false });
    expect(mappedAttributes(custom)).toEqual(
      expect.arrayContaining(["backupMail", "quotaLevel", "wantsMail", "createTimestamp"]),
    );
  });

  it("ignores malformed values with a note instead of failing", () => {
    const account = toAccount(
      entry({
        uid: ["1"],
        sstIsActive: ["yes"],
        sstBackupWarningOn: ["maybe"],
        sstNotificationWarningLevel: ["ninety"],
        sstBackupWarningNumbers: ["-1"],
        sstQuota: ["12.5"],
        createTimestamp: ["yesterday"],
        sstBackupLastSuccessfulBackup: ["laptop:2026-11-25", "nohost", "pc:20261332T000000Z"],
      }),
      names,
    );
    expect(account.active).toBe(true);
    expect(account.settings).toEqual({});
    expect(account.quotaBytes).toBeUndefined();
    expect(account.createdAt).toBeUndefined();
    expect(account.lastSuccessfulBackup.size).toBe(0);
    expect(account.notes).toEqual([
      'sstBackupWarningOn: expected TRUE or FALSE, got "maybe" (ignored)',
      'sstIsActive: expected TRUE or FALSE, got "yes" (ignored)',
      'sstNotificationWarningLevel: expected an integer >= 0, got "ninety" (ignored)',
      'sstBackupWarningNumbers: expected an integer >= 0, got "-1" (ignored)',
      'sstQuota: expected an integer >= 0, got "12.5" (ignored)',
      'createTimestamp: expected a generalized time such as 20261001120000Z, got "yesterday" (ignored)',
      'last successful backup "laptop:2026-11-25": expected host:YYYYMMDDThhmmssZ or 0 (ignored)',
      'last successful backup "nohost": expected host:YYYYMMDDThhmmssZ or 0 (ignored)',
      'last successful backup "pc:20261332T000000Z": expected host:YYYYMMDDThhmmssZ or 0 (ignored)',
    ]);
  });
});

describe("parseLastSuccessfulBackups", () => {
  it("takes the timestamp after the last colon, skips 0 and keeps the latest per host", () => {
    const { byHost, notes } = parseLastSuccessfulBackups([
      "fe80::1:20261125T190512Z",
      "0",
      "laptop:20261120T000000Z",
      "laptop:20261125T000000Z",
      "laptop:20261121T000000Z",
    ]);
    expect(notes).toEqual([]);
    expect(byHost).toEqual(
      new Map([
        ["fe80::1", new Date("2026-11-25T19:05:12Z")],
        ["laptop", new Date("2026-11-25T00:00:00Z")],
      ]),
    );
  });
});

describe("parseGeneralizedTime", () => {
  it.each([
    ["20261001120000Z", "2026-10-01T12:00:00.000Z"],
    ["202610011200Z", "2026-10-01T12:00:00.000Z"],
    ["2026100112Z", "2026-10-01T12:00:00.000Z"],
    ["20261001120000.5Z", "2026-10-01T12:00:00.500Z"],
    ["20261001130000+0100", "2026-10-01T12:00:00.000Z"],
    ["20261001070000-05", "2026-10-01T12:00:00.000Z"],
  ])("%s is %s", (value, iso) => {
    expect(parseGeneralizedTime(value)?.toISOString()).toBe(iso);
  });

  it.each(["20261301120000Z", "20261001120000", "2026-10-01T12:00:00Z", "20260230120000Z"])(
    "rejects %s",
    (value) => {
      expect(parseGeneralizedTime(value)).toBeUndefined();
    },
  );
});

describe("toPerson and toReseller", () => {
  it("maps a person with non-ASCII names", () => {
    const person = toPerson(
      entry(
        {
          uid: ["5000002"],
          givenName: ["Zoë"],
          sn: ["Lefèvre"],
          mail: ["zoe.lefevre@example.fr"],
          preferredLanguage: ["fr-CH"],
          sstTimeZoneOffset: ["+01:00"],
        },
        "uid=5000002,ou=people,dc=example",
      ),
      names,
    );
    expect(person).toEqual({
      uid: "5000002",
      dn: "uid=5000002,ou=people,dc=example",
      givenName: "Zoë",
      surname: "Lefèvre",
      mail: ["zoe.lefevre@example.fr"],
      preferredLanguage: "fr-CH",
      timeZoneOffset: "+01:00",
    });
  });

  it("reads reseller settings from the settings entry, the flag also from the reseller entry", () => {
    const reseller = entry(
      {
        uid: ["4000002"],
        o: ["Éclair Informatique SàRL"],
        sstInformPersonUID: ["5000010"],
        sstBelongsToPersonUID: ["5000011"],
        sstBackupWarningOn: ["FALSE"],
      },
      "uid=4000002,ou=reseller,dc=example",
    );
    const settings = entry(
      { sstBackupWarningNumbers: ["2"], sstNotificationWarningLevel: ["x"] },
      "ou=settings,uid=4000002,ou=reseller,dc=example",
    );
    expect(toReseller(reseller, settings, names)).toEqual({
      uid: "4000002",
      dn: "uid=4000002,ou=reseller,dc=example",
      name: "Éclair Informatique SàRL",
      mail: [],
      informPersonUids: ["5000010"],
      personUids: ["5000011"],
      settings: { missedBackupsThreshold: 2, warnings: false },
      settingsDn: "ou=settings,uid=4000002,ou=reseller,dc=example",
      notes: ['settings entry: sstNotificationWarningLevel: expected an integer >= 0, got "x" (ignored)'],
    });
    const settingsFlag = entry(
      { sstBackupWarnings: ["TRUE"] },
      "ou=settings,uid=4000002,ou=reseller,dc=example",
    );
    expect(toReseller(reseller, settingsFlag, names).settings.warnings).toBe(true);
    expect(
      toReseller(entry({ uid: ["4"], givenName: ["Hans"], sn: ["Muster"] }), undefined, names).name,
    ).toBe("Hans Muster");
  });
});

describe("mail values", () => {
  it("keep exactly-one-address values and set the others aside with a note", () => {
    const values = [
      "a@example.org",
      "Zoë.Lefèvre+backup@exemple.fr",
      "a@example.org, b@example.org",
      "a@example.org\r\nBcc: b@example.org",
      "Anna <a@example.org>",
      "a@example.org b@example.org",
      "no-at-sign",
      "a@@example.org",
      "a@-example.org",
      '"quoted"@example.org',
    ];
    const account = toAccount(entry({ uid: ["1"], mail: values }), names);
    expect(account.mail).toEqual(["a@example.org", "Zoë.Lefèvre+backup@exemple.fr"]);
    expect(account.ignoredMail).toEqual(values.slice(2));
    expect(account.notes).toContain(
      'mail: "a@example.org\\r\\nBcc: b@example.org" is not exactly one mail address (ignored)',
    );
    const person = toPerson(entry({ uid: ["5"], mail: ["x@example.org,y@example.org"] }), names);
    expect(person).toMatchObject({ mail: [], ignoredMail: ["x@example.org,y@example.org"] });
    const reseller = toReseller(
      entry({ uid: ["4"], mail: ["r@example.org;s@example.org"] }),
      undefined,
      names,
    );
    expect(reseller).toMatchObject({ mail: [], ignoredMail: ["r@example.org;s@example.org"] });
  });
});
