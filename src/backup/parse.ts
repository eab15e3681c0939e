import { XMLParser, XMLValidator } from "fast-xml-parser";
import { type ClientDate, parseClientDate, parseUtcOffset } from "./dates.js";
import type { ClientInfo, Schedule } from "./model.js";
import { fail, ok, type Result } from "./result.js";

/** Client files are a few hundred bytes; anything far larger is not one of them. */
export const MAX_DOCUMENT_CHARS = 1024 * 1024;

export interface RunStarted {
  id: string;
  /** The date as written, kept so the reader can re-check it against the file's mtime. */
  dateText: string;
  date: ClientDate;
  client?: ClientInfo;
}

export interface RunEnded extends RunStarted {
  success: boolean;
}

export interface ScheduleFile {
  schedule: Schedule;
  client?: ClientInfo;
}

export type XmlNode = Record<string, unknown>;

/** A document's root element, checked to be named `rootName`. */
export type RootParser = (xml: unknown, rootName: string) => Result<XmlNode>;

// Every element becomes an array so that repeated elements are detected instead of silently merged, and
// entities stay unexpanded (a DOCTYPE is refused before parsing anyway). Without `jPath: false` the parser
// builds each element's path as a string for the callbacks: a quarter of the parsing time, for nothing here.
const parser = new XMLParser({
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: false,
  parseTagValue: false,
  trimValues: true,
  isArray: () => true,
  jPath: false,
});

const PREDEFINED_ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

