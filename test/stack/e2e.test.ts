import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Attribute, Change, Client } from "ldapts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SmtpSink, smtpSink } from "../bridge/support.js";
import { requireBinaries } from "../support/binaries.js";
import { type Slapd, startSlapd } from "../support/slapd.js";
import {
  type Client as BackupClient,
  perl,
  type Schedule,
  sepiola,
  writeRun,
  writeSchedule,
} from "./backup-tree.js";
import { exampleConfig, loopbackBridge } from "./example-config.js";
import { waitFor } from "./processes.js";
import { type Chain, startChain } from "./servers.js";

/**
 * The whole chain on loopback: a generated backup tree and the example directory in slapd →
 * exporter → Prometheus with the shipped rules → Alertmanager with the shipped routing → bridge →
 * a real SMTP server. Only `for:` durations, intervals, URLs and the token file are rewritten.
 */

const now = new Date("2026-11-26T12:00:00Z");
const accountsDN = "ou=accounts,ou=backup,ou=services,dc=stoney-cloud,dc=org";

const muster = "support@muster-reseller.example"; // reseller 4000001
const eclair = "support@eclair.example"; // reseller 4000002's contact person
const juerg = "juerg.mueller@example.ch"; // customer of 3723702
const zoe = "zoe.lefevre@example.fr"; // customer of 3723703 (opted out) and 3723704

/** A host's schedule and one run of it, both written by `client`. */
function writeHost(
  root: string,
  account: string,
  host: string,
  schedule: Schedule,
  client: BackupClient,
  run: { id: number; start: string; end: string; success: boolean },
) {
  writeSchedule(root, account, host, schedule, client);
  writeRun(root, account, host, { ...run, client });
}

/** The tree: 02 over quota (directory sizes), 03 failing, 04 missed its schedule, 05 old client, 06 never used, the rest healthy. */
function generateTree(root: string) {
  const daily = (hour: number, minute: number, offset = "+01:00") =>
    ({ kind: "daily", hour, minute, offset }) as const;
  writeHost(root, "3723701", "EMPFANG-PC", daily(19, 30), sepiola(), {
    id: 101,
    start: "2026-11-25T19:30:02+01:00",
    end: "2026-11-25T19:52:10+01:00",
    success: true,
  });
  writeHost(root, "3723702", "fileserver", daily(2, 15), perl, {
    id: 201,
    start: "2026-11-26T02:15:03+01:00",
    end: "2026-11-26T02:41:00+01:00",
    success: true,
  });
  writeHost(root, "3723703", "nas", daily(0, 30), perl, {
    id: 301,
    start: "2026-11-26T00:30:05+01:00",
    end: "2026-11-26T00:52:40+01:00",
    success: false,
  });
  writeHost(root, "3723704", "MacBook-Zoe", daily(20, 0), sepiola("2.6.1", "MacOSX"), {
    id: 401,
    start: "2026-11-20T20:00:03+01:00",
    end: "2026-11-20T20:12:10+01:00",
    success: true,
  });
  writeHost(root, "3723705", "mac-mini", { kind: "after_startup", minutes: 15 }, sepiola("2.4.0", "MacOSX"), {
    id: 501,
    start: "2026-11-26T08:16:40+01:00",
    end: "2026-11-26T08:40:00+01:00",
    success: true,
  });
  writeHost(root, "3723707", "laptop", daily(18, 0, "+00:00"), sepiola("2.6.1", "Linux"), {
    id: 701,
    start: "2026-11-25T18:00:05+00:00",
    end: "2026-11-25T18:20:00+00:00",
    success: true,
  });
  writeHost(root, "3723709", "werkstatt", { kind: "none" }, sepiola("2.6.1", "Linux"), {
    id: 901,
    start: "2026-11-24T10:00:00+01:00",
    end: "2026-11-24T10:30:00+01:00",
    success: true,
  });
  writeHost(root, "3723710", "kasse", daily(19, 0), sepiola(), {
    id: 1001,
    start: "2026-11-25T19:00:00+01:00",
    end: "2026-11-25T19:10:00+01:00",
    success: true,
  });
}

/** What customers fix: space freed, a successful run, a run after the missed ones, a client update, a first backup. */
async function fixEverything(root: string, slapd: Slapd) {
  const client = new Client({ url: slapd.url });
  try {
    await client.bind(slapd.rootDN, slapd.rootPassword);
    await client.modify(`uid=3723702,${accountsDN}`, [
      new Change({
        operation: "replace",
        modification: new Attribute({ type: "sstBackupSize", values: ["1073741824"] }),
      }),
      new Change({
        operation: "replace",
        modification: new Attribute({ type: "sstIncrementSize", values: ["0"] }),
      }),
    ]);
  } finally {
    await client.unbind();
  }
  writeRun(root, "3723703", "nas", {
    id: 302,
    start: "2026-11-26T10:30:05+01:00",
    end: "2026-11-26T10:41:00+01:00",
    success: true,
    client: perl,
  });
  writeRun(root, "3723704", "MacBook-Zoe", {
    id: 402,
    start: "2026-11-26T08:00:03+01:00",
    end: "2026-11-26T08:10:00+01:00",
    success: true,
    client: sepiola("2.6.1", "MacOSX"),
  });
  writeHost(root, "3723705", "mac-mini", { kind: "after_startup", minutes: 15 }, sepiola("2.6.1", "MacOSX"), {
    id: 502,
    start: "2026-11-26T09:16:40+01:00",
    end: "2026-11-26T09:30:00+01:00",
    success: true,
  });
  writeHost(root, "3723706", "pc", { kind: "after_startup", minutes: 10 }, sepiola(), {
    id: 601,
    start: "2026-11-26T09:00:00+01:00",
    end: "2026-11-26T09:30:00+01:00",
    success: true,
  });
}

