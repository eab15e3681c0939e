/**
 * A pure LDIF (RFC 2849) reader for directory snapshots: content records, `changetype: add`,
 * `modify` and `delete` records applied in order, folded lines, `::` base64 values and comments.
 */

/** One directory entry; attribute names are lower-cased, options such as `;lang-de` dropped. */
export interface DirectoryEntry {
  dn: string;
  attributes: Record<string, string[]>;
}

export interface LdifEntry extends DirectoryEntry {
  /** The line where the entry's record starts (1-based). */
  line: number;
}

/** Bad LDIF; the message starts with the 1-based line number. */
export class LdifError extends Error {
  constructor(
    readonly line: number,
    problem: string,
  ) {
    super(`line ${line}: ${problem}`);
    this.name = "LdifError";
  }
}

interface AttributeValue {
  line: number;
  name: string;
  value: string;
}

const attributeName = /^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)*)(?:;[A-Za-z0-9-]+)*$/;
const base64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Lower-cased attribute type without options: `mail;lang-de` and `Mail` both become `mail`. */
/** Attribute names as keys: options (`;lang-de`, `;binary`) dropped, lower case. */
export const attributeKey = (name: string): string => {
  const options = name.indexOf(";");
  return (options < 0 ? name : name.slice(0, options)).toLowerCase();
};

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const COLON = 0x3a;
const HASH = 0x23;
const LESS_THAN = 0x3c;

/**
 * One logical line as a byte range of the file (or of its unfolded copy): values are decoded straight
 * from the bytes, so no string holds (and keeps alive) the whole file or a whole line.
 */
interface Line {
  number: number;
  bytes: Buffer;
  start: number;
  end: number;
}

function parseLine({ number, bytes, start, end }: Line): AttributeValue {
  const colon = bytes.indexOf(COLON, start);
  if (colon <= start || colon >= end)
    throw new LdifError(
      number,
      `expected "attribute: value", got "${bytes.toString("utf8", start, end).slice(0, 40)}"`,
    );
  const name = bytes.toString("utf8", start, colon);
  if (!attributeName.test(name)) throw new LdifError(number, `invalid attribute name "${name}"`);
  if (bytes[colon + 1] === COLON) {
    const encoded = bytes.toString("latin1", colon + 2, end).trim();
    if (!base64.test(encoded) || encoded.length % 4 === 1)
      throw new LdifError(number, `${name}: invalid base64 value`);
    const decoded = Buffer.from(encoded, "base64");
    const value = decoded.toString("utf8");
    if (Buffer.from(value, "utf8").compare(decoded) !== 0)
      throw new LdifError(number, `${name}: base64 value is not UTF-8 text`);
    return { line: number, name, value };
  }
  if (bytes[colon + 1] === LESS_THAN)
    throw new LdifError(number, `${name}: URL values (":<") are not supported`);
  let valueStart = colon + 1;
  while (valueStart < end && bytes[valueStart] === SPACE) valueStart++;
  return { line: number, name, value: bytes.toString("utf8", valueStart, end) };
}

/**
 * The records of an LDIF file, one at a time: runs of non-blank logical lines, with continuation lines
 * unfolded (as bytes, so a fold inside a multi-byte character is harmless) and comments dropped.
 */
function* records(bytes: Buffer): Generator<Line[]> {
  let record: Line[] = [];
  /** Byte ranges of the logical line being unfolded, beyond its first. */
  let folded: Buffer[] | undefined;
  let inComment = false;
  let number = 0;
  const finishLine = () => {
    const last = record.at(-1);
    if (last && folded) {
      const joined = Buffer.concat([last.bytes.subarray(last.start, last.end), ...folded]);
      record[record.length - 1] = { number: last.number, bytes: joined, start: 0, end: joined.length };
    }
    folded = undefined;
  };
  let position = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (position <= bytes.length) {
    const newline = bytes.indexOf(LF, position);
    const next = newline < 0 ? bytes.length + 1 : newline + 1;
    let end = newline < 0 ? bytes.length : newline;
    if (newline >= 0 && end > position && bytes[end - 1] === CR) end -= 1;
    number += 1;
    const start = position;
    position = next;
    if (newline < 0 && start === bytes.length) break;
    if (bytes[start] === SPACE && start < end) {
      if (inComment) continue;
      if (record.length === 0) throw new LdifError(number, "continuation line without a line to continue");
      folded ??= [];
      folded.push(bytes.subarray(start + 1, end));
      continue;
    }
    finishLine();
    inComment = bytes[start] === HASH;
    if (inComment) continue;
    if (isBlank(bytes, start, end)) {
      if (record.length > 0) yield record;
      record = [];
    } else record.push({ number, bytes, start, end });
  }
  finishLine();
  if (record.length > 0) yield record;
}