/** Expand only XML's predefined and numeric character references, never declared entities. */
function decodeText(raw: string): string {
  return raw.replace(/&(#x[0-9a-fA-F]{1,6}|#\d{1,7}|lt|gt|amp|quot|apos);/g, (whole, ref: string) => {
    if (!ref.startsWith("#")) return PREDEFINED_ENTITIES[ref] ?? whole;
    const code = ref[1] === "x" ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

/** Parse a document and return its root element, checking the root's name. */
export const parseRoot: RootParser = (xml, rootName) => {
  if (typeof xml !== "string") return fail("not a text document");
  if (xml.length > MAX_DOCUMENT_CHARS) return fail(`document of ${xml.length} characters is too large`);
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) return fail("document type declarations are not accepted");
  const text = xml.replace(/^\uFEFF/, "");
  let parsed: unknown;
  try {
    const valid = XMLValidator.validate(text);
    if (valid !== true) return fail(`not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
    parsed = parser.parse(text);
  } catch (error) {
    return fail(`not well-formed XML: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isNode(parsed)) return fail("no root element");
  const roots = Object.keys(parsed);
  if (roots.length !== 1) return fail(`expected one root element <${rootName}>, found ${roots.length}`);
  const [found] = roots as [string];
  if (found !== rootName) return fail(`expected root element <${rootName}>, found <${found.slice(0, 60)}>`);
  const nodes = parsed[found];
  if (!Array.isArray(nodes) || nodes.length !== 1) return fail(`expected one root element <${rootName}>`);
  const [root] = nodes;
  if (!isNode(root)) return fail(`<${rootName}> has no child elements`);
  return ok(root);
};

const isNode = (value: unknown): value is XmlNode =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The occurrences of a child element (own properties only: names such as `toString` are data). */
function children(node: XmlNode, name: string): unknown[] {
  const value = Object.hasOwn(node, name) ? node[name] : undefined;
  return Array.isArray(value) ? value : [];
}

function onlyChild(node: XmlNode, name: string, path: string): Result<unknown> {
  const found = children(node, name);
  if (found.length === 0) return fail(`<${path}> is missing`);
  if (found.length > 1) return fail(`<${path}> appears ${found.length} times`);
  return ok(found[0]);
}

/** The text content of a child that must appear exactly once and hold only text. */
function textOf(node: XmlNode, name: string, path: string): Result<string> {
  const child = onlyChild(node, name, path);
  if (!child.ok) return child;
  if (typeof child.value !== "string") return fail(`<${path}> must hold text, not elements`);
  return ok(decodeText(child.value).trim());
}

function elementOf(node: XmlNode, name: string, path: string): Result<XmlNode> {
  const child = onlyChild(node, name, path);
  if (!child.ok) return child;
  if (!isNode(child.value)) return fail(`<${path}> has no child elements`);
  return ok(child.value);
}

/**
 * A flat copy that shares no memory with its source: results are cached between collections, a substring
 * would keep the whole document alive, and V8 keeps a string built by concatenation as a tree of pieces.
 */
export const detach = (text: string) => Buffer.from(text, "utf8").toString("utf8");

/** The few distinct clients, shared by every cached result that names them. */
const clients = new Map<string, ClientInfo>();
const MAX_INTERNED_CLIENTS = 10_000;

function internClient(identifier: string, version: string, operatingSystem: string): ClientInfo {
  const key = `${identifier}\u0000${version}\u0000${operatingSystem}`;
  const known = clients.get(key);
  if (known) return known;
  const client = {
    identifier: detach(identifier),
    version: detach(version),
    operatingSystem: detach(operatingSystem),
  };
  if (clients.size < MAX_INTERNED_CLIENTS) clients.set(detach(key), client);
  return client;
}

/** Printable, bounded text for fields that end up in labels and mails. */
function boundedText(value: string, path: string, maxLength: number): Result<string> {
  if (value.length === 0) return fail(`<${path}> is empty`);
  if (value.length > maxLength) return fail(`<${path}> is longer than ${maxLength} characters`);
  if (/\p{Cc}/u.test(value)) return fail(`<${path}> holds control characters`);
  return ok(value);
}

function integerOf(node: XmlNode, name: string, path: string, min: number, max: number): Result<number> {
  const text = textOf(node, name, path);
  if (!text.ok) return text;
  if (!/^\d{1,9}$/.test(text.value))
    return fail(`<${path}> is ${JSON.stringify(text.value.slice(0, 40))}, not an integer`);
  const value = Number(text.value);
  if (value < min || value > max) return fail(`<${path}> is ${value}, outside ${min}–${max}`);
  return ok(value);
}

/** The `client` element: absent is tolerated (it is informational), malformed is an error. */
function clientOf(node: XmlNode, root: string): Result<ClientInfo | undefined> {
  if (children(node, "client").length === 0) return ok(undefined);
  const client = elementOf(node, "client", `${root}/client`);
  if (!client.ok) return client;
  const fields: string[] = [];
  for (const name of ["identifier", "version", "operatingsystem"]) {
    const path = `${root}/client/${name}`;
    const text = textOf(client.value, name, path);
    if (!text.ok) return text;
    const checked = boundedText(text.value, path, 200);
    if (!checked.ok) return checked;
    fields.push(checked.value);
  }
  const [identifier = "", version = "", operatingSystem = ""] = fields;
  return ok(internClient(identifier, version, operatingSystem));
}

function runOf(root: XmlNode, rootName: string, dateName: string): Result<RunStarted> {
  const dateText = textOf(root, dateName, `${rootName}/${dateName}`);
  if (!dateText.ok) return dateText;
  const date = parseClientDate(dateText.value);
  if (!date.ok) return fail(`<${rootName}/${dateName}>: ${date.error}`);
  const idText = textOf(root, "id", `${rootName}/id`);
  if (!idText.ok) return idText;
  const id = boundedText(idText.value, `${rootName}/id`, 128);
  if (!id.ok) return id;
  const client = clientOf(root, rootName);
  if (!client.ok) return client;
  return ok({
    id: detach(id.value),
    dateText: detach(dateText.value),
    date: date.value,
    ...(client.value ? { client: client.value } : {}),
  });
}

/** Keep `value` under `key` and return it; past `limit` entries the oldest goes (a bounded memo). */
function remember<V>(memo: Map<string, V>, key: string, value: V, limit: number): V {
  if (memo.size >= limit) memo.delete(memo.keys().next().value as string);
  memo.set(key, value);
  return value;
}

const MASK_START = "\uE000";
const MASK_END = "\uE001";
/** A value that touches markup on both sides and holds only letters, digits and `: + . -`. */
const MASKABLE = />([0-9A-Za-z:+.-]{1,64})</g;
const MASK = /\uE000(\d+)\uE001/g;

/** `node` with each mask in its strings replaced by the value it stands for. */
function unmasked(node: unknown, values: readonly string[]): unknown {
  if (typeof node === "string")
    return node.includes(MASK_START)
      ? node.replace(MASK, (_, i: string) => values[Number(i)] as string)
      : node;
  if (Array.isArray(node)) return node.map((item) => unmasked(item, values));
  if (isNode(node))
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, unmasked(value, values)]));
  return node;
}

