import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { AccountObservers } from "../../src/backup/observer-pool.js";
import { createObservers } from "../../src/backup/observer-pool.js";
import { configSchema } from "../../src/config/index.js";
import { exampleBackupRoot, NOW, tempDir } from "./support.js";

const backup = configSchema.parse({ directory: { url: "file:directory.ldif" } }).backup;
const settings = { ...backup, timeoutMs: backup.accountTimeoutMs };
const uids = readdirSync(exampleBackupRoot).sort();

/** The example homes and one of a customer who broke things: a host folder linked away, a file that is not XML. */
function homes(): [string, string][] {
  const hostile = tempDir();
  const metadata = path.join(hostile, "incoming", "broken", ".sepiola_backup");
  mkdirSync(metadata, { recursive: true });
  writeFileSync(path.join(metadata, "backupEnded.xml"), "not xml at all");
  symlinkSync(exampleBackupRoot, path.join(hostile, "incoming", "linked"));
  return [
    ...uids.map((uid): [string, string] => [uid, path.join(exampleBackupRoot, uid)]),
    ["hostile", hostile],
  ];
}

const opened: AccountObservers[] = [];
afterEach(async () => {
  for (const observers of opened.splice(0)) await observers.close();
});
const observersWith = (threads: number) => {
  const observers = createObservers(settings, threads);
  opened.push(observers);
  return observers;
};

/** Three collections: files read and parsed, then recalled by folder stamp, then every file looked at. */
async function collections(observers: AccountObservers, accounts: [string, string][]) {
  const seen = [];
  for (const recall of [true, true, false]) {
    observers.nextCollection(recall);
    seen.push(await Promise.all(accounts.map(([uid, home]) => observers.observe(uid, home, NOW))));
  }
  return seen;
}

describe("reader threads", () => {
  it("observe every example home as the main thread does, collection after collection", async () => {
    const accounts = homes();
    const inline = await collections(observersWith(0), accounts);
    const hostile = inline[0]?.at(-1);
    expect(hostile?.errors).toEqual(['host folder "linked" is a symbolic link; not read']);
    expect(hostile?.hosts[0]?.errors[0]).toMatch(/^backupEnded.xml: /);
    expect(inline[0]?.flatMap((observation) => observation.hosts).length).toBeGreaterThan(5);
    expect(inline[1]).toEqual(inline[0]);
    expect(inline[2]).toEqual(inline[0]);
    expect(await collections(observersWith(3), accounts)).toEqual(inline);
  });

  it("answer every account still waiting when they close, and every later one with the same error", async () => {
    const accounts = homes();
    const inline = observersWith(0);
    inline.nextCollection(true);
    const read = await Promise.all(accounts.map(([uid, home]) => inline.observe(uid, home, NOW)));
    const observers = observersWith(2);
    observers.nextCollection(true);
    const waiting = accounts.map(([uid, home]) => observers.observe(uid, home, NOW));
    await observers.close();
    const stopped = (home: string) => ({
      hosts: [],
      errors: [`reading ${home} stopped: the exporter is stopping`],
    });
    const answers = await Promise.all(waiting);
    for (const [i, answer] of answers.entries())
      expect([read[i], stopped((accounts[i] as [string, string])[1])]).toContainEqual(answer);
    const [uid, home] = accounts[0] as [string, string];
    expect(await observers.observe(uid, home, NOW)).toEqual(stopped(home));
  });
});
