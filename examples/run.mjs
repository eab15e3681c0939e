// `npm run example`: start the exporter and the bridge on the bundled example (LDIF directory, backup
// tree, mails written as .eml files), show what they see, and stand in for Alertmanager once by posting
// examples/alertmanager-notification.json to the bridge. Ctrl-C stops everything.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { simpleParser } from "mailparser";

const examples = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(examples);
const mailDir = path.join(root, "data/example/mail");
const exporter = "http://127.0.0.1:9851";
const bridge = "http://127.0.0.1:9852";

const monitor = spawn(
  process.execPath,
  [path.join(root, "dist/cli.js"), "--config", path.join(examples, "config.yaml"), "start"],
  { stdio: ["ignore", "inherit", "inherit"] },
);
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

  const before = countMails();
  const response = await fetch(`${bridge}/webhook`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: readFileSync(path.join(examples, "alertmanager-notification.json")),
  });
  console.log("\n--- posted examples/alertmanager-notification.json to the bridge: HTTP %d", response.status);
  let seen = before;
  // Coalescing holds mails for a few seconds; a second run posts the same alerts again, which the
  // bridge recognises as duplicates and does not mail twice.
  for (let quiet = 0, waited = 0; quiet < 6 && (waited < 20 || seen > before) && waited < 90; waited++) {
    await sleep(1000);
    const now = countMails();
    quiet = now === seen && now > before ? quiet + 1 : 0;
    seen = now;
  }
  console.log(
    "--- %d new mails in %s%s:",
    seen - before,
    path.relative(process.cwd(), mailDir),
    seen === before ? " (the same alerts were mailed by an earlier run: duplicates are not sent again)" : "",
  );
  for (const file of readdirSync(mailDir)
    .filter((f) => f.endsWith(".eml"))
    .sort()) {
    const mail = await simpleParser(readFileSync(path.join(mailDir, file)));
    console.log("  %s  to: %s  subject: %s", file, mail.to?.text ?? "", mail.subject ?? "");
  }
  console.log("\nexporter %s  bridge %s  (Ctrl-C to stop)", exporter, bridge);
}

main().catch((error) => {
  console.error(error.message);
  monitor.kill("SIGTERM");
});