/**
 * `parse` for documents that differ only in short values: run files of one client differ from host to
 * host in their dates, id and result alone. Each such value is masked (`\uE000n\uE001`, the n-th), so the
 * documents of one shape are one text, parsed once; the last `limit` shapes per root name are kept. A
 * masked value touches markup on both sides and holds no markup, space or entity, so the masked text is
 * well-formed exactly when the document is, and its tree holds each mask where the document's holds the
 * value. A document that holds a mask character, or whose shape does not parse, is parsed as it is.
 */
export function parsedOncePerShape(parse: RootParser, limit: number): RootParser {
  const shapes = new Map<string, Map<string, Result<XmlNode>>>();
  return (xml, rootName) => {
    if (typeof xml !== "string" || xml.length > MAX_DOCUMENT_CHARS) return parse(xml, rootName);
    if (xml.includes(MASK_START) || xml.includes(MASK_END)) return parse(xml, rootName);
    const values: string[] = [];
    const shape = xml.replace(
      MASKABLE,
      (_, value: string) => `>${MASK_START}${values.push(value) - 1}${MASK_END}<`,
    );
    const known = shapes.get(rootName) ?? new Map<string, Result<XmlNode>>();
    shapes.set(rootName, known);
    const root = known.get(shape) ?? remember(known, shape, parse(shape, rootName), limit);
    return root.ok ? ok(unmasked(root.value, values) as XmlNode) : parse(xml, rootName);
  };
}

const runRoot = parsedOncePerShape(parseRoot, 256);

/** `backupStarted.xml`: root `backup_started` with `startdate`, `id`, `client`. */
export function parseBackupStarted(xml: string): Result<RunStarted> {
  const root = runRoot(xml, "backup_started");
  return root.ok ? runOf(root.value, "backup_started", "startdate") : root;
}

/** `backupEnded.xml`: root `backup_ended` with `enddate`, `id`, `success` (`1` or `0`), `client`. */
export function parseBackupEnded(xml: string): Result<RunEnded> {
  const root = runRoot(xml, "backup_ended");
  if (!root.ok) return root;
  const run = runOf(root.value, "backup_ended", "enddate");
  if (!run.ok) return run;
  const success = textOf(root.value, "success", "backup_ended/success");
  if (!success.ok) return success;
  if (success.value !== "1" && success.value !== "0")
    return fail(`<backup_ended/success> is ${JSON.stringify(success.value.slice(0, 40))}, expected 1 or 0`);
  return ok({ ...run.value, success: success.value === "1" });
}

/**
 * `parse` that keeps the results of the last `limit` distinct texts it was given (the oldest goes first).
 * A scheduler file follows from the schedule and the client's version, so the hosts of a server have
 * few distinct ones: each is parsed once, not once per host.
 */
export function parsedOncePerText<T>(
  parse: (text: string) => Result<T>,
  limit: number,
): (text: string) => Result<T> {
  const results = new Map<string, Result<T>>();
  return (text) => results.get(text) ?? remember(results, text, parse(text), limit);
}

const SCHEDULE_KINDS = ["no_schedule", "backup_after_startup", "custom_online_backup"] as const;