const normalizeId = (id: string | undefined) => id?.replace(/^<|>$/g, "");

describe.skipIf(!requireBinaries(["prometheus", "prometheus-alertmanager", "slapd", "slapadd"]))(
  "end to end: backup tree → exporter → Prometheus → Alertmanager → bridge → mail",
  () => {
    let dir: string;
    let root: string;
    let slapd: Slapd | undefined;
    let smtp: SmtpSink | undefined;
    let chain: Chain | undefined;

    /** Mails sent per account, as "audience recipient task status" lines; each checked against the SMTP server. */
    const sent = async (account: string): Promise<string[]> => {
      const rows = ((await chain?.bridge.outbox.history(account, 1000)) ?? []).filter(
        (r) => r.outcome === "sent",
      );
      return rows.map((row) => {
        const delivered = smtp?.mails.some(
          (m) =>
            m.envelopeTo.includes(row.recipient ?? "") &&
            normalizeId(m.parsed.messageId) === normalizeId(row.messageId),
        );
        return `${row.audience} ${row.recipient} ${row.task} ${row.status}${delivered ? "" : " (not received by SMTP)"}`;
      });
    };

    const waitForMails = (expected: Record<string, string[]>) =>
      waitFor(
        `mails ${JSON.stringify(expected)}`,
        async () => {
          for (const [account, lines] of Object.entries(expected)) {
            const got = await sent(account);
            if (!lines.every((line) => got.includes(line))) return undefined;
          }
          return true;
        },
        60_000,
        250,
      ).catch(async (error: Error) => {
        const got = Object.fromEntries(
          await Promise.all(Object.keys(expected).map(async (a) => [a, await sent(a)])),
        );
        throw new Error(
          `${error.message}\ngot: ${JSON.stringify(got, null, 2)}\nalertmanager:\n${chain?.alertmanager.output()}`,
        );
      });

    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), "stoney-e2e-"));
      root = path.join(dir, "backup");
      generateTree(root);
      slapd = await startSlapd();
      smtp = await smtpSink();
      const token = "e2e-bridge-token";
      const config = exampleConfig({
        directory: { ...slapd.configFor(), cacheTtlSeconds: 0 },
        backup: { root },
        history: { path: path.join(dir, "history.sqlite") },
        exporter: { listen: { host: "127.0.0.1", port: 0 }, intervalSeconds: 1 },
        bridge: loopbackBridge(dir, token, { url: smtp.url, operators: ["ops@stoney-cloud.example"] }),
      });
      chain = await startChain(dir, config, token, now);
    }, 60_000);

    afterAll(async () => {
      await chain?.stop();
      await smtp?.stop();
      await slapd?.dispose();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("tells customers and resellers about each problem, and the opted-out customer nothing", async () => {
      const expected: Record<string, string[]> = {
        "3723702": [`customer ${juerg} quota firing`, `reseller ${muster} quota firing`],
        // Opted out: only the reseller hears, about the failures and about the host never having
        // succeeded since the account was created.
        "3723703": [`reseller ${muster} schedule firing`, `reseller ${muster} unsuccessful firing`],
        // One schedule mail each: the days-without-success alert of the same host is inhibited.
        "3723704": [`customer ${zoe} schedule firing`, `reseller ${eclair} schedule firing`],
        // The customer's person does not exist and 3723706 has no address: the resellers hear.
        "3723705": [`reseller ${eclair} upgrade firing`],
        "3723706": [`reseller ${muster} nobackup firing`],
      };
      await waitForMails(expected);
      // Let late or duplicate notifications arrive before comparing exactly.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      for (const [account, lines] of Object.entries(expected))
        expect((await sent(account)).sort(), account).toEqual(lines.sort());
      expect(smtp?.to(zoe).every((m) => !`${m.parsed.subject} ${m.parsed.text}`.includes("3723703"))).toBe(
        true,
      );
      // Healthy accounts produce no mail at all.
      for (const account of ["3723701", "3723707", "3723709", "3723710"])
        expect(await sent(account), account).toEqual([]);
    }, 90_000);

    it("sends the resolved mails once the customers fixed their backups", async () => {
      await fixEverything(root, slapd as Slapd);
      await waitForMails({
        "3723702": [`customer ${juerg} quota resolved`, `reseller ${muster} quota resolved`],
        "3723703": [`reseller ${muster} unsuccessful resolved`],
        "3723704": [`customer ${zoe} schedule resolved`, `reseller ${eclair} schedule resolved`],
      });
      expect((await sent("3723703")).filter((line) => line.startsWith("customer"))).toEqual([]);
    }, 90_000);
  },
);