/** A line of only white space separates records. */
function isBlank(bytes: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const byte = bytes[i];
    if (byte !== SPACE && byte !== 0x09 && byte !== CR && byte !== 0x0b && byte !== 0x0c) return false;
  }
  return true;
}

const normalizeRdn = (rdn: string): string => {
  const equals = rdn.indexOf("=");
  if (equals < 0) return rdn.trim().toLowerCase();
  return `${rdn.slice(0, equals).trim().toLowerCase()}=${rdn
    .slice(equals + 1)
    .trim()
    .toLowerCase()}`;
};

/** Split a DN into RDNs at commas that are not escaped with a backslash. */
export function splitDn(dn: string): string[] {
  const parts: string[] = [];
  let current = "";
  for (let i = 0; i < dn.length; i++) {
    const char = dn[i];
    if (char === "\\" && i + 1 < dn.length) {
      current += char + dn[i + 1];
      i++;
    } else if (char === ",") {
      parts.push(current);
      current = "";
    } else current += char;
  }
  if (current.trim() !== "" || parts.length > 0) parts.push(current);
  return parts;
}

/** A comparable form of a DN: case and spaces around separators do not matter. */
export const normalizeDn = (dn: string): string => splitDn(dn).map(normalizeRdn).join(",");

/**
 * Add values not present yet. Arrays are built at their final length (concat, literals), never grown by
 * push: a pushed-to array reserves room for 17 elements, which made the entries of a 50,000-account
 * file several times their size.
 */
function addValues(attributes: Record<string, string[]>, name: string, values: readonly string[]): void {
  const key = attributeKey(name);
  let current = attributes[key];
  for (const value of values) {
    if (current?.includes(value)) continue;
    current = current ? current.concat(value) : [value];
  }
  attributes[key] = current ?? [];
}

function applyModify(entry: LdifEntry, lines: AttributeValue[], dnLine: number): void {
  let index = 0;
  while (index < lines.length) {
    const operation = lines[index];
    if (!operation) break;
    const kind = operation.name.toLowerCase();
    if (kind !== "add" && kind !== "delete" && kind !== "replace")
      throw new LdifError(operation.line, `expected add:, delete: or replace:, got "${operation.name}:"`);
    const target = operation.value;
    const values: string[] = [];
    index++;
    for (; index < lines.length; index++) {
      const line = lines[index];
      if (!line || line.name === "-") break;
      if (attributeKey(line.name) !== attributeKey(target))
        throw new LdifError(line.line, `"${line.name}" inside the ${kind}: ${target} block`);
      values.push(line.value);
    }
    if (lines[index]?.name !== "-")
      throw new LdifError(lines.at(-1)?.line ?? dnLine, `${kind}: ${target} is not closed with "-"`);
    index++;
    const key = attributeKey(target);
    if (kind === "add") addValues(entry.attributes, key, values);
    else if (kind === "replace") {
      delete entry.attributes[key];
      if (values.length > 0) addValues(entry.attributes, key, values);
    } else if (values.length === 0) delete entry.attributes[key];
    else {
      const kept = (entry.attributes[key] ?? []).filter((value) => !values.includes(value));
      if (kept.length > 0) entry.attributes[key] = kept;
      else delete entry.attributes[key];
    }
  }
}

const isDash = (line: Line) => line.end - line.start === 1 && line.bytes[line.start] === 0x2d;

/**
 * Parse LDIF into entries (changes applied in order). Throws LdifError with a line number. A file is best
 * given as its bytes: records are then parsed one at a time and values decoded from the bytes, so a large
 * file is never held as text, as lines or as records beside the entries.
 */
