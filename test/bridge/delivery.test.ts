import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { simpleParser } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireBinaries } from "../support/binaries.js";
import { type Slapd, startSlapd } from "../support/slapd.js";
import {
  alert,
  bridgeFixture,
  payload,
  post,
  quotaAnnotations,
  type SmtpSink,
  settled,
  sleep,
  sqliteOf,
  waitFor,
} from "./support.js";

const subjects = (sink: SmtpSink, address: string) => sink.to(address).map((m) => m.parsed.subject);

describe.skipIf(!requireBinaries(["slapd", "slapadd"]))(
  "bridge delivery (real slapd, real SMTP server)",
  () => {
    let slapd: Slapd;
    let sink: SmtpSink;

    beforeAll(async () => {
      slapd = await startSlapd();
    });
    afterAll(async () => {
      await slapd?.dispose();
    });
    const bridges = bridgeFixture();

    const start = async (
      bridgeConfig: Record<string, unknown> = {},
      sinkOptions: { started?: boolean } = {},
    ) => {
      const started = await bridges.start({
        bridge: bridgeConfig,
        sink: sinkOptions,
        directory: { ...slapd.configFor(), cacheTtlSeconds: 0, connectTimeoutMs: 1000, timeoutMs: 2000 },
        log: "info",
      });
      sink = started.sink;
      return started;
    };

    it("mails every recipient branch once, coalesced per recipient, in the recipient's language", async () => {
      const { url, bridge, lines } = await start();
      const accounts = [
        "3723701",
        "3723702",
        "3723703",
        "3723704",
        "3723705",
        "3723706",
        "3723707",
        "3723708",
      ];
      const alerts = [
        ...accounts.map((account) => alert({ account, task: "quota", annotations: quotaAnnotations })),
        alert({
          account: "3723709",
          task: "upgrade",
          annotations: { client_identifier: "Sepiola", client_version: "2.4.0" },
        }),
        alert({ account: "3723710", task: "nobackup", annotations: {} }),
        alert({ account: "9999999", task: "quota", annotations: quotaAnnotations }),
        alert({
          task: "monitoring",
          labels: { audience: "operator" },
          annotations: { summary: "Exporter down" },
        }),
      ];
      expect((await post(url, payload(alerts))).status).toBe(200);
      await waitFor("all mails", async () => (await settled(bridge)) && sink.mails.length >= 10);
      await sleep(300);
      expect(sink.mails).toHaveLength(10);

      // Account mail addresses, German (person 5000001 is de-CH), dates and facts.
      expect(subjects(sink, "backup@alpenblick.example")).toEqual(["Backup 3723701: Speicher zu 97% belegt"]);
      expect(subjects(sink, "it@alpenblick.example")).toHaveLength(1);
      // No account mail: the person's addresses; the greeting uses the person's name.
      const juerg = sink.to("juerg.mueller@example.ch");
      expect(juerg.map((m) => m.parsed.subject)).toEqual(["Backup 3723702: Speicher zu 97% belegt"]);
      expect(juerg[0]?.parsed.text).toContain("Guten Tag Jürg Müller");
      // English customer without reseller, both addresses.
      expect(subjects(sink, "anna@example.co.uk")).toEqual(["Backup 3723707: storage 97% full"]);
      expect(subjects(sink, "anna.smith@example.org")).toHaveLength(1);
      // French: preferredLanguage fr on the account.
      expect(subjects(sink, "ops@bergbau.example")).toEqual([
        "Sauvegarde 3723709\u202f: veuillez mettre à jour Sepiola 2.4.0",
      ]);
      expect(subjects(sink, "zoe.lefevre@example.fr")).toEqual([
        "Sauvegarde 3723704\u202f: espace occupé à 97%",
      ]);

      // One coalesced mail per reseller listing every account and the customer's name.
      const muster = sink.to("support@muster-reseller.example");
      expect(muster).toHaveLength(1);
      expect(muster[0]?.parsed.subject).toBe("5 Backup-Probleme");
      for (const account of ["3723701", "3723702", "3723703", "3723706", "3723708"])
        expect(muster[0]?.parsed.text).toContain(`Konto ${account}`);
      expect(muster[0]?.parsed.text).toContain("Konto 3723702 von Jürg Müller");
      const eclair = sink.to("support@eclair.example");
      expect(eclair).toHaveLength(1);
      expect(eclair[0]?.parsed.subject).toBe("4 problèmes de sauvegarde");

      // Unknown account and the operator alert: one operator mail, the unknown account marked as such.
      const ops = sink.to("ops@backup.example");
      expect(ops).toHaveLength(1);
      expect(ops[0]?.parsed.text).toContain("9999999 is not in the directory");
      expect(ops[0]?.parsed.text).toContain("Exporter down");

      // Nobody to inform is recorded with the reason, not an error.
      expect((await bridge.outbox.history("3723703", 100)).map((r) => r.outcome)).toContain(
        "suppressed: warnings off (account)",
      );
      expect((await bridge.outbox.history("3723705", 100)).map((r) => r.outcome)).toContain(
        "suppressed: person 5999999 not found",
      );
      expect((await bridge.outbox.history("3723706", 100)).map((r) => r.outcome)).toContain(
        "suppressed: no address",
      );

      // Headers: stable Message-ID from the outbox, no auto-replies.
      const first = juerg[0];
      const messageId = (
        sqliteOf(bridge)
          .prepare("SELECT message_id AS id FROM mails WHERE recipient = ?")
          .get("juerg.mueller@example.ch") as {
          id: string;
        }
      ).id;
      expect(first?.parsed.messageId).toBe(messageId);
      expect(first?.parsed.headers.get("auto-submitted")).toBe("auto-generated");
      expect(first?.parsed.headers.get("x-auto-response-suppress")).toBe("All");
      expect(first?.parsed.html).toMatch(/<li[\s>]/);

      // One audit line per mail.
      const audit = lines.filter((l) => l.audit === "mail" && l.outcome === "sent");
      expect(audit).toHaveLength(10);
      expect(audit.find((l) => l.recipient === "support@muster-reseller.example")?.accounts).toHaveLength(5);
    });

    it("sends the same notification once, and a reminder after the dedupe window", async () => {
      const { url, bridge } = await start({ dedupeWindowSeconds: 1.5 });
      const body = payload([
        alert({ account: "3723707", task: "quota", annotations: quotaAnnotations, fingerprint: "abc" }),
      ]);
      expect((await post(url, body)).status).toBe(200);
      expect((await post(url, body)).body).toMatchObject({ duplicates: 1 });
      await waitFor(
        "first mails",
        async () => (await settled(bridge)) && sink.to("anna@example.co.uk").length === 1,
      );
      await sleep(500);
      expect(sink.to("anna@example.co.uk")).toHaveLength(1);
      const metrics = await (await fetch(`${bridge.url}/metrics`)).text();
      expect(metrics).toContain('stoney_backup_bridge_mails_suppressed_total{reason="duplicate"} 1');
      await sleep(1200);
      expect((await post(url, body)).body).toMatchObject({ duplicates: 0 });
      await waitFor("reminder", () => sink.to("anna@example.co.uk").length === 2);
    });

    it("sends resolved mails where switched on and records them as suppressed where off", async () => {
      const { url, bridge } = await start();
      const body = payload([
        alert({ account: "3723707", task: "quota", status: "resolved", annotations: quotaAnnotations }),
        alert({ account: "3723707", task: "upgrade", status: "resolved", annotations: {} }),
      ]);
      expect((await post(url, body)).status).toBe(200);
      await waitFor(
        "resolved mail",
        async () => (await settled(bridge)) && sink.to("anna@example.co.uk").length === 1,
      );
      // Without the exporter's state the bridge cannot confirm it is solved: it says only what is certain.
      expect(subjects(sink, "anna@example.co.uk")).toEqual(["Backup 3723707: problem no longer reported"]);
      const outcomes = (await bridge.outbox.history("3723707", 100)).map((r) => `${r.task} ${r.outcome}`);
      expect(outcomes).toContain("upgrade suppressed: resolved mails off");
    });

    it("keeps mails while SMTP is down and delivers them once it is up", async () => {
      const { url, bridge } = await start({}, { started: false });
      await post(url, payload([alert({ account: "3723707", task: "quota", annotations: quotaAnnotations })]));
      await waitFor("a failed attempt", () => {
        const row = sqliteOf(bridge)
          .prepare("SELECT COUNT(*) AS n FROM attempts WHERE outcome = 'temporary'")
          .get() as {
          n: number;
        };
        return row.n >= 2;
      });
      expect(sink.mails).toHaveLength(0);
      await sink.start();
      await waitFor(
        "delivery after SMTP is back",
        async () => sink.to("anna@example.co.uk").length === 1 && (await settled(bridge)),
      );
      expect(sink.to("anna.smith@example.org")).toHaveLength(1);
      const metrics = await (await fetch(`${bridge.url}/metrics`)).text();
      expect(metrics).toMatch(/stoney_backup_bridge_mails_retried_total [1-9]/);
      expect(metrics).toContain("stoney_backup_bridge_mails_sent_total 2");
    });

    it("rejects a recipient the relay refuses (550) while it takes the other one", async () => {
      const { url, bridge } = await start();
      sink.rejected.add("anna@example.co.uk");
      await post(url, payload([alert({ account: "3723707", task: "quota", annotations: quotaAnnotations })]));
      await waitFor("both mails finished", () => settled(bridge));
      await sleep(500);
      const rows = sqliteOf(bridge)
        .prepare("SELECT recipient, state, attempts, last_error AS error FROM mails ORDER BY recipient")
        .all() as Array<{ recipient: string; state: string; attempts: number; error: string | null }>;
      expect(rows.map((r) => `${r.recipient} ${r.state}`)).toEqual([
        "anna.smith@example.org sent",
        "anna@example.co.uk rejected",
      ]);
      expect(rows[1]?.error).toContain("RCPT TO 550");
      expect(sink.to("anna.smith@example.org")).toHaveLength(1);
      const metrics = await (await fetch(`${bridge.url}/metrics`)).text();
      expect(metrics).toContain("stoney_backup_bridge_mails_failed_total 1");
    });

    it("keeps alerts while the directory is down and delivers after it is back", async () => {
      const { url, bridge } = await start();
      await slapd.stop();
      try {
        await post(
          url,
          payload([alert({ account: "3723707", task: "quota", annotations: quotaAnnotations })]),
        );
        await waitFor("directory errors", async () => {
          const metrics = await (await fetch(`${bridge.url}/metrics`)).text();
          return /stoney_backup_bridge_directory_errors_total [2-9]/.test(metrics);
        });
        expect((await bridge.outbox.stats()).pendingAlerts).toBe(1);
        expect((await bridge.outbox.history("3723707", 100))[0]?.outcome).toContain(
          "waiting for the directory",
        );
      } finally {
        await slapd.start();
      }
      await waitFor("delivery after the directory is back", () => sink.to("anna@example.co.uk").length === 1);
    });

    it("writes .eml files atomically with the file: transport", async () => {
      const mailDir = path.join(bridges.temp(), "eml");
      const { url, bridge } = await start({ smtp: { url: `file:${mailDir}` } });
      await post(url, payload([alert({ account: "3723702", task: "quota", annotations: quotaAnnotations })]));
      await waitFor("files", async () => (await settled(bridge)) && readdirSync(mailDir).length === 2);
      const files = readdirSync(mailDir);
      expect(files.every((f) => f.endsWith(".eml"))).toBe(true);
      const mails = await Promise.all(files.map((f) => simpleParser(readFileSync(path.join(mailDir, f)))));
      expect(mails.map((m) => m.to && !Array.isArray(m.to) && m.to.text).sort()).toEqual([
        "juerg.mueller@example.ch",
        "support@muster-reseller.example",
      ]);
      expect(mails[0]?.headers.get("auto-submitted")).toBe("auto-generated");
    });
  },
);
