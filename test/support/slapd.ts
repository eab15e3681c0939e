import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { DirectoryConfig } from "../../src/config/index.js";
import { findBinary } from "./binaries.js";
import { createCertificates } from "./certificates.js";

const run = promisify(execFile);

export { exampleLdif, repoRoot } from "./common.js";

import { exampleLdif, freePort, repoRoot } from "./common.js";

const schemaDir = "/etc/ldap/schema";
const schemas = [
  path.join(schemaDir, "core.schema"),
  path.join(schemaDir, "cosine.schema"),
  path.join(schemaDir, "inetorgperson.schema"),
  path.join(schemaDir, "nis.schema"),
  path.join(repoRoot, "deploy/ldap/sst.schema"),
  path.join(repoRoot, "examples/ldap/stoney-backup-monitor.schema"),
];

export const suffix = "dc=stoney-cloud,dc=org";
const rootDN = `cn=admin,${suffix}`;
const rootPassword = "admin-secret";
/** A non-root, read-only account like the one an operator creates: size limits apply to it. */
const monitorDN = `cn=stoney-backup-monitor,${suffix}`;
const monitorPassword = "monitor-secret";
/** The self-care portal's own account: may change the settings attributes (and add settings entries) only. */
const portalDN = `cn=stoney-selfcare,${suffix}`;
const portalPassword = "portal-secret";
const settingsAttributes = [
  "sstBackupWarnings",
  "sstBackupWarningOn",
  "sstNotificationWarningLevel",
  "sstBackupWarningNumbers",
  "sstBackupWarningDays",
  "sstBackupWarningFailures",
  "sstBackupWarningQuotaFullDays",
  "objectClass",
  "ou",
  "entry",
  "children",
];

export interface Slapd {
  url: string;
  port: number;
  suffix: string;
  bindDN: string;
  bindPassword: string;
  rootDN: string;
  rootPassword: string;
  /** The self-care portal's writer account (selfcare.bindDN). */
  portalDN: string;
  portalPassword: string;
  /** With `tls: true`: the ldaps:// URL (the ldap:// URL offers StartTLS) and the CA that signed the server. */
  ldapsUrl?: string;
  caFile?: string;
  /** The directory settings that reach this server (merge into a config's `directory:` section). */
  configFor(): Pick<DirectoryConfig, "url" | "bindDN" | "bindPassword">;
  /** Stop the server (data stays); rejects nothing if it is already stopped. */
  stop(): Promise<void>;
  /** Start it again on the same port with the same data. */
  start(): Promise<void>;
  /** Stop and remove every file. */
  dispose(): Promise<void>;
}

const canConnect = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });

const monitorEntry = `dn: ${monitorDN}
objectClass: applicationProcess
objectClass: simpleSecurityObject
cn: stoney-backup-monitor
userPassword: ${monitorPassword}

dn: ${portalDN}
objectClass: applicationProcess
objectClass: simpleSecurityObject
cn: stoney-selfcare
userPassword: ${portalPassword}
`;

/**
 * Start Debian's slapd on a free 127.0.0.1 port with an mdb database in a temporary folder, the
 * stoney schemas, and the given LDIF (file paths, or LDIF text when the string has a newline)
 * loaded with slapadd before the start. Default: `examples/directory.ldif`.
 */