/** `scheduler.xml`: root `online_backup_schedule` with exactly one of the three schedule kinds. */
export function parseSchedule(xml: string): Result<ScheduleFile> {
  const root = parseRoot(xml, "online_backup_schedule");
  if (!root.ok) return root;
  const kinds = SCHEDULE_KINDS.filter((kind) => children(root.value, kind).length > 0);
  if (kinds.length !== 1)
    return fail(
      kinds.length === 0
        ? `<online_backup_schedule> holds none of ${SCHEDULE_KINDS.join(", ")}`
        : `<online_backup_schedule> holds more than one schedule (${kinds.join(", ")})`,
    );
  const schedule = scheduleOf(root.value, kinds[0] as (typeof SCHEDULE_KINDS)[number]);
  if (!schedule.ok) return schedule;
  const client = clientOf(root.value, "online_backup_schedule");
  if (!client.ok) return client;
  return ok({ schedule: schedule.value, ...(client.value ? { client: client.value } : {}) });
}

function scheduleOf(root: XmlNode, kind: (typeof SCHEDULE_KINDS)[number]): Result<Schedule> {
  const base = `online_backup_schedule/${kind}`;
  if (kind === "no_schedule") {
    return children(root, kind).length === 1
      ? ok({ type: "none" })
      : fail(`<${base}> appears more than once`);
  }
  const element = elementOf(root, kind, base);
  if (!element.ok) return element;
  if (kind === "backup_after_startup") {
    const minutes = integerOf(
      element.value,
      "minutes_after_startup",
      `${base}/minutes_after_startup`,
      0,
      100_000,
    );
    return minutes.ok ? ok({ type: "after_startup", minutesAfterStartup: minutes.value }) : minutes;
  }
  return customScheduleOf(element.value, base);
}

function customScheduleOf(node: XmlNode, base: string): Result<Schedule> {
  const minutes = elementOf(node, "minutes", `${base}/minutes`);
  if (!minutes.ok) return minutes;
  const minute = integerOf(minutes.value, "minute_selected", `${base}/minutes/minute_selected`, 0, 59);
  if (!minute.ok) return minute;
  const hours = elementOf(node, "hours", `${base}/hours`);
  if (!hours.ok) return hours;
  const hour = integerOf(hours.value, "hour_selected", `${base}/hours/hour_selected`, 0, 23);
  if (!hour.ok) return hour;
  for (const [group, every] of [
    ["days_of_month", "every_day_of_month"],
    ["months", "everymonth"],
  ] as const) {
    const element = elementOf(node, group, `${base}/${group}`);
    if (!element.ok) return element;
    const value = textOf(element.value, every, `${base}/${group}/${every}`);
    if (!value.ok) return value;
    if (value.value !== "*")
      return fail(`<${base}/${group}/${every}> is ${JSON.stringify(value.value)}, expected *`);
  }
  const weekdays = weekdaysOf(node, base);
  if (!weekdays.ok) return weekdays;
  const timezone = textOf(node, "timezone", `${base}/timezone`);
  if (!timezone.ok) return timezone;
  const offset = parseUtcOffset(timezone.value);
  if (!offset.ok) return fail(`<${base}/timezone>: ${offset.error}`);
  return ok({
    type: "custom",
    minute: minute.value,
    hour: hour.value,
    weekdays: weekdays.value,
    utcOffsetMinutes: offset.value,
  });
}

function weekdaysOf(node: XmlNode, base: string): Result<number[]> {
  const path = `${base}/days_of_week`;
  const days = elementOf(node, "days_of_week", path);
  if (!days.ok) return days;
  const every = children(days.value, "every_day_of_week");
  const listed = children(days.value, "week_day");
  if (every.length > 0 && listed.length > 0)
    return fail(`<${path}> holds both every_day_of_week and week_day`);
  if (every.length > 0) {
    const value = textOf(days.value, "every_day_of_week", `${path}/every_day_of_week`);
    if (!value.ok) return value;
    return value.value === "*" ? ok([1, 2, 3, 4, 5, 6, 7]) : fail(`<${path}/every_day_of_week> is not *`);
  }
  if (listed.length === 0) return fail(`<${path}> holds no week_day`);
  const weekdays = new Set<number>();
  for (const entry of listed) {
    const text = typeof entry === "string" ? decodeText(entry).trim() : "";
    if (!/^[1-7]$/.test(text))
      return fail(`<${path}/week_day> is ${JSON.stringify(text.slice(0, 20))}, expected 1–7`);
    weekdays.add(Number(text));
  }
  return ok([...weekdays].sort((a, b) => a - b));
}
