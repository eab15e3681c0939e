import { mkdirSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * A synthetic backup server for the benchmark: an LDIF directory (resellers with settings entries,
 * persons, accounts) and a backup tree whose client files have the shapes of the reference samples,
 * with a deterministic mix of clients, schedules, statuses and host counts.
 */

const suffix = "dc=stoney-cloud,dc=org";
export const accountsBase = `ou=accounts,ou=backup,ou=services,${suffix}`;
const resellersBase = `ou=reseller,ou=configuration,ou=backup,ou=services,${suffix}`;
const peopleBase = `ou=people,${suffix}`;
const resellerCount = 40;

const sepiola = (version: string, os: string) =>
  `        <identifier>Sepiola Online Backup Client</identifier>
        <version>${version}</version>
        <operatingsystem>${os}</operatingsystem>`;
const perl = `        <identifier>Online Backup Perl Script</identifier>
        <version>1.3</version>
        <operatingsystem>Linux</operatingsystem>`;

const sepiolaHeader = '<?xml version="1.0" encoding="UTF-8"?>\n';
const perlHeader = '<?xml version="1.0"?>\n \n';
const xsi = (kind: string) =>
  `xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://xml.stepping-stone.ch/schema/${kind} ${kind}.xsd"`;

/** `2026-11-23T19:30:02+01:00`: the clients write local time with the offset. */
const clientDate = (date: Date): string => {
  const local = new Date(date.getTime() + 3_600_000);
  return `${local.toISOString().slice(0, 19)}+01:00`;
};

interface Client {
  perl: boolean;
  info: string;
}

const customSchedule = (client: Client, minute: number, hour: number, weekdays: number[] | "*") => {
  const days =
    weekdays === "*"
      ? "            <every_day_of_week>*</every_day_of_week>"
      : weekdays.map((d) => `            <week_day>${d}</week_day>`).join("\n");
  return `${client.perl ? perlHeader : sepiolaHeader}<online_backup_schedule ${xsi("online_backup_schedule")}>
    <custom_online_backup>
        <minutes>
            <minute_selected>${minute}</minute_selected>
        </minutes>
        <hours>
            <hour_selected>${hour}</hour_selected>
        </hours>
        <days_of_month>
            <every_day_of_month>*</every_day_of_month>
        </days_of_month>
        <months>
            <everymonth>*</everymonth>
        </months>
        <days_of_week>
${days}
        </days_of_week>
        <timezone>+01:00</timezone>
    </custom_online_backup>
    <client>
${client.info}
    </client>
</online_backup_schedule>
`;
};

const otherSchedule = (client: Client, body: string) =>
  `${sepiolaHeader}<online_backup_schedule ${xsi("online_backup_schedule")}>
    ${body}
    <client>
${client.info}
    </client>
</online_backup_schedule>
`;

const started = (client: Client, at: Date, id: number) =>
  `${client.perl ? perlHeader : sepiolaHeader}<backup_started ${xsi("backup_started")}>
    <startdate>${clientDate(at)}</startdate>
    <id>${id}</id>
    <client>
${client.info}
    </client>
</backup_started>
`;

const ended = (client: Client, at: Date, id: number, success: boolean) =>
  `${client.perl ? perlHeader : sepiolaHeader}<backup_ended ${xsi("backup_ended")}>
    <enddate>${clientDate(at)}</enddate>
    <id>${id}</id>
    <success>${success ? 1 : 0}</success>
    <client>
${client.info}
    </client>
</backup_ended>
`;

const writeClientFile = (folder: string, name: string, text: string, mtime: Date) => {
  const file = path.join(folder, name);
  writeFileSync(file, text);
  utimesSync(file, mtime, mtime);
};

const hostNames = ["pc", "laptop", "büro-pc", "server", 'host "quoted"'];

/** One host folder: client, schedule and last run vary with `seed`. */
function writeHost(home: string, name: string, seed: number, now: Date) {
  const metadata = path.join(home, "incoming", name, ".sepiola_backup");
  mkdirSync(metadata, { recursive: true });
  const client: Client =
    seed % 4 === 0
      ? { perl: true, info: perl }
      : {
          perl: false,
          info: sepiola(seed % 7 === 0 ? "2.4.0" : "2.6.1", ["Windows", "MacOSX", "Linux"][seed % 3] ?? ""),
        };
  const hour = seed % 24;
  const minute = (seed * 7) % 60;
  const scheduleKind = client.perl ? 0 : seed % 5;
  const schedule =
    scheduleKind === 3
      ? otherSchedule(
          client,
          "<backup_after_startup>\n        <minutes_after_startup>15</minutes_after_startup>\n    </backup_after_startup>",
        )
      : scheduleKind === 4
        ? otherSchedule(client, "<no_schedule/>")
        : customSchedule(client, minute, hour, scheduleKind === 1 ? [1, 3, 5] : "*");
  const scheduleWritten = new Date(now.getTime() - 30 * 86_400_000);
  writeClientFile(metadata, "scheduler.xml", schedule, scheduleWritten);

  // 1 in 10 never ran; the rest ran between 0 and 6 days ago with a mix of outcomes.
  const outcome = seed % 10;
  if (outcome === 9) return;
  const start = new Date(now.getTime() - ((seed % 144) + 1) * 3_600_000);
  const id = 100_000 + seed;
  writeClientFile(metadata, "backupStarted.xml", started(client, start, id), start);
  if (outcome === 8) return; // running or interrupted: no end yet
  const end = new Date(start.getTime() + 17 * 60_000);
  writeClientFile(metadata, "backupEnded.xml", ended(client, end, id, outcome >= 2), end);
}

const resellerUid = (i: number) => String(4_000_001 + i);
const personUid = (i: number) => String(5_000_001 + i);

/** Write the directory (LDIF) and the tree for `accounts` accounts below `root`. */
export function generateServer(
  root: string,
  accounts: number,
  now = new Date(),
): { backupRoot: string; ldifFile: string } {
  const backupRoot = path.join(root, "backup");
  mkdirSync(backupRoot, { recursive: true });
  const ldif: string[] = [
    `dn: ${suffix}\nobjectClass: top\nobjectClass: dcObject\nobjectClass: organization\ndc: stoney-cloud\no: stoney cloud\n`,
    // The containers, so that the same LDIF loads into slapd.
    ...[peopleBase, `ou=services,${suffix}`, `ou=backup,ou=services,${suffix}`, accountsBase]
      .concat([`ou=configuration,ou=backup,ou=services,${suffix}`, resellersBase])
      .map(
        (dn) =>
          `dn: ${dn}\nobjectClass: top\nobjectClass: organizationalUnit\n${dn.split(",")[0]?.replace("=", ": ")}\n`,
      ),
  ];
  for (let r = 0; r < resellerCount; r++) {
    const uid = resellerUid(r);
    ldif.push(
      `dn: uid=${uid},${resellersBase}\nobjectClass: top\nobjectClass: sstReseller\nobjectClass: sstAddressCompany\nuid: ${uid}\nsstBelongsToResellerUID: 4000000\nsstIsCompany: TRUE\no: Reseller ${r}\ngivenName: Hans\nsn: Muster\nsstGender: m\nc: CH\nl: Zürich\npostalCode: 8001\nmail: support@reseller${r}.example\npreferredLanguage: de-CH\n`,
      `dn: ou=settings,uid=${uid},${resellersBase}\nobjectClass: top\nobjectClass: organizationalUnit\nobjectClass: sstBackupMonitorSettings\nou: settings\nsstNotificationWarningLevel: ${80 + (r % 15)}\n${r % 3 === 0 ? "sstBackupWarningNumbers: 2\n" : ""}`,
    );
  }
  const persons = Math.ceil(accounts / 2);
  for (let p = 0; p < persons; p++)
    ldif.push(
      `dn: uid=${personUid(p)},${peopleBase}\nobjectClass: top\nobjectClass: sstPerson\nuid: ${personUid(p)}\ncn: Person ${p}\ngivenName: Person\nsn: Number ${p}\nmail: person${p}@example.ch\npreferredLanguage: de-CH\nsstTimeZoneOffset: +01:00\nuserPassword: {CRYPT}*\n`,
    );
  const created = "20250301090000Z";
  for (let a = 0; a < accounts; a++) {
    const uid = String(1_000_000 + a);
    const quota = 10 * 2 ** 30 * (1 + (a % 10));
    const used = Math.floor(quota * ((a % 100) / 100));
    const lines = [
      `dn: uid=${uid},${accountsBase}`,
      "objectClass: top",
      "objectClass: account",
      "objectClass: sstRelationship",
      "objectClass: sstBackupMonitorSettings",
      `uid: ${uid}`,
      `sstBackupWarningOn: ${a % 6 === 0 ? "FALSE" : "TRUE"}`,
      `sstBelongsToPersonUID: ${personUid(a % persons)}`,
      `sstQuota: ${quota}`,
      `sstBackupSize: ${Math.floor(used * 0.8)}`,
      `sstIncrementSize: ${used - Math.floor(used * 0.8)}`,
      `createTimestamp: ${created}`,
    ];
    if (a % 11 !== 0) lines.push(`sstBelongsToResellerUID: ${resellerUid(a % resellerCount)}`);
    if (a % 13 === 0) lines.push("sstNotificationWarningLevel: 95");
    if (a % 50 === 0) lines.push("sstIsActive: FALSE");
    ldif.push(`${lines.join("\n")}\n`);
    const home = path.join(backupRoot, uid);
    mkdirSync(home, { recursive: true });
    // 1 in 20 accounts never uploaded anything (no incoming folder).
    if (a % 20 === 19) continue;
    const hosts = 1 + (a % 3);
    for (let h = 0; h < hosts; h++) {
      const name = a % 1000 === 0 ? (hostNames[4] as string) : (hostNames[(a + h) % 4] as string);
      writeHost(home, h === 0 || name !== hostNames[4] ? name : `${name}-${h}`, a * 3 + h, now);
    }
  }
  const ldifFile = path.join(root, "directory.ldif");
  writeFileSync(ldifFile, ldif.join("\n"));
  return { backupRoot, ldifFile };
}
