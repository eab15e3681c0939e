// The example data (examples/backup, examples/directory.ldif, examples/alertmanager-notification.json)
// describes one instant, EXAMPLE_NOW. `npm run example` moves it to the time it runs: every date is
// shifted by the same whole number of minutes, and every weekly schedule is turned by it too, so each
// account is in the same state (healthy, failing, behind, running, skewed, …) whenever it is started.
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The instant the committed example data describes (tests on it use the same "now"). */
export const EXAMPLE_NOW = new Date("2026-11-26T12:00:00Z");

const examples = path.dirname(fileURLToPath(import.meta.url));
const MINUTE = 60_000;
const DAY_MINUTES = 1440;
const WEEK_MINUTES = 7 * DAY_MINUTES;

/** How far `now` lies after EXAMPLE_NOW, in whole minutes (so minute-exact schedules stay exact). */
export const shiftMinutes = (now) => Math.floor((now.getTime() - EXAMPLE_NOW.getTime()) / MINUTE);

const pad = (n, width = 2) => String(n).padStart(width, "0");
const mod = (n, m) => ((n % m) + m) % m;

/** A client date `2026-11-25T19:30:02+01:00` keeps its offset as written (quirks included); its wall time moves. */
function shiftClientDate(local, minutes) {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(local);
  if (!match) throw new Error(`example data: unexpected client date ${local}`);
  const [, y, mo, d, h, mi, s] = match.map(Number);
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi + minutes, s));
  return `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}T${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())}`;
}

/** A weekly schedule at one time of day, turned by `minutes` in its own offset. */
function shiftSchedule(xml, minutes) {
  const hours = [...xml.matchAll(/<hour_selected>\s*(\d+)\s*<\/hour_selected>/g)];
  const minuteTags = [...xml.matchAll(/<minute_selected>\s*(\d+)\s*<\/minute_selected>/g)];
  if (hours.length !== 1 || minuteTags.length !== 1)
    throw new Error("example data: a schedule must plan one time of day to be shifted");
  const planned = Number(hours[0][1]) * 60 + Number(minuteTags[0][1]) + mod(minutes, WEEK_MINUTES);
  const days = Math.floor(planned / DAY_MINUTES);
  const at = planned % DAY_MINUTES;
  return xml
    .replace(
      /<hour_selected>\s*\d+\s*<\/hour_selected>/,
      `<hour_selected>${Math.floor(at / 60)}</hour_selected>`,
    )
    .replace(/<minute_selected>\s*\d+\s*<\/minute_selected>/, `<minute_selected>${at % 60}</minute_selected>`)
    .replace(
      /<week_day>\s*([1-7])\s*<\/week_day>/g,
      (_, day) => `<week_day>${mod(Number(day) - 1 + days, 7) + 1}</week_day>`,
    );
}

/** One client file (backupStarted.xml, backupEnded.xml, scheduler.xml) moved by `minutes`. */
export function shiftClientFile(xml, minutes) {
  const dated = xml.replace(
    /<(startdate|enddate)>\s*(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})/g,
    (_, tag, local) => `<${tag}>${shiftClientDate(local, minutes)}`,
  );
  return dated.includes("<custom_online_backup>") ? shiftSchedule(dated, minutes) : dated;
}

const generalizedTime = (ms) => {
  const t = new Date(ms);
  return `${pad(t.getUTCFullYear(), 4)}${pad(t.getUTCMonth() + 1)}${pad(t.getUTCDate())}`;
};
const timeOfDay = (ms) => {
  const t = new Date(ms);
  return `${pad(t.getUTCHours())}${pad(t.getUTCMinutes())}${pad(t.getUTCSeconds())}`;
};
const parseGeneralized = (text) =>
  Date.UTC(
    +text.slice(0, 4),
    +text.slice(4, 6) - 1,
    +text.slice(6, 8),
    +text.slice(8, 10),
    +text.slice(10, 12),
    +text.slice(12, 14),
  );

/** The directory's creation times and last successful backups moved by `minutes`. */
export function shiftLdif(ldif, minutes) {
  const by = minutes * MINUTE;
  return ldif
    .replace(/^(createTimestamp: )(\d{14})Z$/gm, (_, key, stamp) => {
      const ms = parseGeneralized(stamp) + by;
      return `${key}${generalizedTime(ms)}${timeOfDay(ms)}Z`;
    })
    .replace(/^(sstBackupLastSuccessfulBackup: .*:)(\d{8})T(\d{6})Z$/gm, (_, key, day, time) => {
      const ms = parseGeneralized(`${day}${time}`) + by;
      return `${key}${generalizedTime(ms)}T${timeOfDay(ms)}Z`;
    });
}

/** Alertmanager's "no end" time stays as it is. */
const ZERO_TIME = "0001-01-01T00:00:00Z";

/** examples/alertmanager-notification.json as Alertmanager would send it at `now`. */
export function exampleNotification(now) {
  const by = shiftMinutes(now) * MINUTE;
  const shiftIso = (iso) => (iso === ZERO_TIME ? iso : new Date(Date.parse(iso) + by).toISOString());
  const notification = JSON.parse(
    readFileSync(path.join(examples, "alertmanager-notification.json"), "utf8"),
  );
  for (const alert of notification.alerts) {
    alert.startsAt = shiftIso(alert.startsAt);
    alert.endsAt = shiftIso(alert.endsAt);
    for (const [key, value] of Object.entries(alert.annotations))
      if (key.endsWith("_timestamp") && /^\d+$/.test(value))
        alert.annotations[key] = String(Number(value) + by / 1000);
  }
  return notification;
}

/** Copies the tree with moved dates; each file arrived at `now`, as a checkout of the committed tree does. */
function shiftTree(from, to, minutes, now) {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) {
      shiftTree(source, target, minutes, now);
      continue;
    }
    if (entry.name.endsWith(".xml"))
      writeFileSync(target, shiftClientFile(readFileSync(source, "latin1"), minutes), "latin1");
    else cpSync(source, target);
    utimesSync(target, now, now);
  }
}

/**
 * Writes the example backup tree to `<target>/backup` and the example directory to
 * `<target>/directory.ldif`, both as of `now`; an earlier copy is replaced.
 */
export function writeExampleData(target, now) {
  const minutes = shiftMinutes(now);
  const backupRoot = path.join(target, "backup");
  rmSync(backupRoot, { recursive: true, force: true });
  shiftTree(path.join(examples, "backup"), backupRoot, minutes, now);
  const ldif = path.join(target, "directory.ldif");
  writeFileSync(ldif, shiftLdif(readFileSync(path.join(examples, "directory.ldif"), "utf8"), minutes));
  return { backupRoot, ldif };
}
