import {
  closeSync,
  constants,
  type Dirent,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readSync,
  type Stats,
  statSync,
} from "node:fs";
import path from "node:path";

/** The three client files of a host's metadata folder. */
export const CLIENT_FILES = {
  started: "backupStarted.xml",
  ended: "backupEnded.xml",
  scheduler: "scheduler.xml",
} as const;

export type ClientFileKind = keyof typeof CLIENT_FILES;

export interface ClientFile {
  text: string;
  /** Modification time on the server: when the file arrived, by the server's clock. */
  mtime: Date;
}

/**
 * `stamp` identifies a file's content without reading it (device, inode, size, mtime, ctime: the ctime cannot
 * be set by the client); `unchanged` means the caller already knew that stamp, so the file was not read.
 */
export type FileReading =
  | { kind: "missing" }
  | { kind: "read"; file: ClientFile; stamp: string }
  | { kind: "unchanged"; mtime: Date; stamp: string }
  | { kind: "error"; error: string };

/** Whether the caller already holds the parse result of this host's file with this stamp. */
export type KnownFile = (host: string, kind: ClientFileKind, stamp: string) => boolean;

export interface HostFolder {
  /** Label-safe host name (see hostLabel). */
  host: string;
  files: Record<ClientFileKind, FileReading>;
  /** The metadata folder's stamp when its files were looked at (see folderStampOf). */
  folderStamp?: string;
}

export interface TreeReading {
  hosts: HostFolder[];
  /** Problems with the home as a whole: missing, symbolic links, too many hosts. */
  errors: string[];
  /** The incoming folder as listed now (not when the listing was recalled), to be recalled next time. */
  listing?: { stamp: string; entries: string };
  /** The home itself does not exist (with several servers: another server's account). */
  homeMissing?: true;
}

/**
 * What an earlier collection saw, by folder stamp. A client that adds, renames or removes a file changes its
 * folder's mtime and ctime, so a folder with the same stamp holds the same entries: its listing, or the
 * readings of its files, can be recalled instead of looked at again. A file rewritten in place changes no
 * folder: the caller answers nothing now and then, so that every file is looked at again.
 */
export interface FolderRecall {
  /** Whether a listing of this account's incoming folder is held at all (else it is not even stat'ed). */
  hasListing: boolean;
  /** The entries of the incoming folder when it had `stamp` (see TreeReading.listing). */
  listing(stamp: string): string | undefined;
  /** The readings of a host's files when its metadata folder had `stamp`. */
  host(host: string, stamp: string): Record<ClientFileKind, FileReading> | undefined;
}

export interface TreeOptions {
  incomingDir: string;
  metadataDir: string;
  maxFileBytes: number;
  maxHostsPerAccount: number;
  /** Files known by stamp are not read again (a collection every minute re-reads nothing unchanged). */
  isKnown?: KnownFile;
  /** Whether anything is known of this host's file: if not, it is opened without an lstat first. */
  holds?: (host: string, kind: ClientFileKind) => boolean;
  recall?: FolderRecall;
}

const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: false });

/**
 * A host folder name (any bytes) as a string safe for labels, logs and mails: valid UTF-8 is kept, invalid
 * bytes become U+FFFD, control and bidirectional-override characters are dropped.
 */
