import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  hostLabel,
  parseBackupEnded,
  parseBackupStarted,
  parseClientDate,
  parseRepquota,
  parseSchedule,
  parseUtcOffset,
} from "../../src/backup/index.js";
import { parsedOncePerShape, parsedOncePerText, parseRoot, type RootParser } from "../../src/backup/parse.js";
import { samplesDir } from "./support.js";

const sample = (dir: string, file: string) => readFileSync(path.join(samplesDir, dir, file), "utf8");

const allSamples = readdirSync(samplesDir).flatMap((dir) =>
  readdirSync(path.join(samplesDir, dir)).map((file) => ({ dir, file, text: sample(dir, file) })),
);

const parserFor = (file: string) =>
  ({
    "backupStarted.xml": parseBackupStarted,
    "backupEnded.xml": parseBackupEnded,
    "scheduler.xml": parseSchedule,
  })[file] as (xml: string) => { ok: boolean };

/** Text to insert into a sample: random, or the markup that parsers stumble over. */
const markupInsert = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.constantFrom(
    "<",
    ">",
    "</",
    "/>",
    "&",
    "&amp;",
    "&#x41;",
    "<![CDATA[",
    "<![CDATA[>1<]]>",
    "]]>",
    "<!--",
    "<!-- >2< -->",
    "<?xml",
    "<?pi >3<?>",
    "<id>",
    "<id>5</id>",
    "<__proto__>6</__proto__>",
    '<a b=">7<"/>',
    " ",
    "\u0000",
    "\uFFFF",
    "\uFEFF",
  ),
);

describe("sample client files", () => {
  it("covers every file in the reference samples", () => {
    expect(allSamples.map((s) => `${s.dir}/${s.file}`).sort()).toEqual([
      "perl-daily/backupEnded.xml",
      "perl-daily/backupStarted.xml",
      "perl-daily/scheduler.xml",
      "sepiola-after-startup/scheduler.xml",
      "sepiola-no-schedule/scheduler.xml",
      "sepiola-weekdays/backupEnded.xml",
      "sepiola-weekdays/backupStarted.xml",
      "sepiola-weekdays/scheduler.xml",
    ]);
    for (const { file, text } of allSamples) expect(parserFor(file)(text).ok).toBe(true);
  });

  it("reads the Sepiola weekday run", () => {
    expect(parseBackupStarted(sample("sepiola-weekdays", "backupStarted.xml"))).toMatchObject({
      ok: true,
      value: {
        id: "7719301",
        dateText: "2026-11-23T19:30:02+01:00",
        date: { at: new Date("2026-11-23T18:30:02Z"), offsetMinutes: 60, clockSkewed: false },
        client: { identifier: "Sepiola Online Backup Client", version: "2.6.1", operatingSystem: "Windows" },
      },
    });
    expect(parseBackupEnded(sample("sepiola-weekdays", "backupEnded.xml"))).toMatchObject({
      ok: true,
      value: { id: "7719301", success: true, date: { at: new Date("2026-11-23T18:47:45Z") } },
    });
    expect(parseSchedule(sample("sepiola-weekdays", "scheduler.xml"))).toEqual({
      ok: true,
      value: {
        schedule: { type: "custom", minute: 30, hour: 19, weekdays: [1, 3, 5], utcOffsetMinutes: 60 },
        client: { identifier: "Sepiola Online Backup Client", version: "2.6.1", operatingSystem: "Windows" },
      },
    });
  });

  it("reads the Perl client's files with their blank line before the root", () => {
    expect(parseBackupStarted(sample("perl-daily", "backupStarted.xml"))).toMatchObject({
      ok: true,
      value: { id: "538120977", date: { at: new Date("2026-11-25T01:15:04Z") } },
    });
    expect(parseBackupEnded(sample("perl-daily", "backupEnded.xml"))).toMatchObject({
      ok: true,
      value: {
        id: "538120977",
        success: false,
        client: { identifier: "Online Backup Perl Script", version: "1.3", operatingSystem: "Linux" },
      },
    });
    expect(parseSchedule(sample("perl-daily", "scheduler.xml"))).toMatchObject({
      ok: true,
      value: {
        schedule: {
          type: "custom",
          minute: 15,
          hour: 2,
          weekdays: [1, 2, 3, 4, 5, 6, 7],
          utcOffsetMinutes: 60,
        },
      },
    });
  });

  it("reads the schedules without fixed times", () => {
    expect(parseSchedule(sample("sepiola-after-startup", "scheduler.xml"))).toMatchObject({
      ok: true,
      value: { schedule: { type: "after_startup", minutesAfterStartup: 15 }, client: { version: "2.4.0" } },
    });
    expect(parseSchedule(sample("sepiola-no-schedule", "scheduler.xml"))).toMatchObject({
      ok: true,
      value: { schedule: { type: "none" }, client: { operatingSystem: "Linux" } },
    });
  });
});

