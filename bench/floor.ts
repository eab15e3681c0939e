import { execFile, execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import type { Slapd } from "../test/support/slapd.js";

const run = promisify(execFile);

/**
 * The floors an exporter collection is compared with, measured on the same machine in the same run: the
 * cheapest way to read every client file of the tree (one process, no parsing), and one paged LDAP search
 * of all accounts with the C client. A collection cannot be cheaper than both together.
 */

/**
 * The file reader in C: for every home below the root, list incoming/, and for every host read its three
 * client files (open, read, close); nothing is parsed or kept. It prints the number of files read.
 */
const readerSource = String.raw`
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *files[] = {"backupStarted.xml", "backupEnded.xml", "scheduler.xml"};
static char buffer[65536];

int main(int argc, char **argv) {
  long count = 0;
  char incoming[4096], file[4096];
  DIR *root = opendir(argv[1]);
  if (!root) return 1;
  struct dirent *home;
  while ((home = readdir(root))) {
    if (home->d_name[0] == '.') continue;
    snprintf(incoming, sizeof incoming, "%s/%s/incoming", argv[1], home->d_name);
    DIR *hosts = opendir(incoming);
    if (!hosts) continue;
    struct dirent *host;
    while ((host = readdir(hosts))) {
      if (host->d_name[0] == '.' && (host->d_name[1] == 0 || (host->d_name[1] == '.' && host->d_name[2] == 0))) continue;
      for (int i = 0; i < 3; i++) {
        snprintf(file, sizeof file, "%s/%s/.sepiola_backup/%s", incoming, host->d_name, files[i]);
        int fd = open(file, O_RDONLY | O_NOFOLLOW);
        if (fd < 0) continue;
        while (read(fd, buffer, sizeof buffer) > 0) {}
        close(fd);
        count++;
      }
    }
    closedir(hosts);
  }
  closedir(root);
  printf("%ld\n", count);
  return 0;
}
`;

/** Node's fallback when there is no C compiler: the same walk with synchronous calls. */
const nodeReaderSource = `
const { closeSync, openSync, readSync, readdirSync, constants } = require("node:fs");
const buffer = Buffer.alloc(65536);
const files = ["backupStarted.xml", "backupEnded.xml", "scheduler.xml"];
let count = 0;
for (const home of readdirSync(process.argv[1])) {
  const incoming = process.argv[1] + "/" + home + "/incoming";
  let hosts;
  try { hosts = readdirSync(incoming); } catch { continue; }
  for (const host of hosts)
    for (const name of files) {
      let fd;
      try { fd = openSync(incoming + "/" + host + "/.sepiola_backup/" + name, constants.O_RDONLY | constants.O_NOFOLLOW); } catch { continue; }
      while (readSync(fd, buffer) > 0) {}
      closeSync(fd);
      count++;
    }
}
console.log(count);
`;

export interface FileFloor {
  /** "C" or "node" (no compiler). */
  reader: string;
  run(backupRoot: string): Promise<{ seconds: number; files: number }>;
}

/** Compile the C reader into `dir` (gcc or cc), else fall back to the Node reader. */
export function prepareFileFloor(dir: string): FileFloor {
  const source = path.join(dir, "read-client-files.c");
  const binary = path.join(dir, "read-client-files");
  writeFileSync(source, readerSource);
  for (const compiler of ["gcc", "cc"]) {
    try {
      execFileSync(compiler, ["-O2", "-o", binary, source], { stdio: "ignore" });
      return { reader: "C", run: (root) => timed(binary, [root]) };
    } catch {
      // the next compiler, or the Node reader
    }
  }
  return { reader: "node", run: (root) => timed(process.execPath, ["-e", nodeReaderSource, root]) };
}

async function timed(command: string, args: string[]): Promise<{ seconds: number; files: number }> {
  const started = performance.now();
  const { stdout } = await run(command, args, { maxBuffer: 1 << 20 });
  return { seconds: (performance.now() - started) / 1000, files: Number(stdout.trim()) };
}

/**
 * One paged search of all accounts with OpenLDAP's ldapsearch (C), as the monitor's account binds, for
 * the attributes the exporter asks for; the output is counted, not parsed.
 */
export async function ldapFloor(
  slapd: Slapd,
  base: string,
  filter: string,
  attributes: string[],
  pageSize: number,
): Promise<{ seconds: number; entries: number }> {
  const started = performance.now();
  const { stdout } = await run(
    "ldapsearch",
    [
      "-x",
      "-LLL",
      "-H",
      slapd.url,
      "-D",
      slapd.bindDN,
      "-w",
      slapd.bindPassword,
      "-b",
      base,
      "-E",
      `pr=${pageSize}/noprompt`,
      filter,
      ...attributes,
    ],
    { maxBuffer: 1 << 30 },
  );
  const seconds = (performance.now() - started) / 1000;
  let entries = 0;
  for (let at = stdout.indexOf("\ndn: "); at >= 0; at = stdout.indexOf("\ndn: ", at + 1)) entries += 1;
  if (stdout.startsWith("dn: ")) entries += 1;
  return { seconds, entries };
}
