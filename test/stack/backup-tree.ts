import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

/** Client files in the shapes Sepiola and the Perl script write (reference samples), generated for tests. */

export interface Client {
  identifier: "Sepiola Online Backup Client" | "Online Backup Perl Script";
  version: string;
  os: string;
}

export const sepiola = (version = "2.6.1", os = "Windows"): Client => ({
  identifier: "Sepiola Online Backup Client",
  version,
  os,
});
export const perl: Client = { identifier: "Online Backup Perl Script", version: "1.3", os: "Linux" };

export type Schedule =
  | { kind: "daily"; hour: number; minute: number; offset: string }
  | { kind: "after_startup"; minutes: number }
  | { kind: "none" };

const xmlns = (root: string) =>
  `xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://xml.stepping-stone.ch/schema/${root} ${root}.xsd"`;

const clientXml = (c: Client) =>
  `    <client>\n        <identifier>${c.identifier}</identifier>\n        <version>${c.version}</version>\n        <operatingsystem>${c.os}</operatingsystem>\n    </client>\n`;

const scheduleXml = (schedule: Schedule): string => {
  switch (schedule.kind) {
    case "none":
      return "    <no_schedule/>\n";
    case "after_startup":
      return `    <backup_after_startup>\n        <minutes_after_startup>${schedule.minutes}</minutes_after_startup>\n    </backup_after_startup>\n`;
    case "daily":
      return [
        "    <custom_online_backup>",
        `        <minutes><minute_selected>${schedule.minute}</minute_selected></minutes>`,
        `        <hours><hour_selected>${schedule.hour}</hour_selected></hours>`,
        "        <days_of_month><every_day_of_month>*</every_day_of_month></days_of_month>",
        "        <months><everymonth>*</everymonth></months>",
        "        <days_of_week><every_day_of_week>*</every_day_of_week></days_of_week>",
        `        <timezone>${schedule.offset}</timezone>`,
        "    </custom_online_backup>",
        "",
      ].join("\n");
  }
};

const metadataDir = (root: string, account: string, host: string) => {
  const dir = path.join(root, account, "incoming", host, ".sepiola_backup");
  mkdirSync(dir, { recursive: true });
  return dir;
};

export function writeSchedule(
  root: string,
  account: string,
  host: string,
  schedule: Schedule,
  client: Client,
) {
  const dir = metadataDir(root, account, host);
  writeFileSync(
    path.join(dir, "scheduler.xml"),
    `<?xml version="1.0" encoding="UTF-8"?>\n<online_backup_schedule ${xmlns("online_backup_schedule")}>\n${scheduleXml(schedule)}${clientXml(client)}</online_backup_schedule>\n`,
  );
}

/** One finished run: backupStarted.xml and backupEnded.xml with the same id (dates with offset, as clients write them). */
export function writeRun(
  root: string,
  account: string,
  host: string,
  run: { id: number; start: string; end: string; success: boolean; client: Client },
) {
  const dir = metadataDir(root, account, host);
  writeFileSync(
    path.join(dir, "backupStarted.xml"),
    `<?xml version="1.0" encoding="UTF-8"?>\n<backup_started ${xmlns("backup_started")}>\n    <startdate>${run.start}</startdate>\n    <id>${run.id}</id>\n${clientXml(run.client)}</backup_started>\n`,
  );
  writeFileSync(
    path.join(dir, "backupEnded.xml"),
    `<?xml version="1.0" encoding="UTF-8"?>\n<backup_ended ${xmlns("backup_ended")}>\n    <enddate>${run.end}</enddate>\n    <id>${run.id}</id>\n    <success>${run.success ? 1 : 0}</success>\n${clientXml(run.client)}</backup_ended>\n`,
  );
}