const weekdays = sample("sepiola-weekdays", "scheduler.xml");
const started = sample("sepiola-weekdays", "backupStarted.xml");
const ended = sample("sepiola-weekdays", "backupEnded.xml");

const errorOf = (result: { ok: boolean; error?: string }) => (result.ok ? undefined : result.error);

describe("invalid client files give a reason", () => {
  it.each([
    [
      "wrong root",
      () => parseBackupStarted(ended),
      /expected root element <backup_started>, found <backup_ended>/,
    ],
    ["not XML", () => parseBackupEnded("hello"), /not well-formed|no root/],
    ["empty", () => parseSchedule(""), /not well-formed/],
    ["unclosed", () => parseBackupEnded(ended.replace("</backup_ended>", "")), /not well-formed/],
    [
      "missing id",
      () => parseBackupStarted(started.replace(/<id>.*<\/id>/, "")),
      /<backup_started\/id> is missing/,
    ],
    ["two ids", () => parseBackupStarted(started.replace("<id>", "<id>1</id><id>")), /appears 2 times/],
    ["bad success", () => parseBackupEnded(ended.replace("<success>1", "<success>yes")), /expected 1 or 0/],
    ["bad date", () => parseBackupEnded(ended.replace("2026-11-23T19", "2026-13-23T19")), /does not exist/],
    [
      "date text",
      () => parseBackupStarted(started.replace(/<startdate>.*</, "<startdate>yesterday<")),
      /not of the form/,
    ],
    ["minute 60", () => parseSchedule(weekdays.replace(">30<", ">60<")), /outside 0–59/],
    ["hour 24", () => parseSchedule(weekdays.replace(">19<", ">24<")), /outside 0–23/],
    ["weekday 8", () => parseSchedule(weekdays.replace("<week_day>5", "<week_day>8")), /expected 1–7/],
    [
      "no weekday",
      () => parseSchedule(weekdays.replace(/<week_day>\d<\/week_day>/g, "")),
      /days_of_week> (holds no week_day|has no child elements)/,
    ],
    ["bad timezone", () => parseSchedule(weekdays.replace("+01:00", "CET")), /timezone/],
    [
      "day of month",
      () => parseSchedule(weekdays.replace("<every_day_of_month>*", "<every_day_of_month>15")),
      /expected \*/,
    ],
    [
      "two kinds",
      () => parseSchedule(weekdays.replace("<custom_online_backup>", "<no_schedule/><custom_online_backup>")),
      /more than one schedule/,
    ],
    [
      "no kind",
      () => parseSchedule(weekdays.replace(/<custom_online_backup>[\s\S]*<\/custom_online_backup>/, "")),
      /holds none/,
    ],
    [
      "client without version",
      () => parseBackupEnded(ended.replace(/<version>.*<\/version>/, "")),
      /client\/version> is missing/,
    ],
    ["doctype", () => parseBackupEnded(`<!DOCTYPE x [<!ENTITY a "b">]>${ended.slice(39)}`), /document type/],
    ["two roots", () => parseBackupEnded(`${ended}<backup_ended/>`), /root|not well-formed/],
  ])("%s", (_name, run, reason) => {
    const error = errorOf(run());
    expect(error).toMatch(reason);
  });

  it("rejects input that is not a string or far too large", () => {
    for (const input of [undefined, null, 42, {}, [], Buffer.from(ended)])
      expect(errorOf(parseBackupEnded(input as unknown as string))).toBe("not a text document");
    expect(errorOf(parseBackupEnded(`${ended}${" ".repeat(2 * 1024 * 1024)}`))).toMatch(/too large/);
  });

  it("treats element names of Object.prototype as data, not as a way in", () => {
    for (const name of ["__proto__", "constructor", "toString", "hasOwnProperty"])
      expect(parseBackupEnded(ended.replace("<success>1</success>", `<${name}>1</${name}>`)).ok).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("accepts unknown extra elements and expands only predefined entities", () => {
    const extra = ended.replace("<success>", "<comment>extra</comment><success>");
    expect(parseBackupEnded(extra).ok).toBe(true);
    const entity = ended.replace("Windows", "Win &amp; Dos &#x41;");
    expect(parseBackupEnded(entity)).toMatchObject({
      ok: true,
      value: { client: { operatingSystem: "Win & Dos A" } },
    });
  });

  it("tolerates a missing client element but not a client holding control characters", () => {
    expect(parseBackupEnded(ended.replace(/<client>[\s\S]*<\/client>/, ""))).toMatchObject({ ok: true });
    expect(errorOf(parseBackupEnded(ended.replace("2.6.1", "2.6.1&#7;")))).toMatch(/control characters/);
  });
});

describe("fuzzing", () => {
  const parsers = [parseBackupStarted, parseBackupEnded, parseSchedule];
  const outcome = (value: unknown) =>
    typeof value === "object" && value !== null && "ok" in value && typeof value.ok === "boolean";

  it("never throws on random text or bytes", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 400 }),
          fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b).toString("latin1")),
        ),
        (input) => {
          for (const parse of parsers) expect(outcome(parse(input))).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("never throws on mutated samples", () => {
    const texts = allSamples.map((s) => s.text);
    const mutation = fc.record({
      sample: fc.nat({ max: texts.length - 1 }),
      at: fc.nat(),
      cut: fc.nat({ max: 40 }),
      insert: markupInsert,
    });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 5 }), (mutations) => {
        for (const m of mutations) {
          const text = texts[m.sample] as string;
          const position = m.at % (text.length + 1);
          const mutated = text.slice(0, position) + m.insert + text.slice(position + m.cut);
          for (const parse of parsers) expect(outcome(parse(mutated))).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("never throws on random dates, offsets, repquota output or host names", () => {
    const dateLike = fc
      .tuple(
        fc.integer({ min: -1, max: 10_000 }),
        fc.integer({ min: -1, max: 99 }),
        fc.integer({ min: -1, max: 99 }),
        fc.constantFrom("Z", "+", "-", ""),
        fc.integer({ min: 0, max: 99_999_999 }),
        fc.integer({ min: 0, max: 99 }),
      )
      .map(([y, m, d, sign, h, mm]) => `${y}-${m}-${d}T${m}:${d}:${mm}${sign}${h}:${mm}`);
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), dateLike),
        fc.option(fc.date({ noInvalidDate: false })),
        (text, mtime) => {
          expect(outcome(parseClientDate(text, mtime ?? undefined, { now: new Date() }))).toBe(true);
          expect(outcome(parseUtcOffset(text))).toBe(true);
          expect(outcome(parseRepquota(text))).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 255 }), (bytes) => {
        expect(hostLabel(bytes)).not.toMatch(/[\p{Cc}]/u);
        expect(hostLabel(bytes).length).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });
});

