import fc from "fast-check";
import { EqualityFilter, FilterParser } from "ldapts";
import { describe, expect, it } from "vitest";
import { anyOfFilter, escapeFilterValue, matchesFilter, parseFilter } from "../../src/directory/filter.js";

const entry = {
  dn: "uid=3723701,ou=accounts,dc=example",
  attributes: {
    objectclass: ["top", "account", "sstBackupMonitorSettings"],
    uid: ["3723701"],
    mail: ["backup@alpenblick.example", "it@alpenblick.example"],
    sstquota: ["21474836480"],
    cn: ["Jürg Müller"],
  },
};

describe("escapeFilterValue", () => {
  it("escapes the RFC 4515 specials", () => {
    expect(escapeFilterValue("*)(uid=*")).toBe("\\2a\\29\\28uid=\\2a");
    expect(escapeFilterValue("a\\b\0c")).toBe("a\\5cb\\00c");
    expect(escapeFilterValue("Jürg")).toBe("Jürg");
  });

  it("keeps any value a single equality assertion with the same value", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 40 }), (value) => {
        const parsed = FilterParser.parseString(`(uid=${escapeFilterValue(value)})`);
        expect(parsed).toBeInstanceOf(EqualityFilter);
        const equality = parsed as EqualityFilter;
        const decoded = Buffer.isBuffer(equality.value) ? equality.value.toString("utf8") : equality.value;
        expect(decoded).toBe(value);
      }),
      { numRuns: 500 },
    );
  });

  it("builds OR-filters that an injected uid cannot widen", () => {
    const filter = anyOfFilter("(objectClass=account)", "uid", ["3723701", "*)(uid=*"]);
    expect(filter).toBe("(&(objectClass=account)(|(uid=3723701)(uid=\\2a\\29\\28uid=\\2a)))");
    expect(matchesFilter(parseFilter(filter), entry)).toBe(true);
    const injectedOnly = anyOfFilter("(objectClass=account)", "uid", ["*)(uid=*"]);
    expect(matchesFilter(parseFilter(injectedOnly), entry)).toBe(false);
  });
});

describe("matchesFilter", () => {
  it.each([
    ["(uid=3723701)", true],
    ["(UID=3723701)", true],
    ["(objectClass=ACCOUNT)", true],
    ["(mail=IT@alpenblick.example)", true],
    ["(mail=*)", true],
    ["(sn=*)", false],
    ["(mail=*@alpenblick.*)", true],
    ["(mail=backup*example)", true],
    ["(mail=x*)", false],
    ["(cn=Jürg*)", true],
    ["(sstQuota>=1000)", true],
    ["(sstQuota<=1000)", false],
    ["(&(uid=3723701)(!(mail=nobody@example.org)))", true],
    ["(|(uid=1)(uid=2))", false],
    ["(uid~=3723701)", true],
  ])("%s → %s", (filter, expected) => {
    expect(matchesFilter(parseFilter(filter), entry)).toBe(expected);
  });

  it("names the filter when it is malformed", () => {
    expect(() => parseFilter("(uid=1")).toThrow(/invalid LDAP filter \(uid=1/);
  });
});