export async function startSlapd(
  options: {
    ldif?: string[];
    tls?: boolean /** mdb map size (default 100 MiB). */;
    maxSizeBytes?: number;
    /** slapd.conf `limits` and `access` lines instead of the default read access for the monitor. */
    access?: string;
  } = {},
): Promise<Slapd> {
  const slapdBinary = findBinary("slapd");
  const slapadd = findBinary("slapadd");
  if (!slapdBinary || !slapadd) throw new Error("slapd and slapadd are needed (apt-get install slapd)");
  const dir = mkdtempSync(path.join(tmpdir(), "stoney-slapd-"));
  const dataDir = path.join(dir, "data");
  mkdirSync(dataDir);
  const conf = path.join(dir, "slapd.conf");
  const certificates = options.tls ? await createCertificates(dir) : undefined;
  writeFileSync(
    conf,
    [
      ...schemas.map((schema) => `include ${schema}`),
      ...(certificates
        ? [
            `TLSCACertificateFile ${certificates.caFile}`,
            `TLSCertificateFile ${certificates.certFile}`,
            `TLSCertificateKeyFile ${certificates.keyFile}`,
          ]
        : []),
      `pidfile ${path.join(dir, "slapd.pid")}`,
      `argsfile ${path.join(dir, "slapd.args")}`,
      "modulepath /usr/lib/ldap",
      "moduleload back_mdb",
      "database mdb",
      `maxsize ${options.maxSizeBytes ?? 104_857_600}`,
      `suffix "${suffix}"`,
      `rootdn "${rootDN}"`,
      `rootpw ${rootPassword}`,
      `directory ${dataDir}`,
      "index objectClass eq",
      "index uid eq",
      // The self-care portal's scope searches: who owns, may see or resells an account.
      "index sstBelongsToResellerUID,sstBelongsToPersonUID,sstAllowPersonUID,sstInformPersonUID,sstResponsiblePersonUID eq",
      // The server's default size limit (500) stays: only paged searches may return more.
      ...(options.access !== undefined
        ? [options.access]
        : [
            "limits users size.prtotal=unlimited",
            `access to attrs=userPassword by anonymous auth by * none`,
            `access to dn.subtree="ou=backup,ou=services,${suffix}" attrs=${settingsAttributes.join(",")} by dn.exact="${portalDN}" write by dn.exact="${monitorDN}" read by * none`,
            `access to * by dn.exact="${monitorDN}" read by dn.exact="${portalDN}" read by * none`,
          ]),
      "",
    ].join("\n"),
  );
  const sources = options.ldif ?? [exampleLdif];
  for (const [index, source] of [...sources, monitorEntry].entries()) {
    let file = source;
    if (source.includes("\n")) {
      file = path.join(dir, `fixture-${index}.ldif`);
      writeFileSync(file, source);
    }
    try {
      await run(slapadd, ["-q", "-f", conf, "-l", file]);
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`slapadd ${file} failed: ${(error as { stderr?: string }).stderr ?? String(error)}`);
    }
  }

  const port = await freePort();
  const url = `ldap://127.0.0.1:${port}`;
  const tlsPort = certificates ? await freePort() : undefined;
  const ldapsUrl = tlsPort ? `ldaps://127.0.0.1:${tlsPort}` : undefined;
  const listen = [`${url}/`, ...(ldapsUrl ? [`${ldapsUrl}/`] : [])].join(" ");
  let child: ChildProcess | undefined;
  let output = "";

  const start = async () => {
    if (child) return;
    output = "";
    const started = spawn(slapdBinary, ["-d", "0", "-f", conf, "-h", listen], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    started.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    started.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child = started;
    // A test worker that dies without dispose() must not leave a slapd behind.
    const killOnExit = () => started.kill("SIGKILL");
    process.once("exit", killOnExit);
    started.once("exit", () => process.removeListener("exit", killOnExit));
    const deadline = Date.now() + 15_000;
    while (!(await canConnect(port)) || (tlsPort !== undefined && !(await canConnect(tlsPort)))) {
      if (started.exitCode !== null || Date.now() > deadline) {
        child = undefined;
        started.kill("SIGKILL");
        throw new Error(`slapd did not start on port ${port}:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  const stop = async () => {
    const running = child;
    if (!running) return;
    child = undefined;
    if (running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once("exit", resolve));
    running.kill("SIGTERM");
    const timer = setTimeout(() => running.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  };

  await start();
  return {
    url,
    port,
    suffix,
    bindDN: monitorDN,
    bindPassword: monitorPassword,
    rootDN,
    rootPassword,
    portalDN,
    portalPassword,
    ...(ldapsUrl && certificates ? { ldapsUrl, caFile: certificates.caFile } : {}),
    configFor: () => ({ url, bindDN: monitorDN, bindPassword: monitorPassword }),
    stop,
    start,
    dispose: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