describe("parsedOncePerText", () => {
  it("parses each distinct text once, keeps the last `limit` of them and gives the same result as parsing", () => {
    const texts: string[] = [];
    const counted = (text: string) => {
      texts.push(text);
      return parseSchedule(text);
    };
    const parse = parsedOncePerText(counted, 2);
    const weekdays = sample("sepiola-weekdays", "scheduler.xml");
    const daily = sample("perl-daily", "scheduler.xml");
    const first = parse(weekdays);
    expect(first).toEqual(parseSchedule(weekdays));
    expect(parse(weekdays)).toBe(first);
    expect(parse("<online_backup_schedule>")).toEqual(parseSchedule("<online_backup_schedule>"));
    expect(parse(daily).ok).toBe(true);
    expect(texts).toEqual([weekdays, "<online_backup_schedule>", daily]);
    // Three distinct texts with room for two: the oldest was dropped and is parsed again.
    expect(parse(weekdays)).toEqual(first);
    expect(texts).toHaveLength(4);
    expect(parse(daily)).toBe(parse(daily));
    expect(texts).toHaveLength(4);
  });
});

describe("parsedOncePerShape", () => {
  const counting = () => {
    const parsed: string[] = [];
    const parse: RootParser = (xml, rootName) => {
      parsed.push(String(xml));
      return parseRoot(xml, rootName);
    };
    return { parsed, parse };
  };
  const ended = sample("sepiola-weekdays", "backupEnded.xml");
  const otherRun = ended
    .replace(/<id>[^<]*<\/id>/, "<id>4711</id>")
    .replace(/<enddate>[^<]*<\/enddate>/, "<enddate>2026-11-30T23:59:59+01:00</enddate>")
    .replace(/<success>[^<]*<\/success>/, "<success>0</success>");

  it("parses the documents of one shape once, each with its own values, and keeps the last `limit` shapes", () => {
    const { parsed, parse } = counting();
    const shared = parsedOncePerShape(parse, 2);
    expect(otherRun).not.toBe(ended);
    expect(shared(ended, "backup_ended")).toEqual(parseRoot(ended, "backup_ended"));
    expect(shared(otherRun, "backup_ended")).toEqual(parseRoot(otherRun, "backup_ended"));
    expect(parsed).toHaveLength(1);
    expect(parsed[0]).not.toContain("4711");
    // The same shape under another root name is another question: it fails, and the document is parsed.
    expect(shared(ended, "backup_started")).toEqual(parseRoot(ended, "backup_started"));
    expect(parsed).toHaveLength(3);
    shared(sample("sepiola-weekdays", "backupStarted.xml"), "backup_started");
    expect(parsed).toHaveLength(4);
    const perl = sample("perl-daily", "backupEnded.xml");
    shared(perl, "backup_ended");
    expect(parsed).toHaveLength(5);
    // Two backup_ended shapes with room for two: both are still known.
    shared(otherRun, "backup_ended");
    shared(perl, "backup_ended");
    expect(parsed).toHaveLength(5);
    // A third one drops the oldest, which is parsed again.
    shared(sample("perl-daily", "backupStarted.xml"), "backup_ended");
    expect(parsed).toHaveLength(7);
    shared(ended, "backup_ended");
    expect(parsed).toHaveLength(8);
  });

  it("answers a document whose shape does not parse, or that holds a mask character, with its own parse", () => {
    const { parsed, parse } = counting();
    const shared = parsedOncePerShape(parse, 8);
    const broken = ended.replace("</backup_ended>", "");
    expect(shared(broken, "backup_ended")).toEqual(parseRoot(broken, "backup_ended"));
    expect(parsed.at(-1)).toBe(broken);
    const masked = ended.replace("<id>", "<id>\uE0000\uE001");
    expect(shared(masked, "backup_ended")).toEqual(parseRoot(masked, "backup_ended"));
    expect(parsed.at(-1)).toBe(masked);
  });

  it("gives what parsing gives, for mutated samples and changed values", () => {
    const shared = parsedOncePerShape(parseRoot, 64);
    const texts = allSamples.map((s) => s.text);
    const roots = ["backup_started", "backup_ended", "online_backup_schedule"];
    const valueCharacters = "0123456789AZaz:+.- <>&;\uE000";
    const mutation = fc.record({
      sample: fc.nat({ max: texts.length - 1 }),
      root: fc.nat({ max: roots.length - 1 }),
      at: fc.nat(),
      cut: fc.nat({ max: 12 }),
      insert: markupInsert,
      value: fc.record({
        nth: fc.nat(),
        text: fc.string({ unit: fc.constantFrom(...valueCharacters), minLength: 0, maxLength: 70 }),
      }),
    });
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        for (const m of mutations) {
          const text = texts[m.sample] as string;
          const values = [...text.matchAll(/>([^<>]+)</g)];
          const chosen = values[m.value.nth % values.length];
          const revalued =
            chosen?.index === undefined
              ? text
              : `${text.slice(0, chosen.index + 1)}${m.value.text}${text.slice(chosen.index + 1 + (chosen[1] ?? "").length)}`;
          const position = m.at % (revalued.length + 1);
          const mutated = revalued.slice(0, position) + m.insert + revalued.slice(position + m.cut);
          const rootName = roots[m.root] as string;
          for (const document of [revalued, mutated])
            expect(shared(document, rootName)).toEqual(parseRoot(document, rootName));
        }
      }),
      { numRuns: 1000 },
    );
  });
});