export function hostLabel(name: Uint8Array): string {
  const label = decoder
    .decode(name)
    .replace(/[\p{Cc}\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu, "")
    .trim();
  return label.length > 0 ? label : "(unnamed)";
}

/** Whether a directory entry name could be used to leave the folder it was listed in. */
export function isUnsafeEntryName(name: Uint8Array): boolean {
  const text = Buffer.from(name).toString("latin1");
  return text.length === 0 || text === "." || text === ".." || text.includes("/") || text.includes("\0");
}

/** The parts joined by `/`, as bytes (a host folder's name is any bytes); a few paths per host, so no arrays. */
function join(...parts: Uint8Array[]): Buffer {
  let length = parts.length - 1;
  for (const part of parts) length += part.length;
  const joined = Buffer.allocUnsafe(length);
  let offset = 0;
  parts.forEach((part, i) => {
    if (i > 0) joined[offset++] = 0x2f;
    joined.set(part, offset);
    offset += part.length;
  });
  return joined;
}

/**
 * The tree is read with synchronous calls: each one costs the main thread a few microseconds, where the
 * same call through libuv's thread pool costs several times that in hand-offs (at 50,000 accounts a cold
 * collection spent 30 s of its 69 s in them). The reading runs in reader threads (see observer-pool.ts),
 * so the event loop never waits for a file system.
 */
const closeQuietly = (fd: number) => {
  try {
    closeSync(fd);
  } catch {}
};

/** The account's time is up: the walk stops between two steps. */
export class TimeUp extends Error {}

/** Throws TimeUp once `deadline` (a performance.now() instant) has passed. */
const checkTime = (deadline: number) => {
  if (performance.now() > deadline) throw new TimeUp("the account's time is up");
};

/** The errno code of a file-system error (ENOENT, ELOOP, ...), or the error as text. */
export const code = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code ?? String(error);

const stampFields = new Float64Array(5);
const stampWords = new Uint32Array(stampFields.buffer);

/**
 * A 64-bit hash of numbers as a string of four UTF-16 code units. Stamps are held for every client file and
 * folder between collections (at 50,000 accounts 390,000 of them): written out in decimal each took 72 bytes,
 * this takes 24. Two stamps of different numbers are equal with a probability of 2^-64, far below that of the
 * folder and file changes that the numbers themselves cannot tell apart.
 */
function hashOf(count: number): string {
  let a = 0x9e3779b9;
  let b = 0x85ebca6b;
  for (let i = 0; i < count * 2; i++) {
    const word = stampWords[i] as number;
    a = Math.imul(a ^ word, 0xcc9e2d51);
    a = Math.imul((a << 15) | (a >>> 17), 0x1b873593);
    b = Math.imul(b ^ word, 0x27d4eb2f);
    b = Math.imul((b << 13) | (b >>> 19), 0x165667b1);
  }
  // Both lanes end with murmur3's final avalanche, each mixed with the other.
  const high = avalanche(a ^ b);
  const low = avalanche(b ^ Math.imul(high, 0x85ebca77));
  return String.fromCharCode(high >>> 16, high & 0xffff, low >>> 16, low & 0xffff);
}

/** murmur3's fmix32. */
const avalanche = (h: number): number => {
  const mixed = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  const again = Math.imul(mixed ^ (mixed >>> 13), 0xc2b2ae35);
  return again ^ (again >>> 16);
};

/** A file's stamp: the same file (device, inode) with the same size, mtime and ctime. */
const stampOf = (stats: Stats) => {
  stampFields[0] = stats.dev;
  stampFields[1] = stats.ino;
  stampFields[2] = stats.size;
  stampFields[3] = stats.mtimeMs;
  stampFields[4] = stats.ctimeMs;
  return hashOf(5);
};

/** A folder's stamp: the same folder (device, inode) with the same entries (mtime, ctime). */
const folderStampOf = (stats: Stats) => {
  stampFields[0] = stats.dev;
  stampFields[1] = stats.ino;
  stampFields[2] = stats.mtimeMs;
  stampFields[3] = stats.ctimeMs;
  return hashOf(4);
};

function lstatOrUndefined(target: Buffer | string): Stats | undefined {
  try {
    return lstatSync(target);
  } catch (error) {
    if (code(error) === "ENOENT" || code(error) === "ENOTDIR") return undefined;
    throw error;
  }
}

const tooLarge = (name: string, size: number, maxBytes: number): FileReading => ({
  kind: "error",
  error: `${name} is ${size} bytes, above the limit of ${maxBytes}; not read`,
});

/**
 * Read one client file without following symbolic links and without reading more than `maxBytes`. The file
 * is opened at `openable()`, a path that cannot leave the folder it names (see readHost). Only a regular file
 * is opened: an lstat through that same path says what the entry is first, as opening a device can act on
 * it (a tape rewinds; a terminal could become the process's controlling terminal) and a FIFO would wait
 * for a writer. It is opened with O_NOFOLLOW and O_NOCTTY, and checked again on the open descriptor (the
 * file the lstat saw, still regular) before a byte is used. With `isKnown`, `target` is lstat'ed first by
 * path (no folder is opened for it) and a file whose stamp is known is not opened at all.
 */
export function readClientFile(
  target: Buffer | string,
  maxBytes: number,
  isKnown?: (stamp: string) => boolean,
  openable: () => Buffer | string = () => target,
): FileReading {
  const name = path.basename(Buffer.isBuffer(target) ? target.toString() : target);
  const changed: FileReading = { kind: "error", error: `${name} changed while being read; not read` };
  const sameFile = (a: Stats, b: Stats) => a.ino === b.ino && a.dev === b.dev;
  let before: Stats | undefined;
  if (isKnown) {
    try {
      before = lstatOrUndefined(target);
    } catch (error) {
      return { kind: "error", error: `${name}: cannot stat (${code(error)})` };
    }
    if (!before) return { kind: "missing" };
    if (before.isSymbolicLink()) return { kind: "error", error: `${name} is a symbolic link; not read` };
    if (!before.isFile()) return { kind: "error", error: `${name} is not a regular file; not read` };
    if (before.size > maxBytes) return tooLarge(name, before.size, maxBytes);
    const stamp = stampOf(before);
    if (isKnown(stamp)) return { kind: "unchanged", mtime: before.mtime, stamp };
  }
  let fd: number | undefined;
  try {
    const file = openable();
    const seen = lstatOrUndefined(file);
    if (!seen) return before ? changed : { kind: "missing" };
    if (before && !sameFile(seen, before)) return changed;
    if (seen.isSymbolicLink()) return { kind: "error", error: `${name} is a symbolic link; not read` };
    if (!seen.isFile()) return { kind: "error", error: `${name} is not a regular file; not read` };
    if (seen.size > maxBytes) return tooLarge(name, seen.size, maxBytes);
    // O_NONBLOCK: should a FIFO replace the file between the lstat and the open, the open does not wait.
    fd = openSync(
      file,
      constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NOCTTY | constants.O_NONBLOCK,
    );
    const stats = fstatSync(fd);
    if (!sameFile(stats, seen)) return changed;
    if (!stats.isFile()) return { kind: "error", error: `${name} is not a regular file; not read` };
    if (stats.size > maxBytes) return tooLarge(name, stats.size, maxBytes);
    // Room for one byte more than fstat reported reveals a file that grew meanwhile; one that grows after
    // the read gets another stamp, so the next collection reads it again.
    const buffer = Buffer.allocUnsafe(stats.size + 1);
    let length = 0;
    while (length < buffer.length) {
      const bytesRead = readSync(fd, buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length === stats.size) break;
    }
    if (length !== stats.size) return changed;
    return {
      kind: "read",
      file: { text: decoder.decode(buffer.subarray(0, length)), mtime: stats.mtime },
      stamp: stampOf(before ?? stats),
    };
  } catch (error) {
    if (error instanceof FolderSwapped) return changed;
    if (!before && code(error) === "ENOENT") return { kind: "missing" };
    const reason = code(error) === "ELOOP" ? "is a symbolic link" : `cannot be read (${code(error)})`;
    return { kind: "error", error: `${name} ${reason}; not read` };
  } finally {
    if (fd !== undefined) closeQuietly(fd);
  }
}

const FOLDER_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/** A folder on the way to a client file was replaced (by a link, a file, nothing) after it was listed. */
class FolderSwapped extends Error {}

/**
 * The path of an open descriptor: resolving it reaches the very folder that was opened, whatever has been
 * renamed or linked since (Linux's /proc, as openat would). Names below it are looked up in that folder.
 */
const pinned = (fd: number, ...names: Uint8Array[]) => join(Buffer.from(`/proc/self/fd/${fd}`), ...names);

/**
 * Open the folders `names` one below the other from the open folder `fd`, none through a symbolic link: the
 * result is a descriptor of a folder that is, at this moment, really inside the first one.
 */
function openBelow(fd: number, names: readonly Uint8Array[]): number {
  let current = fd;
  for (const name of names) {
    try {
      const next = openSync(pinned(current, name), FOLDER_FLAGS);
      if (current !== fd) closeQuietly(current);
      current = next;
    } catch (error) {
      if (current !== fd) closeQuietly(current);
      throw error;
    }
  }
  return current;
}

/** A configured folder name as path components; undefined when one of them could climb out (`..`). */
function componentsOf(name: string): Buffer[] | undefined {
  const parts = name.split("/").filter((part) => part !== "" && part !== ".");
  return parts.includes("..") ? undefined : parts.map((part) => Buffer.from(part));
}

/** Why the incoming folder cannot be listed, as the reading of a home without hosts. */
function incomingProblem(home: string, incomingDir: string, error: unknown): TreeReading {
  const problem = (text: string): TreeReading => ({ hosts: [], errors: [text] });
  let homeStats: Stats;
  try {
    homeStats = statSync(home);
  } catch (statError) {
    const reading = problem(`home ${home} cannot be read (${code(statError)})`);
    return code(statError) === "ENOENT" ? { ...reading, homeMissing: true } : reading;
  }
  if (!homeStats.isDirectory()) return problem(`home ${home} is not a directory`);
  // A home without incoming/ belongs to an account whose clients never uploaded anything: not an error.
  if (code(error) === "ENOENT") return { hosts: [], errors: [] };
  let stats: Stats | undefined;
  try {
    stats = lstatOrUndefined(path.join(home, incomingDir));
  } catch {}
  if (stats?.isSymbolicLink()) return problem(`${incomingDir} is a symbolic link; not read`);
  if (stats && !stats.isDirectory()) return problem(`${incomingDir} is not a directory`);
  return problem(`${incomingDir} cannot be read (${code(error)})`);
}

/** An entry of the incoming folder: its name and what the listing said it is. */
interface Entry {
  name: Buffer;
  /** d: folder, l: symbolic link, f: anything else, u: unknown (the file system did not say). */
  type: "d" | "l" | "f" | "u";
}

const typeOf = (entry: Dirent<Buffer>): Entry["type"] =>
  entry.isDirectory() ? "d" : entry.isSymbolicLink() ? "l" : entry.isFile() ? "f" : "u";

// A listing is kept as one string per account: type letter and name (bytes as latin1) per entry, joined by
// "/", which no entry name can hold. Thousands of small Buffers would cost more than the listing itself.
const encodeListing = (entries: readonly Entry[]): string =>
  entries.map((entry) => `${entry.type}${entry.name.toString("latin1")}`).join("/");
const decodeListing = (listing: string): Entry[] =>
  listing === ""
    ? []
    : listing.split("/").map((part) => ({
        type: part[0] as Entry["type"],
        name: Buffer.from(part.slice(1), "latin1"),
      }));

/**
 * The account's incoming folder, opened without following a link (the home and the folders above it are
 * the server's; only what is below incoming/ is the customer's) when it has to be listed or a file read.
 */
class IncomingFolder {
  #fd: number | undefined;
  constructor(
    private readonly home: string,
    private readonly names: readonly Buffer[],
  ) {}

  fd(): number {
    if (this.#fd === undefined) {
      const [first, ...rest] = this.names as [Buffer, ...Buffer[]];
      const firstFd = openSync(join(Buffer.from(this.home), first), FOLDER_FLAGS);
      if (rest.length === 0) this.#fd = firstFd;
      else
        try {
          this.#fd = openBelow(firstFd, rest);
        } finally {
          closeQuietly(firstFd);
        }
    }
    return this.#fd;
  }

  close(): void {
    if (this.#fd !== undefined) closeQuietly(this.#fd);
  }
}

/**
 * List an account's hosts and read their client files. Everything below `incoming/` is written by customers
 * and can change at any moment: the incoming folder is listed through a descriptor opened without following
 * a link, every file is read through folders opened the same way (see readHost), and the number of hosts is
 * capped. Folders whose stamp has not changed are recalled (see FolderRecall). Past `deadline` (a
 * performance.now() instant) the walk stops between two steps with TimeUp.
 */
export function readAccountTree(home: string, options: TreeOptions, deadline = Infinity): TreeReading {
  const incomingNames = componentsOf(options.incomingDir);
  const metadataNames = componentsOf(options.metadataDir);
  if (!incomingNames || incomingNames.length === 0)
    return { hosts: [], errors: [`${options.incomingDir} resolves outside the home; not read`] };
  if (!metadataNames || metadataNames.length === 0)
    return { hosts: [], errors: [`${options.metadataDir} resolves outside the host folder; not read`] };
  const incomingPath = join(Buffer.from(home), ...incomingNames);
  const incoming = new IncomingFolder(home, incomingNames);
  try {
    const recall = options.recall;
    // lstat by path is enough to recall: a folder with the same device, inode, mtime and ctime is the one listed.
    let stats: Stats | undefined;
    if (recall?.hasListing)
      try {
        stats = lstatOrUndefined(incomingPath);
      } catch {}
    const recalled = stats?.isDirectory() ? recall?.listing(folderStampOf(stats)) : undefined;
    let entries: Entry[];
    let listing: TreeReading["listing"];
    if (recalled !== undefined) entries = decodeListing(recalled);
    else {
      let fd: number;
      try {
        fd = incoming.fd();
      } catch (error) {
        return incomingProblem(home, options.incomingDir, error);
      }
      const listed = fstatSync(fd);
      const dirents = readdirSync(pinned(fd), { encoding: "buffer", withFileTypes: true });
      entries = dirents.map((entry) => ({ name: entry.name, type: typeOf(entry) }));
      entries.sort((a, b) => Buffer.compare(a.name, b.name));
      listing = { stamp: folderStampOf(listed), entries: encodeListing(entries) };
    }
    const reading = readHosts(incomingPath, incoming, entries, metadataNames, options, deadline);
    return listing ? { ...reading, listing } : reading;
  } finally {
    incoming.close();
  }
}

function readHosts(
  incomingPath: Buffer,
  incoming: IncomingFolder,
  entries: readonly Entry[],
  metadataNames: readonly Buffer[],
  options: TreeOptions,
  deadline: number,
): TreeReading {
  const errors: string[] = [];
  const hosts: HostFolder[] = [];
  const labels = new Set<string>();
  let notRead = 0;
  for (const entry of entries) {
    checkTime(deadline);
    const label = hostLabel(entry.name);
    if (isUnsafeEntryName(entry.name)) {
      errors.push(`host folder ${JSON.stringify(label)} has an unsafe name; not read`);
      continue;
    }
    let stats: Stats | undefined;
    try {
      stats = entry.type === "u" ? lstatOrUndefined(join(incomingPath, entry.name)) : undefined;
    } catch (error) {
      errors.push(`host folder ${JSON.stringify(label)} cannot be read (${code(error)})`);
      continue;
    }
    if (entry.type === "l" || stats?.isSymbolicLink()) {
      errors.push(`host folder ${JSON.stringify(label)} is a symbolic link; not read`);
      continue;
    }
    if (entry.type !== "d" && !stats?.isDirectory()) continue;
    if (hosts.length >= options.maxHostsPerAccount) {
      notRead += 1;
      continue;
    }
    try {
      const host = readHost(
        incomingPath,
        incoming,
        entry.name,
        label,
        labels,
        metadataNames,
        options,
        deadline,
      );
      if (typeof host === "string") errors.push(host);
      else if (host) hosts.push(host);
    } catch (error) {
      if (error instanceof TimeUp) throw error;
      errors.push(`host folder ${JSON.stringify(label)} cannot be read (${code(error)})`);
    }
  }
  if (notRead > 0)
    errors.push(
      `${notRead} folder(s) in ${options.incomingDir} beyond the limit of ${options.maxHostsPerAccount} hosts were not read`,
    );
  return { hosts, errors };
}

/**
 * One host folder: its files, an error, or undefined where the folder holds no metadata (not a host). The
 * lstat calls go by path (a swapped folder can only make them describe another file, never read one); the
 * host and metadata folders are opened link-free, from the incoming folder's descriptor, only when a file
 * has to be read.
 */
function readHost(
  incomingPath: Buffer,
  incoming: IncomingFolder,
  name: Buffer,
  label: string,
  labels: Set<string>,
  metadataNames: readonly Buffer[],
  options: TreeOptions,
  deadline: number,
): HostFolder | string | undefined {
  const metadata = join(incomingPath, name, ...metadataNames);
  const metadataStats = lstatOrUndefined(metadata);
  if (!metadataStats) return undefined;
  if (metadataStats.isSymbolicLink() || !metadataStats.isDirectory())
    return `${options.metadataDir} of host ${JSON.stringify(label)} is not a plain folder; not read`;
  let unique = label;
  for (let n = 2; labels.has(unique); n += 1) unique = `${label}~${n}`;
  labels.add(unique);
  const folderStamp = folderStampOf(metadataStats);
  const recalled = options.recall?.host(unique, folderStamp);
  if (recalled) return { host: unique, files: recalled, folderStamp };
  // Opened at the first file that has to be read, closed with the host.
  let metadataFd: number | undefined;
  const openMetadata = () => {
    if (metadataFd === undefined)
      try {
        metadataFd = openBelow(incoming.fd(), [name, ...metadataNames]);
      } catch {
        throw new FolderSwapped();
      }
    return metadataFd;
  };
  const files = {} as Record<ClientFileKind, FileReading>;
  const isKnown = options.isKnown;
  try {
    for (const [kind, fileName] of Object.entries(CLIENT_FILES) as [ClientFileKind, string][]) {
      checkTime(deadline);
      const file = Buffer.from(fileName);
      files[kind] = readClientFile(
        join(metadata, file),
        options.maxFileBytes,
        isKnown && options.holds?.(unique, kind) !== false
          ? (stamp) => isKnown(unique, kind, stamp)
          : undefined,
        () => pinned(openMetadata(), file),
      );
    }
  } finally {
    if (metadataFd !== undefined) closeQuietly(metadataFd);
  }
  return { host: unique, files, folderStamp };
}
