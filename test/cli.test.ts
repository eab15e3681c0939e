import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { simpleParser } from "mailparser";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { freePort, repoRoot, spawnCli, waitFor } from "./support/common.js";

const dir = mkdtempSync(path.join(tmpdir(), "stoney-start-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("start: exporter, bridge and portal in one process on the example", () => {
  it("serves the example metrics, mails what Alertmanager posts, serves the portal, and stops on SIGTERM", async () => {
    const [exporterPort, bridgePort, portalPort] = [await freePort(), await freePort(), await freePort()];
    const example = parse(readFileSync(path.join(repoRoot, "examples/config.yaml"), "utf8"));
    const mailDir = path.join(dir, "mail");
    const config = {
      ...example,
      directory: { ...example.directory, url: `file:${path.join(repoRoot, "examples/directory.ldif")}` },
      backup: { ...example.backup, root: path.join(repoRoot, "examples/backup") },
      history: { path: path.join(dir, "history.sqlite") },
      exporter: { ...example.exporter, listen: { host: "127.0.0.1", port: exporterPort } },
      bridge: {
        ...example.bridge,
        listen: { host: "127.0.0.1", port: bridgePort },
        outbox: path.join(dir, "outbox.sqlite"),
        coalesceSeconds: 0.2,
        smtp: { ...example.bridge.smtp, url: `file:${mailDir}` },
      },
      selfcare: { ...example.selfcare, listen: { host: "127.0.0.1", port: portalPort }, baseUrl: undefined },
    };
    const configFile = path.join(dir, "config.yaml");
    writeFileSync(configFile, stringify(config));
    const { child, exited, stderr } = spawnCli(["--config", configFile, "start"]);
    try {
      const exporter = `http://127.0.0.1:${exporterPort}`;
      const bridge = `http://127.0.0.1:${bridgePort}`;
      await waitFor("the exporter's first collection", async () => (await fetch(`${exporter}/readyz`)).ok);
      const metrics = await (await fetch(`${exporter}/metrics`)).text();
      expect(metrics).toMatch(/^stoney_backup_quota_used_ratio\{account="3723702"\} 0\.9\d+$/m);

      const posted = await fetch(`${bridge}/webhook`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: readFileSync(path.join(repoRoot, "examples/alertmanager-notification.json")),
      });
      expect(posted.status).toBe(200);
      // 3723702 quota → Jürg (customer) + Muster Reseller; 3723703 → its reseller only (opted out);
      // 3723704 → Zoë + Éclair's contact; 3723705 → Éclair's contact (person missing);
      // 3723706 → Muster Reseller (no customer address); the operator alert → ops. Mails to one
      // reseller are coalesced into one.
      const recipients = await waitFor("the example's mails", async () => {
        const files = readdirSync(mailDir).filter((f) => f.endsWith(".eml"));
        const mails = await Promise.all(files.map((f) => simpleParser(readFileSync(path.join(mailDir, f)))));
        const to = mails.flatMap((m) => [m.to ?? []].flat().flatMap((a) => a.value.map((v) => v.address)));
        return to.length >= 5 ? to.sort() : undefined;
      });
      const login = await fetch(`http://127.0.0.1:${portalPort}/login`);
      expect(login.status).toBe(200);
      expect(login.headers.get("content-security-policy")).toContain("default-src 'none'");
      expect(recipients).toEqual([
        "juerg.mueller@example.ch",
        "ops@stoney-cloud.example",
        "support@eclair.example",
        "support@muster-reseller.example",
        "zoe.lefevre@example.fr",
      ]);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited, stderr()).toBe(0);
  });
});
