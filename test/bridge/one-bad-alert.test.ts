import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireBinaries } from "../support/binaries.js";
import { exampleLdif, type Slapd, startSlapd } from "../support/slapd.js";
import {
  alert,
  bridgeFixture,
  payload,
  post,
  quotaAnnotations,
  type SmtpSink,
  settled,
  waitFor,
} from "./support.js";

/** Longer than slapd takes from an anonymous session (sockbuf_max_incoming, 256 KiB): it closes the connection. */
const oversized = "3".repeat(300_000);

/** An account whose owner's uid (in the directory's own data) makes every search for that person oversized. */
const accountWithOversizedOwner = `dn: uid=3723799,ou=accounts,ou=backup,ou=services,dc=stoney-cloud,dc=org
objectClass: top
objectClass: account
objectClass: sstRelationship
objectClass: sstBackupMonitorSettings
uid: 3723799
sstBackupWarningOn: TRUE
sstBelongsToPersonUID: ${oversized}
createTimestamp: 20240110073000Z
`;

const accounts = Array.from({ length: 10 }, (_, i) => String(3723701 + i));
/** Two alerts for each of the ten example accounts. */
const goodAlerts = () =>
  accounts.flatMap((account) => [
    alert({ account, task: "quota", annotations: quotaAnnotations }),
    alert({
      account,
      task: "upgrade",
      annotations: { client_identifier: "Sepiola", client_version: "2.4.0" },
    }),
  ]);

const subjects = (sink: SmtpSink, address: string) => sink.to(address).map((m) => m.parsed.subject);

describe.skipIf(!requireBinaries(["slapd", "slapadd"]))(
  "one bad alert delays nobody (real slapd read anonymously, real SMTP server)",
  () => {
    let slapd: Slapd;
    beforeAll(async () => {
      slapd = await startSlapd({
        ldif: [exampleLdif, accountWithOversizedOwner],
        access: "access to attrs=userPassword by anonymous auth by * none\naccess to * by * read",
      });
    });
    afterAll(async () => {
      await slapd?.dispose();
    });
    const bridges = bridgeFixture();

    // Alertmanager does not retry: one lost look-up round would cost the good alerts a backoff.
    const start = () =>
      bridges.start({
        bridge: { retry: { initialBackoffSeconds: 30, maxBackoffSeconds: 3600 } },
        directory: { url: slapd.url, cacheTtlSeconds: 0 },
        log: "warn",
      });

    /** The good alerts' mails, each recipient's problems in one mail. */
    const expectGoodMails = (sink: SmtpSink) => {
      expect(subjects(sink, "anna@example.co.uk")).toEqual(["2 backup problems"]);
      expect(subjects(sink, "juerg.mueller@example.ch")).toEqual(["2 Backup-Probleme"]);
      expect(subjects(sink, "support@muster-reseller.example")).toEqual(["10 Backup-Probleme"]);
      expect(subjects(sink, "support@eclair.example")).toEqual(["8 problèmes de sauvegarde"]);
    };

    it("refuses account labels that cannot be a uid per alert, mails the others at once and tells the operators", async () => {
      const { url, bridge, sink, lines } = await start();
      const good = goodAlerts();
      const controlLabel = "37237\u000707";
      const body = payload([
        ...good.slice(0, 10),
        alert({ account: oversized, task: "quota", annotations: quotaAnnotations }),
        ...good.slice(10),
        alert({ account: controlLabel, task: "schedule", annotations: {} }),
      ]);
      const answer = await post(url, body);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ status: "accepted", alerts: 22, duplicates: 0 });
      expect(answer.body.notes).toEqual([
        `alerts.10.labels.account: "${"3".repeat(39)}…" refused, the account label is 300000 characters long (a directory uid has at most 256); the alert goes to the operators as undeliverable`,
        'alerts.21.labels.account: "37237\\u000707" refused, the account label contains the control character U+0007; the alert goes to the operators as undeliverable',
      ]);
      expect(
        lines.some(
          (l) =>
            l.msg ===
            "webhook alerts refused for their recipients: they go to the operators as undeliverable",
        ),
      ).toBe(true);

      await waitFor("every alert mailed", () => settled(bridge));
      expectGoodMails(sink);
      const operators = sink.to("ops@backup.example");
      expect(operators).toHaveLength(1);
      const text = operators[0]?.parsed.text ?? "";
      expect(text).toContain("the account label is 300000 characters long (a directory uid has at most 256)");
      expect(text).toContain("the account label contains the control character U+0007");
      const metrics = await (await fetch(`${bridge.url}/metrics`)).text();
      expect(metrics).toContain("stoney_backup_bridge_directory_errors_total 0");
    });

    it("lets the alerts of an account whose look-up fails wait alone while the others are mailed", async () => {
      const { url, bridge, sink } = await start();
      const body = payload([
        ...goodAlerts(),
        alert({
          account: "3723799",
          task: "quota",
          annotations: quotaAnnotations,
          fingerprint: "owner-oversized",
        }),
      ]);
      expect((await post(url, body)).status).toBe(200);
      await waitFor("the good alerts mailed", async () => (await bridge.outbox.stats()).pendingAlerts === 1);
      await waitFor("their mails sent", async () => {
        const stats = await bridge.outbox.stats();
        return stats.queuedItems === 0 && stats.pendingMails === 0;
      });
      expectGoodMails(sink);
      expect(sink.to("ops@backup.example")).toHaveLength(0);
      const history = await bridge.outbox.history("3723799", 10);
      expect(history[0]?.outcome).toContain("waiting for the directory");
      const metrics = await (await fetch(`${bridge.url}/metrics`)).text();
      expect(metrics).toMatch(/stoney_backup_bridge_directory_errors_total [1-9]/);
    });
  },
);
