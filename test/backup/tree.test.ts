import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import {
  chmodSync,
  mkdirSync,
  readFileSync,
  symlinkSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createBackupReader } from "../../src/backup/index.js";
import {
  hostLabel,
  isUnsafeEntryName,
  readAccountTree,
  readClientFile,
  TimeUp,
  type TreeOptions,
} from "../../src/backup/tree.js";
import { configSchema } from "../../src/config/index.js";
import { account, capturingLogger, tempDir } from "./support.js";

const options: TreeOptions = {
  incomingDir: "incoming",
  metadataDir: ".sepiola_backup",
  maxFileBytes: 64 * 1024,
  maxHostsPerAccount: 50,
};
const ENDED =
  "<backup_ended><enddate>2026-11-25T19:47:45+01:00</enddate><id>1</id><success>1</success></backup_ended>";

function makeHost(
  home: string,
  host: string | Buffer,
  files: Record<string, string> = { "backupEnded.xml": ENDED },
) {
  const folder = Buffer.concat([
    Buffer.from(`${home}/incoming/`),
    Buffer.isBuffer(host) ? host : Buffer.from(host),
  ]);
  const metadata = Buffer.concat([folder, Buffer.from("/.sepiola_backup")]);
  mkdirSync(metadata, { recursive: true });
  for (const [name, text] of Object.entries(files))
    writeFileSync(Buffer.concat([metadata, Buffer.from(`/${name}`)]), text);
  return metadata.toString();
}

const read = (home: string, opts: Partial<TreeOptions> = {}) =>
  readAccountTree(home, { ...options, ...opts });

