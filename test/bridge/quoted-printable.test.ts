import fc from "fast-check";
import { simpleParser } from "mailparser";
import MailComposer from "nodemailer/lib/mail-composer/index.js";
import { describe, expect, it } from "vitest";
import { quotedPrintable, quotedPrintablePart } from "../../src/bridge/quoted-printable.js";

/** A mail as the bridge composes it, parsed back as a mail client reads it. */
async function roundTrip(text: string, html: string) {
  const message = await new MailComposer({
    from: "backup@stoney.example",
    to: "customer@example.org",
    subject: "Backup",
    text: { raw: quotedPrintablePart("text/plain", text) },
    html: { raw: quotedPrintablePart("text/html", html) },
  })
    .compile()
    .build();
  return simpleParser(message);
}

/** Text as templates write it: any characters, lines ended by \n (never a lone \r), never nothing. */
const templateText = fc
  .array(
    fc.oneof(
      fc.string({ unit: "grapheme", maxLength: 120 }),
      fc.constantFrom(" ", "\t", "=", "\n", ".", "é"),
    ),
    {
      maxLength: 60,
    },
  )
  .map((pieces) => pieces.join("").replaceAll("\r", ""))
  .filter((text) => text !== "");

describe("quoted-printable parts", () => {
  it("encodes non-ASCII, '=' and whitespace before a line break, and breaks long lines softly", () => {
    expect(quotedPrintable("Grüße = 1 \nzwei\t\r\ndrei ")).toBe(
      "Gr=C3=BC=C3=9Fe =3D 1=20\r\nzwei=09\r\ndrei=20",
    );
    const long = quotedPrintable("x".repeat(200));
    expect(long.split("\r\n").map((line) => line.length)).toEqual([76, 76, 50]);
    expect(long.replaceAll("=\r\n", "")).toBe("x".repeat(200));
    // An =XX is never split by a soft break.
    expect(quotedPrintable(`${"x".repeat(74)}ü`)).toBe(`${"x".repeat(74)}=\r\n=C3=BC`);
  });

  it("gives back exactly the text and HTML to a mail client, in lines of at most 76 printable ASCII characters", async () => {
    await fc.assert(
      fc.asyncProperty(templateText, templateText, async (text, html) => {
        for (const encoded of [quotedPrintable(text), quotedPrintable(html)])
          for (const line of encoded.split("\r\n")) {
            expect(line.length).toBeLessThanOrEqual(76);
            expect(line).toMatch(/^[\x21-\x7e]*(?:[\x21-\x7e \t]*[\x21-\x7e])?$/);
          }
        const parsed = await roundTrip(text, html);
        expect(parsed.text ?? "").toBe(text);
        expect(parsed.html === false ? "" : parsed.html).toBe(html);
      }),
      { numRuns: 150 },
    );
  });
});
