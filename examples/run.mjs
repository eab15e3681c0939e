// `npm run example`: start the exporter, the bridge and the self-care portal on the bundled example (LDIF directory, backup
// tree, mails written as .eml files), show what they see, and stand in for Alertmanager once by posting
// examples/alertmanager-notification.json to the bridge. The example's dates are moved to now first
// (into data/example/, which each run starts afresh), so every account shows its scenario whenever it
// runs. Ctrl-C stops everything.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { simpleParser } from "mailparser";
import { parse, stringify } from "yaml";
import { exampleNotification, writeExampleData } from "./shift-dates.mjs";

const examples = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(examples);
const work = path.join(root, "data/example");
const mailDir = path.join(work, "mail");
const exporter = "http://127.0.0.1:9851";
const bridge = "http://127.0.0.1:9852";
const portal = "http://127.0.0.1:9853";
const now = new Date();
const notification = exampleNotification(now);

// Each run starts from the example as it is now: no history, outbox or mails of an earlier run.
rmSync(work, { recursive: true, force: true });

// examples/config.yaml, reading the moved copies; its other paths already point into data/example.
const { backupRoot, ldif } = writeExampleData(work, now);
const config = parse(readFileSync(path.join(examples, "config.yaml"), "utf8"));
const inExamples = (file) => path.resolve(examples, file);
config.directory.url = `file:${ldif}`;
config.backup.root = backupRoot;
config.history.path = inExamples(config.history.path);
config.bridge.outbox = inExamples(config.bridge.outbox);
config.bridge.smtp.url = `file:${inExamples(config.bridge.smtp.url.slice("file:".length))}`;
const configFile = path.join(work, "config.yaml");
writeFileSync(
  configFile,
  `# Written by examples/run.mjs from examples/config.yaml with the dates of ${now.toISOString()}.\n${stringify(config)}`,
);

const monitor = spawn(process.execPath, [path.join(root, "dist/cli.js"), "--config", configFile, "start"], {
  stdio: ["ignore", "inherit", "inherit"],
});
monitor.on("exit", (code) => process.exit(code ?? 1));
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => monitor.kill(signal));

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitReady(url) {
  for (let attempt = 0; attempt < 120; attempt++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await sleep(500);
  }
  throw new Error(`${url} did not become ready`);
}

const countMails = () =>
  existsSync(mailDir) ? readdirSync(mailDir).filter((f) => f.endsWith(".eml")).length : 0;

async function main() {
  await waitReady(`${exporter}/readyz`);
  await waitReady(`${bridge}/readyz`);
  const metrics = await (await fetch(`${exporter}/metrics`)).text();
  const interesting =
    /^stoney_backup_(quota_used_ratio|missed_schedules|consecutive_failures|client_outdated|never_used|last_run_status)\{/;
  console.log("\n--- a few of the exporter's metrics (all at %s/metrics)", exporter);
  for (const line of metrics.split("\n"))
    if (interesting.test(line) && !line.endsWith(" 0")) console.log(line);

  const post = () =>
    fetch(`${bridge}/webhook`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(notification),
    });
  const first = await post();
  console.log("\n--- posted examples/alertmanager-notification.json to the bridge: HTTP %d", first.status);
  // Alertmanager delivers at least once; the same alerts again are recognised and not mailed twice.
  const again = await post();
  const { duplicates } = await again.json();
  console.log("--- posted it again: HTTP %d, %d duplicates, not mailed again", again.status, duplicates);
  // Coalescing holds mails for a few seconds.
  let seen = 0;
  for (let quiet = 0, waited = 0; quiet < 6 && waited < 90; waited++) {
    await sleep(1000);
    const count = countMails();
    quiet = count === seen && count > 0 ? quiet + 1 : 0;
    seen = count;
  }
  console.log("--- %d mails in %s:", seen, path.relative(process.cwd(), mailDir));
  for (const file of readdirSync(mailDir)
    .filter((f) => f.endsWith(".eml"))
    .sort()) {
    const mail = await simpleParser(readFileSync(path.join(mailDir, file)));
    console.log("  %s  to: %s  subject: %s", file, mail.to?.text ?? "", mail.subject ?? "");
  }
  await waitReady(`${portal}/healthz`);
  console.log("\n--- self-care portal: %s/login (docs/selfcare.md)", portal);
  console.log("  5000001 / demo-customer   a customer (German): accounts 3723701, 3723702, 3723709");
  console.log("  5000004 / demo-colleague  a colleague allowed on account 3723701 (English)");
  console.log("  5000010 / demo-reseller   the contact of reseller 4000002 (French): its four accounts");
  console.log("\nexporter %s  bridge %s  portal %s  (Ctrl-C to stop)", exporter, bridge, portal);
}

main().catch((error) => {
  console.error(error.message);
  monitor.kill("SIGTERM");
});