describe("hostile account tree", () => {
  it("lists the hosts with a metadata folder and reads their files", async () => {
    const home = tempDir();
    makeHost(home, "laptop", { "backupEnded.xml": ENDED, "scheduler.xml": "<x/>" });
    mkdirSync(path.join(home, "incoming/not-a-host/backup"), { recursive: true });
    writeFileSync(path.join(home, "incoming/stray-file"), "x");
    const tree = await read(home);
    expect(tree.errors).toEqual([]);
    expect(tree.hosts.map((h) => h.host)).toEqual(["laptop"]);
    const files = tree.hosts[0]?.files;
    expect(files?.ended).toMatchObject({ kind: "read", file: { text: ENDED } });
    expect(files?.scheduler).toMatchObject({ kind: "read", file: { text: "<x/>" } });
    expect(files?.started).toEqual({ kind: "missing" });
  });

  it("does not read a backupEnded.xml that links to /etc/shadow (or anywhere)", async () => {
    const home = tempDir();
    const metadata = makeHost(home, "evil", {});
    symlinkSync("/etc/shadow", path.join(metadata, "backupEnded.xml"));
    symlinkSync("/etc/passwd", path.join(metadata, "backupStarted.xml"));
    const tree = await read(home);
    expect(tree.hosts[0]?.files.ended).toEqual({
      kind: "error",
      error: "backupEnded.xml is a symbolic link; not read",
    });
    expect(tree.hosts[0]?.files.started).toMatchObject({
      kind: "error",
      error: expect.stringMatching(/symbolic link/),
    });
    expect(await readClientFile(path.join(metadata, "backupEnded.xml"), 1024)).toMatchObject({
      kind: "error",
    });
  });

  it("does not follow symbolic links to folders: host, metadata folder or incoming", async () => {
    const outside = tempDir();
    makeHost(outside, "victim");
    const home = tempDir();
    mkdirSync(path.join(home, "incoming"));
    symlinkSync(path.join(outside, "incoming/victim"), path.join(home, "incoming/linked-host"));
    mkdirSync(path.join(home, "incoming/linked-meta"));
    symlinkSync(
      path.join(outside, "incoming/victim/.sepiola_backup"),
      path.join(home, "incoming/linked-meta/.sepiola_backup"),
    );
    const tree = await read(home);
    expect(tree.hosts).toEqual([]);
    expect(tree.errors).toEqual([
      'host folder "linked-host" is a symbolic link; not read',
      '.sepiola_backup of host "linked-meta" is not a plain folder; not read',
    ]);
    const linkedHome = tempDir();
    symlinkSync(path.join(outside, "incoming"), path.join(linkedHome, "incoming"));
    expect(await read(linkedHome)).toEqual({ hosts: [], errors: ["incoming is a symbolic link; not read"] });
  });

  // A customer controls incoming/ and can swap any folder or file below it for a link at any moment; a
  // check of a path before opening it (lstat, realpath) is always too early. The bait must never be read.
  it("never reads outside the home while folders and files are swapped for links during collections", async () => {
    const outside = tempDir();
    // Valid client files, so that a bait read would also show in the state the metrics come from.
    makeHost(outside, "pc", {
      "backupEnded.xml": `${ENDED.replace("<id>1</id>", "<id>666999</id>")}<!-- BAIT -->`,
      "backupStarted.xml":
        "<backup_started><startdate>2026-11-25T19:00:00+01:00</startdate><id>666999</id></backup_started><!-- BAIT -->",
      "scheduler.xml": "<bait>BAIT</bait>",
    });
    const home = tempDir();
    const metadata = makeHost(home, "pc", {
      "backupEnded.xml": ENDED,
      "backupStarted.xml": "<started/>",
      "scheduler.xml": "<scheduler/>",
    });
    // Each swap: the real entry aside, a link to the bait's counterpart in its place, and back.
    const swaps = [
      [path.join(home, "incoming"), path.join(outside, "incoming")],
      [path.join(home, "incoming/pc"), path.join(outside, "incoming/pc")],
      [metadata, path.join(outside, "incoming/pc/.sepiola_backup")],
      [
        path.join(metadata, "backupEnded.xml"),
        path.join(outside, "incoming/pc/.sepiola_backup/backupEnded.xml"),
      ],
    ];
    for (const [entry, target] of swaps) symlinkSync(target as string, `${entry}.link`);
    const swapper = spawn(
      process.execPath,
      [
        "-e",
        `const { renameSync } = require("node:fs");
         const swaps = ${JSON.stringify(swaps)};
         process.stdout.write("swapping\\n");
         for (;;)
           for (const [entry] of swaps) {
             renameSync(entry, entry + ".real");
             renameSync(entry + ".link", entry);
             renameSync(entry, entry + ".link");
             renameSync(entry + ".real", entry);
           }`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    // The reader as collections use it: parse cache, folders recalled by stamp, history.
    const reader = createBackupReader(
      configSchema.parse({
        directory: { url: "file:directory.ldif" },
        backup: { root: tempDir(), metadataDir: ".sepiola_backup" },
        history: { path: path.join(tempDir(), "history.sqlite") },
      }),
      capturingLogger().logger,
    );
    const owner = account("1", { home });
    try {
      await once(swapper.stdout, "data");
      let collections = 0;
      let disturbed = 0;
      while (collections < 2_000 || (disturbed < 50 && collections < 200_000)) {
        collections += 1;
        const tree = await read(home);
        const texts = tree.hosts.flatMap((host) =>
          Object.values(host.files).flatMap((file) => (file.kind === "read" ? [file.file.text] : [])),
        );
        expect(texts.filter((text) => text.includes("BAIT"))).toEqual([]);
        if (tree.errors.length > 0 || texts.length !== 3) disturbed += 1;
        if (collections % 4 === 0) {
          await reader.prepareCollection(new Date());
          expect(JSON.stringify(await reader.readAccount(owner, new Date()))).not.toMatch(/666999|BAIT/);
        }
      }
      expect(swapper.exitCode).toBeNull();
      expect(disturbed).toBeGreaterThanOrEqual(50);
    } finally {
      swapper.kill("SIGKILL");
      await reader.close();
    }
  }, 120_000);

  it("refuses files above the size limit, and what is not a regular file", async () => {
    const home = tempDir();
    const metadata = makeHost(home, "big", { "backupEnded.xml": `${ENDED}${" ".repeat(70_000)}` });
    execFileSync("mkfifo", [path.join(metadata, "backupStarted.xml")]);
    mkdirSync(path.join(metadata, "scheduler.xml"));
    const files = (await read(home)).hosts[0]?.files;
    expect(files?.ended).toMatchObject({
      kind: "error",
      error: expect.stringMatching(/above the limit of 65536/),
    });
    expect(files?.started).toMatchObject({
      kind: "error",
      error: expect.stringMatching(/not a regular file/),
    });
    expect(files?.scheduler).toMatchObject({
      kind: "error",
      error: expect.stringMatching(/not a regular file/),
    });
  });

  it("never opens a FIFO or device where a client file is expected, and still reads the regular files", async () => {
    const home = tempDir();
    const metadata = makeHost(home, "laptop", { "backupEnded.xml": ENDED });
    const fifo = path.join(metadata, "backupStarted.xml");
    execFileSync("mkfifo", [fifo]);
    // A writer blocks in its open until some reader opens the FIFO: the first reader would wake it.
    const writer = spawn("sh", ["-c", 'exec 3>"$1"', "sh", fifo], { stdio: "ignore" });
    const waitChannel = () => readFileSync(`/proc/${writer.pid}/wchan`, "utf8");
    try {
      while (waitChannel() !== "wait_for_partner") await new Promise((resolve) => setTimeout(resolve, 10));
      for (const isKnown of [undefined, () => false]) {
        const files = readAccountTree(home, {
          ...options,
          ...(isKnown ? { isKnown, holds: () => true } : {}),
        }).hosts[0]?.files;
        expect(files?.started).toEqual({
          kind: "error",
          error: "backupStarted.xml is not a regular file; not read",
        });
        expect(files?.ended).toMatchObject({ kind: "read", file: { text: ENDED } });
        // Still waiting: no reader ever opened the FIFO.
        expect(waitChannel()).toBe("wait_for_partner");
      }
      expect(readClientFile("/dev/null", 1024)).toEqual({
        kind: "error",
        error: "null is not a regular file; not read",
      });
    } finally {
      writer.kill("SIGKILL");
    }
  });

  it("does not read a 10 GiB (sparse) client file", async () => {
    const home = tempDir();
    const metadata = makeHost(home, "huge", { "backupEnded.xml": "" });
    truncateSync(path.join(metadata, "backupEnded.xml"), 10 * 1024 ** 3);
    expect((await read(home)).hosts[0]?.files.ended).toEqual({
      kind: "error",
      error: "backupEnded.xml is 10737418240 bytes, above the limit of 65536; not read",
    });
  });

  it("accepts host folder names in any bytes and makes them label-safe and unique", async () => {
    const home = tempDir();
    makeHost(home, "büro-pc");
    makeHost(home, Buffer.from([0x62, 0xfc, 0x72, 0x6f])); // "bür o" in Latin-1: invalid UTF-8
    makeHost(home, Buffer.from([0x62, 0xfd, 0x72, 0x6f])); // decodes to the same label
    makeHost(home, Buffer.from("tab\tnew\nline\u202eevil"));
    const tree = await read(home);
    expect(new Set(tree.hosts.map((h) => h.host))).toEqual(
      new Set(["b\uFFFDro", "b\uFFFDro~2", "büro-pc", "tabnewlineevil"]),
    );
  });

  // Permissions do not stop root, so this runs only as an ordinary user.
  it.skipIf(process.getuid?.() === 0)(
    "reports an unreadable host folder on its own and reads the others",
    async () => {
      const home = tempDir();
      makeHost(home, "locked");
      makeHost(home, "open");
      chmodSync(path.join(home, "incoming/locked"), 0);
      try {
        const tree = await read(home);
        expect(tree.hosts.map((h) => h.host)).toEqual(["open"]);
        expect(tree.errors).toEqual(['host folder "locked" cannot be read (EACCES)']);
      } finally {
        chmodSync(path.join(home, "incoming/locked"), 0o755);
      }
    },
  );

  it("caps the hosts per account and reports the rest", async () => {
    const home = tempDir();
    for (const host of ["a", "b", "c", "d", "e"]) makeHost(home, host);
    const tree = await read(home, { maxHostsPerAccount: 3 });
    expect(tree.hosts.map((h) => h.host)).toEqual(["a", "b", "c"]);
    expect(tree.errors).toEqual(["2 folder(s) in incoming beyond the limit of 3 hosts were not read"]);
  });

  it("treats a home without incoming/ as no hosts, and a missing home as an error", async () => {
    expect(await read(tempDir())).toEqual({ hosts: [], errors: [] });
    const missing = path.join(tempDir(), "gone");
    expect((await read(missing)).errors).toEqual([`home ${missing} cannot be read (ENOENT)`]);
  });

  it("never leaves the home, whatever the configured folder names", async () => {
    const parent = tempDir();
    const home = path.join(parent, "home");
    makeHost(parent, "outside");
    mkdirSync(home);
    expect((await read(home, { incomingDir: "../incoming" })).errors).toEqual([
      "../incoming resolves outside the home; not read",
    ]);
  });

  it("skips reading files whose stamp is known, and notices a rewrite that restored size and mtime", async () => {
    const home = tempDir();
    const metadata = makeHost(home, "pc");
    const first = await readClientFile(path.join(metadata, "backupEnded.xml"), 1024);
    if (first.kind !== "read") throw new Error(first.kind);
    const known = (stamp: string) => stamp === first.stamp;
    expect(await readClientFile(path.join(metadata, "backupEnded.xml"), 1024, known)).toEqual({
      kind: "unchanged",
      mtime: first.file.mtime,
      stamp: first.stamp,
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    writeFileSync(path.join(metadata, "backupEnded.xml"), ENDED.replace("<success>1", "<success>0"));
    utimesSync(path.join(metadata, "backupEnded.xml"), first.file.mtime, first.file.mtime);
    const again = await readClientFile(path.join(metadata, "backupEnded.xml"), 1024, known);
    expect(again).toMatchObject({ kind: "read", file: { text: expect.stringContaining("<success>0") } });
  });

  it("gives files of the same folder and the same times stamps of their own", async () => {
    const home = tempDir();
    const names = ["a.xml", "b.xml", "c.xml"];
    const metadata = makeHost(
      home,
      "pc",
      Object.fromEntries(names.map((name, i) => [name, ENDED.repeat(i + 1)])),
    );
    const at = new Date("2026-11-26T10:00:00Z");
    for (const name of names) utimesSync(path.join(metadata, name), at, at);
    const stamps = names.map((name) => {
      const reading = readClientFile(path.join(metadata, name), 4096);
      if (reading.kind !== "read") throw new Error(reading.kind);
      return reading.stamp;
    });
    expect(new Set(stamps).size).toBe(names.length);
    const again = readClientFile(path.join(metadata, "a.xml"), 4096);
    expect(again.kind === "read" && again.stamp).toBe(stamps[0]);
  });

  it("stops when the account's time is up", async () => {
    const home = tempDir();
    makeHost(home, "a");
    expect(() => readAccountTree(home, options, performance.now() - 1)).toThrow(TimeUp);
  });
});

describe("host labels", () => {
  it("keeps valid UTF-8, replaces invalid bytes and drops control characters", () => {
    expect(hostLabel(Buffer.from("Jürgs-MacBook"))).toBe("Jürgs-MacBook");
    expect(hostLabel(Buffer.from([0x41, 0xc3, 0x28, 0x42]))).toBe("A\uFFFD(B");
    expect(hostLabel(Buffer.from("a\u0000b\u001bc\u007fd\u0085e"))).toBe("abcde");
    expect(hostLabel(Buffer.from("\u0001\u0002"))).toBe("(unnamed)");
  });

  it("recognises names that could leave the folder", () => {
    for (const name of ["", ".", "..", "a/b", "../x", "a\u0000b"])
      expect(isUnsafeEntryName(Buffer.from(name))).toBe(true);
    for (const name of ["...", "..a", "laptop", "büro"])
      expect(isUnsafeEntryName(Buffer.from(name))).toBe(false);
  });
});
