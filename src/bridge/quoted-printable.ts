/**
 * Quoted-printable (RFC 2045 §6.7) of UTF-8 text, for the text and HTML parts of a mail, whose
 * line breaks become CRLF. Written here because nodemailer's encoder, character by character over
 * strings, took most of the time a mail costs to build.
 */
const hex = Buffer.from("0123456789ABCDEF", "latin1");
const lf = 0x0a;
const cr = 0x0d;
const space = 0x20;
const tab = 0x09;
const equals = 0x3d;
/** Characters of a line before its soft break "=": the whole line stays within 76. */
const lineLimit = 75;

const printable = (byte: number) => byte >= 0x21 && byte <= 0x7e && byte !== equals;

export function quotedPrintable(text: string): string {
  const bytes = Buffer.from(text, "utf8");
  // At worst every byte is =XX, and a soft break follows every 25 of them.
  const out = Buffer.allocUnsafe(bytes.length * 3 + Math.ceil(bytes.length / 25) * 3 + 3);
  let at = 0;
  let column = 0;
  const length = bytes.length;
  for (let i = 0; i < length; i++) {
    const byte = bytes[i] as number;
    if (byte === lf || (byte === cr && bytes[i + 1] === lf)) {
      if (byte === cr) i++;
      out[at++] = cr;
      out[at++] = lf;
      column = 0;
      continue;
    }
    let literal = printable(byte);
    if (byte === space || byte === tab) {
      // Whitespace at the end of a line would be lost in transit: only there it is encoded.
      const next = bytes[i + 1];
      literal = next !== undefined && next !== lf && !(next === cr && bytes[i + 2] === lf);
    }
    const width = literal ? 1 : 3;
    if (column + width > lineLimit) {
      out[at++] = equals;
      out[at++] = cr;
      out[at++] = lf;
      column = 0;
    }
    if (literal) out[at++] = byte;
    else {
      out[at++] = equals;
      out[at++] = hex[byte >> 4] as number;
      out[at++] = hex[byte & 0x0f] as number;
    }
    column += width;
  }
  return out.toString("latin1", 0, at);
}

/** A whole MIME part of `contentType` (a text type), for nodemailer to put in as it is. */
export const quotedPrintablePart = (contentType: string, text: string): string =>
  `Content-Type: ${contentType}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${quotedPrintable(text)}`;
