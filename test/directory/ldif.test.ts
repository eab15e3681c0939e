import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatLdif, LdifError, parseLdif } from "../../src/directory/index.js";
import { exampleLdif } from "../support/slapd.js";

const errorOf = (text: string): LdifError => {
  try {
    parseLdif(text);
  } catch (error) {
    if (error instanceof LdifError) return error;
    throw error;
  }
  throw new Error("expected an LdifError");
};

describe("parseLdif", () => {
  it("reads folded lines, base64 values, comments, multi-valued attributes and CRLF", () => {
    const text = [
      "version: 1",
      "# a comment",
      "#  folded comment",
      " continues here",
      "dn: uid=1,ou=people,dc=example",
      "objectClass: top",
      "Mail: a@example.org",
      "mail: b@example.org",
      "description: a long line that is fol",
      " ded over two lines",
      "cn:: SsO8cmcgTcO8bGxlcg==",
      "mail;lang-de: c@example.org",
      "empty:",
      "",
      "",
      "dn:: dWlkPTIsb3U9cGVvcGxlLGRjPWV4YW1wbGU=",
      "cn:   leading spaces dropped",
      "",
    ].join("\r\n");
    const entries = parseLdif(text);
    expect(entries).toEqual([
      {
        dn: "uid=1,ou=people,dc=example",
        line: 5,
        attributes: {
          objectclass: ["top"],
          mail: ["a@example.org", "b@example.org", "c@example.org"],
          description: ["a long line that is folded over two lines"],
          cn: ["Jürg Müller"],
          empty: [""],
        },
      },
      { dn: "uid=2,ou=people,dc=example", line: 16, attributes: { cn: ["leading spaces dropped"] } },
    ]);
  });

  it("applies modify and delete records in order, where '-' separates changes", () => {
    const entries = parseLdif(
      [
        "dn: uid=1,dc=example",
        "mail: a@example.org",
        "mail: b@example.org",
        "cn: one",
        "",
        "dn: uid=2,dc=example",
        "cn: two",
        "",
        "dn: UID=1, DC=example",
        "changetype: modify",
        "delete: mail",
        "mail: a@example.org",
        "-",
        "add: sn",
        "sn: Müller",
        "-",
        "replace: cn",
        "cn: uno",
        "-",
        "",
        "dn: uid=2,dc=example",
        "changetype: delete",
        "",
      ].join("\n"),
    );
    expect(entries).toEqual([
      {
        dn: "uid=1,dc=example",
        line: 1,
        attributes: { mail: ["b@example.org"], cn: ["uno"], sn: ["Müller"] },
      },
    ]);
  });

  it.each([
    ["dn: uid=1,dc=x\nobjectClass top\n", 2, 'expected "attribute: value"'],
    ["dn: uid=1,dc=x\ncn:: not base64!\n", 2, "invalid base64"],
    ["dn: uid=1,dc=x\ncn:< file:///etc/passwd\n", 2, "URL values"],
    ["cn: x\n", 1, 'must start with "dn:"'],
    ["\n\n dangling\n", 3, "continuation line"],
    ["dn: uid=1,dc=x\ncn: a\n-\n", 3, '"-" is only valid between changes'],
    ["dn: uid=1,dc=x\ncn: a\n\ndn: uid=1, dc=X\ncn: b\n", 4, "duplicate entry"],
    [
      "dn: uid=1,dc=x\ncn: a\n\ndn: uid=1,dc=x\nchangetype: modify\nadd: sn\nsn: b\n",
      7,
      'not closed with "-"',
    ],
    ["dn: uid=9,dc=x\nchangetype: modify\nadd: sn\nsn: b\n-\n", 1, "modify of unknown entry"],
    ["dn: uid=1,dc=x\nchangetype: modrdn\nnewrdn: uid=2\n", 1, 'changetype "modrdn" is not supported'],
    ["dn: uid=1,dc=x\ncn:: /w==\n", 2, "not UTF-8"],
    ["dn: uid=1,dc=x\nbad name: x\n", 2, "invalid attribute name"],
    ["version: 2\ndn: uid=1,dc=x\ncn: a\n", 1, "unsupported LDIF version"],
  ])("rejects %j at line %i", (text, line, problem) => {
    const error = errorOf(text);
    expect(error.line).toBe(line);
    expect(error.message).toMatch(
      new RegExp(`^line ${line}: .*${problem.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`),
    );
  });

  it("reads the example directory", () => {
    const entries = parseLdif(readFileSync(exampleLdif, "utf8"));
    const byDn = new Map(entries.map((entry) => [entry.dn, entry]));
    expect(entries).toHaveLength(26);
    const reseller = byDn.get(
      "uid=4000002,ou=reseller,ou=configuration,ou=backup,ou=services,dc=stoney-cloud,dc=org",
    );
    expect(reseller?.attributes.o).toEqual(["Éclair Informatique SàRL"]);
    const account = byDn.get("uid=3723701,ou=accounts,ou=backup,ou=services,dc=stoney-cloud,dc=org");
    expect(account?.attributes.description?.[0]).toMatch(/Friday evenings$/);
  });

  it("round-trips any entries through formatLdif", () => {
    const name = fc.stringMatching(/^[a-z][a-zA-Z0-9-]{0,15}$/);
    const value = fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: "grapheme", maxLength: 100 }));
    const entry = fc.record({
      dn: fc.stringMatching(/^uid=[a-z0-9]{1,8}(,ou=[a-z]{1,8}){0,3}$/),
      attributes: fc.dictionary(
        name.filter((n) => n !== "dn" && n !== "changetype" && n !== "control"),
        fc.uniqueArray(
          value.filter((v) => !v.includes("\0") && !/\r/.test(v)),
          { minLength: 1, maxLength: 4 },
        ),
        { minKeys: 1, maxKeys: 6 },
      ),
    });
    fc.assert(
      fc.property(fc.uniqueArray(entry, { selector: (e) => e.dn, maxLength: 5 }), (entries) => {
        const lowered = entries.map((e) => ({
          dn: e.dn,
          attributes: Object.fromEntries(
            Object.entries(e.attributes).reduce<[string, string[]][]>((acc, [key, values]) => {
              const existing = acc.find(([k]) => k === key.toLowerCase());
              if (existing) for (const v of values) if (!existing[1].includes(v)) existing[1].push(v);
              if (!existing) acc.push([key.toLowerCase(), [...values]]);
              return acc;
            }, []),
          ),
        }));
        const parsed = parseLdif(formatLdif(lowered)).map(({ dn, attributes }) => ({ dn, attributes }));
        expect(parsed).toEqual(lowered);
      }),
      { numRuns: 300 },
    );
  });
});
