import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountHistory, startBridge } from "../../src/bridge/index.js";
import { requireBinaries } from "../support/binaries.js";
import { type Slapd, startSlapd } from "../support/slapd.js";
import {
  alert,
  captureLogger,
  exampleLdif,
  payload,
  post,
  quotaAnnotations,
  runCli,
  smtpSink,
  tempDir,
  testConfig,
  waitFor,
} from "./support.js";

const injected = "backup@alpenblick.example\r\nBcc: evil@attacker.example";
/** Account 3723701 with two hostile `mail` values besides its two good ones. */
const hostileLdif = readFileSync(exampleLdif, "utf8").replace(
  "mail: it@alpenblick.example\n",
  [
    "mail: it@alpenblick.example",
    "mail: evil@attacker.example, backup@alpenblick.example",
    `mail:: ${Buffer.from(injected).toString("base64")}`,
    "",
  ].join("\n"),
);

const ignoredReasons = [
  'mail "evil@attacker.example, backup@alpenblick.example" ignored: not exactly one address',
  'mail "backup@alpenblick.example\\r\\nBcc: evil@attacker.example" ignored: not exactly one address',
];

/** The bridge and explain against a directory whose `mail` values try to add recipients. */
async function mailsOnlyRecordedAddresses(directory: Record<string, unknown>) {
  const temp = tempDir();
  const sink = await smtpSink();
  const config = testConfig({ dir: temp.dir, directory, bridge: { smtp: { url: sink.url } } });
  const bridge = await startBridge(config, captureLogger("fatal").logger);
  try {
    await post(
      `${bridge.url}/webhook`,
      payload([alert({ account: "3723701", task: "quota", annotations: quotaAnnotations })]),
    );
    await waitFor("the customer's mails", () => sink.to("it@alpenblick.example").length === 1);
    await waitFor("the other address", () => sink.to("backup@alpenblick.example").length === 1);
    const customerMails = sink.mails.filter((m) => !m.envelopeTo.includes("support@muster-reseller.example"));
    expect(customerMails.map((m) => m.envelopeTo)).toEqual(
      expect.arrayContaining([["it@alpenblick.example"], ["backup@alpenblick.example"]]),
    );
    expect(sink.mails.every((m) => m.envelopeTo.length === 1)).toBe(true);
    expect(sink.mails.some((m) => m.raw.includes("evil@attacker.example"))).toBe(false);
    const outcomes = (await accountHistory(config.bridge, "3723701", 100)).map((r) => r.outcome);
    for (const reason of ignoredReasons) expect(outcomes).toContain(`suppressed: ${reason}`);

    const configFile = path.join(temp.dir, "config.json");
    writeFileSync(configFile, JSON.stringify({ directory }));
    const explained = await runCli(["explain", "--config", configFile, "3723701"]);
    expect(explained.code).toBe(0);
    for (const reason of ignoredReasons) expect(explained.stdout).toContain(`customer  3723701: ${reason}`);
    expect(explained.stdout).toContain("is not exactly one mail address (ignored)");
  } finally {
    await bridge.close();
    await sink.stop();
    temp.remove();
  }
}

describe("directory mail values that are not exactly one address", () => {
  it("are ignored with a note (LDIF directory)", async () => {
    const temp = tempDir();
    const file = path.join(temp.dir, "directory.ldif");
    writeFileSync(file, hostileLdif);
    try {
      await mailsOnlyRecordedAddresses({ url: `file:${file}`, cacheTtlSeconds: 0 });
    } finally {
      temp.remove();
    }
  });

  describe.skipIf(!requireBinaries(["slapd", "slapadd"]))("over LDAP", () => {
    let slapd: Slapd;
    beforeAll(async () => {
      slapd = await startSlapd({ ldif: [hostileLdif] });
    });
    afterAll(async () => {
      await slapd?.dispose();
    });

    it("are ignored with a note (real slapd)", async () => {
      await mailsOnlyRecordedAddresses({ ...slapd.configFor(), cacheTtlSeconds: 0 });
    });
  });
});