export function parseLdif(input: string | Buffer): LdifEntry[] {
  const entries = new Map<string, LdifEntry>();
  const bytes = typeof input === "string" ? Buffer.from(input, "utf8") : input;
  let recordIndex = -1;
  for (const record of records(bytes)) {
    recordIndex += 1;
    const first = record[0];
    if (!first) continue;
    let parsed = record.map((line) =>
      isDash(line) ? { line: line.number, name: "-", value: "" } : parseLine(line),
    );
    if (recordIndex === 0 && parsed[0]?.name.toLowerCase() === "version") {
      if (parsed[0].value.trim() !== "1")
        throw new LdifError(first.number, `unsupported LDIF version "${parsed[0].value}"`);
      parsed = parsed.slice(1);
      if (parsed.length === 0) continue;
    }
    const dnLine = parsed[0] ?? { line: first.number, name: "", value: "" };
    if (dnLine.name.toLowerCase() !== "dn")
      throw new LdifError(dnLine.line, `a record must start with "dn:", got "${dnLine.name}:"`);
    const dn = dnLine.value.trim();
    if (dn === "") throw new LdifError(dnLine.line, "empty dn");
    const key = normalizeDn(dn);
    let body = parsed.slice(1);
    let changeType = "add";
    let explicitChange = false;
    if (body[0]?.name.toLowerCase() === "control")
      throw new LdifError(body[0].line, "LDIF controls are not supported");
    if (body[0]?.name.toLowerCase() === "changetype") {
      changeType = body[0].value.trim().toLowerCase();
      explicitChange = true;
      body = body.slice(1);
    }
    if (changeType !== "modify") {
      const dash = body.find((line) => line.name === "-");
      if (dash)
        throw new LdifError(dash.line, `"-" is only valid between changes of a "changetype: modify" record`);
    }
    if (changeType === "add") {
      if (entries.has(key))
        throw new LdifError(dnLine.line, `duplicate entry "${dn}" (first at line ${entries.get(key)?.line})`);
      if (body.length === 0) throw new LdifError(dnLine.line, `entry "${dn}" has no attributes`);
      const entry: LdifEntry = { dn, line: dnLine.line, attributes: {} };
      for (const line of body) {
        if (line.name.toLowerCase() === "changetype")
          throw new LdifError(line.line, `"changetype:" must follow "dn:" directly`);
        addValues(entry.attributes, line.name, [line.value]);
      }
      entries.set(key, entry);
    } else if (changeType === "delete") {
      if (body.length > 0)
        throw new LdifError(body[0]?.line ?? dnLine.line, "a delete record has no attributes");
      if (!entries.delete(key)) throw new LdifError(dnLine.line, `delete of unknown entry "${dn}"`);
    } else if (changeType === "modify") {
      const entry = entries.get(key);
      if (!entry) throw new LdifError(dnLine.line, `modify of unknown entry "${dn}"`);
      applyModify(entry, body, dnLine.line);
    } else {
      throw new LdifError(
        dnLine.line,
        explicitChange
          ? `changetype "${changeType}" is not supported (add, modify, delete)`
          : "unexpected record",
      );
    }
  }
  return [...entries.values()];
}

// RFC 2849 SAFE-STRING: ASCII without NUL, LF, CR; not starting with space, ":" or "<".
const isSafe = (value: string) =>
  value === "" ||
  (!/^[ :<]/.test(value) &&
    !value.endsWith(" ") &&
    [...value].every((char) => {
      const code = char.charCodeAt(0);
      return code > 0 && code < 128 && code !== 10 && code !== 13;
    }));

/** One `name: value` line, base64 (`name:: …`) when RFC 2849 requires it, folded at 76 columns. */
const ldifLine = (name: string, value: string): string => {
  const text = isSafe(value)
    ? `${name}: ${value}`
    : `${name}:: ${Buffer.from(value, "utf8").toString("base64")}`;
  const parts = [text.slice(0, 76)];
  for (let i = 76; i < text.length; i += 75) parts.push(` ${text.slice(i, i + 75)}`);
  return parts.join("\n");
};

/** Write entries as LDIF (values base64-encoded when RFC 2849 requires it); used by tests and tools. */
export function formatLdif(entries: readonly DirectoryEntry[]): string {
  return entries
    .map((entry) =>
      [
        ldifLine("dn", entry.dn),
        ...Object.entries(entry.attributes).flatMap(([name, values]) =>
          values.map((value) => ldifLine(name, value)),
        ),
      ].join("\n"),
    )
    .join("\n\n")
    .concat("\n");
}

/** One modification of an attribute: `replace` with no values removes the attribute. */
export interface LdifModification {
  operation: "add" | "replace" | "delete";
  attribute: string;
  values: readonly string[];
}

/** A `changetype: modify` record (with its leading blank line), to append to an LDIF file. */
export function formatLdifModify(dn: string, modifications: readonly LdifModification[]): string {
  const lines = [ldifLine("dn", dn), "changetype: modify"];
  for (const { operation, attribute, values } of modifications)
    lines.push(`${operation}: ${attribute}`, ...values.map((value) => ldifLine(attribute, value)), "-");
  return `\n${lines.join("\n")}\n`;
}

/** A `changetype: add` record (with its leading blank line), to append to an LDIF file. */
export function formatLdifAdd(entry: DirectoryEntry): string {
  const lines = [ldifLine("dn", entry.dn), "changetype: add"];
  for (const [name, values] of Object.entries(entry.attributes))
    lines.push(...values.map((value) => ldifLine(name, value)));
  return `\n${lines.join("\n")}\n`;
}
