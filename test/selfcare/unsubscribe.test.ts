import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningBridge } from "../../src/bridge/index.js";
import { signClaim } from "../../src/bridge/unsubscribe.js";
import type { Config } from "../../src/config/index.js";
import { explainCommand } from "../../src/directory/commands.js";
import {
  explainUnsubscriptions,
  type RunningSelfcare,
  resubscribeCommand,
  type SqliteSelfcareStore,
} from "../../src/selfcare/index.js";
import {
  alert,
  payload,
  quotaAnnotations,
  type SmtpSink,
  smtpSink,
  testConfig,
  waitFor,
} from "../bridge/support.js";
import { openChromium, requireChromium, screenshot, seriousViolations } from "../support/browser.js";
import { type BridgeAndPortal, demo, login, startBridgeAndPortal } from "./support.js";

const secret = "the key of the one-click links in this test, 48 chars";
const base = "https://selfcare.stoney.example";
const customer = "juerg.mueller@example.ch";
const reseller = "support@muster-reseller.example";

/** RFC 8058's example request body: a mail client posts the one-click as multipart/form-data. */
const multipart = {
  headers: { "content-type": "multipart/form-data; boundary=---FormBoundaryjWmhtjORrn" },
  body: '-----FormBoundaryjWmhtjORrn\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n-----FormBoundaryjWmhtjORrn--\r\n',
};
const urlencoded = {
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: "List-Unsubscribe=One-Click",
};

/** Captures what a command writes. */
const output = () => {
  const written = { stdout: [] as string[], stderr: [] as string[] };
  return {
    text: {
      get stdout() {
        return written.stdout.join("");
      },
      get stderr() {
        return written.stderr.join("");
      },
    },
    stdout: { write: (chunk: string) => written.stdout.push(chunk) > 0 },
    stderr: { write: (chunk: string) => written.stderr.push(chunk) > 0 },
  };
};

describe("one-click unsubscribing (RFC 8058) through the portal", () => {
  let dir: string;
  let smtp: SmtpSink;
  let config: Config;
  let running: BridgeAndPortal;
  let bridge: RunningBridge;
  let portal: RunningSelfcare;
  let store: SqliteSelfcareStore;
  let fingerprint = 0;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "stoney-unsubscribe-"));
    smtp = await smtpSink();
    config = testConfig({
      dir,
      bridge: {
        smtp: { url: smtp.url },
        dedupeWindowSeconds: 0,
        templates: { selfCareUrl: base },
        unsubscribe: { secret },
      },
    });
    running = await startBridgeAndPortal(config);
    ({ bridge, portal, store } = running);
  });
  afterAll(async () => {
    await running?.close();
    await smtp?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A new quota alert about 3723702 (customer Jürg, reseller Muster); resolves once both were sent or suppressed. */
  const quotaAlert = async () => {
    const before = (await bridge.outbox.history("3723702", 100)).length;
    const response = await fetch(`${bridge.url}/webhook`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(
        payload([
          alert({
            account: "3723702",
            task: "quota",
            annotations: quotaAnnotations,
            fingerprint: `unsubscribe-${fingerprint++}`,
          }),
        ]),
      ),
    });
    expect(response.status).toBe(200);
    return waitFor("the alert's two mails sent or suppressed", async () => {
      const rows = await bridge.outbox.history("3723702", 100);
      const done = (outcome: string) => outcome === "sent" || outcome.startsWith("suppressed: ");
      return rows.length >= before + 2 && rows.slice(0, 2).every((r) => done(r.outcome))
        ? rows.slice(0, 2)
        : undefined;
    });
  };

  /** The path of the one-click link in the newest mail to `address`. */
  const linkOfLastMail = (address: string): string => {
    const mail = smtp.to(address).at(-1);
    const list = mail?.parsed.headers.get("list") as { unsubscribe?: { url: string } } | undefined;
    const url = list?.unsubscribe?.url ?? "";
    expect(url.startsWith(`${base}/unsubscribe/`)).toBe(true);
    return url.slice(base.length);
  };

  const unsubscriptions = () => store.activeUnsubscriptions([customer, reseller]);

  it("refuses a forged, an altered and an expired link with 400 and changes nothing", async () => {
    await quotaAlert();
    await waitFor("the customer's mail", () => smtp.to(customer).length > 0);
    const link = linkOfLastMail(customer);
    const [payloadPart, signature] = link.slice("/unsubscribe/".length).split(".");
    const claim = JSON.parse(Buffer.from(payloadPart ?? "", "base64url").toString("utf8")) as Record<
      string,
      unknown
    >;
    const altered = Buffer.from(JSON.stringify({ ...claim, a: "someone.else@example.ch" })).toString(
      "base64url",
    );
    const links = {
      forged: `/unsubscribe/${signClaim("another key, as long as the real one, 48 chars!", { address: customer, stream: "alerts:3723702", expires: Date.now() + 86_400_000 })}`,
      altered: `/unsubscribe/${altered}.${signature}`,
      truncated: link.slice(0, -3),
      expired: `/unsubscribe/${signClaim(secret, { address: customer, stream: "alerts:3723702", expires: Date.now() - 1000 })}`,
    };
    for (const [name, target] of Object.entries(links)) {
      const posted = await fetch(`${portal.url}${target}`, { method: "POST", ...multipart });
      expect(posted.status, name).toBe(400);
      const page = await posted.text();
      expect(page, name).toContain(
        name === "expired" ? "This unsubscribe link has expired." : "This unsubscribe link is not valid.",
      );
      expect((await fetch(`${portal.url}${target}`)).status, name).toBe(400);
    }
    expect(await unsubscriptions()).toEqual([]);
    expect((await store.audit("3723702", 10)).filter((a) => a.action === "unsubscribe")).toEqual([]);
  });

  it("answers a GET with the question and a button and changes nothing; the button unsubscribes", async () => {
    await quotaAlert();
    const link = linkOfLastMail(reseller);
    const page = await fetch(`${portal.url}${link}`, { headers: { "accept-language": "fr-CH" } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(
      "Voulez-vous que support@muster-reseller.example ne reçoive plus les avertissements concernant le compte de sauvegarde 3723702\u202f?",
    );
    const action = /<form method="post" action="([^"]+)" class="unsubscribe">/.exec(html)?.[1];
    expect(action).toBeDefined();
    expect(html).toContain('<input type="hidden" name="List-Unsubscribe" value="One-Click">');
    expect(await unsubscriptions()).toEqual([]);

    // A POST without the one-click body asks again and changes nothing.
    const bare = await fetch(`${portal.url}${link}`, { method: "POST" });
    expect(bare.status).toBe(400);
    expect(await unsubscriptions()).toEqual([]);

    // The browser posts the form to its action, relative to the page.
    const pressed = await fetch(new URL(action ?? "", `${portal.url}${link}`), {
      method: "POST",
      ...urlencoded,
    });
    expect(pressed.status).toBe(200);
    expect(await pressed.text()).toContain(
      "support@muster-reseller.example no longer receives the warnings about backup account 3723702.",
    );
    const [made] = await unsubscriptions();
    expect(made).toMatchObject({ address: reseller, stream: "alerts:3723702", createdBy: reseller });
    // The reseller hears no more about 3723702; the customer still does.
    const rows = await quotaAlert();
    expect(rows.map((r) => r.outcome)).toContainEqual(
      `suppressed: unsubscribed: ${reseller} from alerts of account 3723702 on ${new Date().toISOString().slice(0, 10)}`,
    );
    expect(rows.map((r) => r.recipient)).toContain(customer);
    // The customer neither sees nor undoes the reseller's choice.
    const owner = await login(portal.url, demo.customer);
    const details = (await (await owner.call("GET", "/api/v1/accounts/3723702")).json()) as {
      unsubscriptions: unknown[];
    };
    expect(details.unsubscriptions).toEqual([]);
    expect((await owner.call("DELETE", `/api/v1/accounts/3723702/unsubscriptions/${made?.id}`)).status).toBe(
      404,
    );
    expect(await unsubscriptions()).toHaveLength(1);
    if (made) await store.endUnsubscription(made.id, "test", Date.now());
  });

  it("unsubscribes on the one-click POST, audits it, shows it in the portal and explain, and the portal undoes it", async () => {
    await quotaAlert();
    const link = linkOfLastMail(customer);
    const mailsBefore = smtp.to(customer).length;

    const posted = await fetch(`${portal.url}${link}`, { method: "POST", ...multipart });
    expect(posted.status).toBe(200);
    // A second press changes nothing more.
    expect((await fetch(`${portal.url}${link}`, { method: "POST", ...multipart })).status).toBe(200);
    const active = await unsubscriptions();
    expect(active).toHaveLength(1);
    const [unsubscription] = active;
    expect(unsubscription).toMatchObject({ address: customer, stream: "alerts:3723702" });
    const audit = (await store.audit("3723702", 10)).filter((a) => a.personUid === customer);
    expect(audit).toEqual([
      expect.objectContaining({ personUid: customer, action: "unsubscribe", newValue: "alerts:3723702" }),
    ]);

    // The next mail of that stream to that address is suppressed, with the reason in the history.
    const day = new Date().toISOString().slice(0, 10);
    const rows = await quotaAlert();
    expect(rows.map((r) => r.outcome)).toContain(
      `suppressed: unsubscribed: ${customer} from alerts of account 3723702 on ${day}`,
    );
    await waitFor("the reseller's mail", () => smtp.to(reseller).length >= 4);
    expect(smtp.to(customer)).toHaveLength(mailsBefore);
    const metrics = await (await fetch(`${bridge.url}/metrics`)).text();
    expect(metrics).toMatch(/^stoney_backup_bridge_mails_suppressed_total\{reason="unsubscribed"\} [1-9]/m);

    // explain shows it, with its id.
    const explained = output();
    expect(await explainCommand(config, ["3723702"], explained, explainUnsubscriptions(store))).toBe(0);
    expect(explained.text.stdout).toContain(
      `unsubscribed (undo: the account's page in the portal, or \`resubscribe <id>\`)\n  ${customer}  from alerts of account 3723702  since `,
    );
    expect(explained.text.stdout).toContain(`by ${customer}  (id ${unsubscription?.id})`);

    // The portal shows it to the account's owner, who undoes it.
    const owner = await login(portal.url, demo.customer);
    const details = (await (await owner.call("GET", "/api/v1/accounts/3723702")).json()) as {
      unsubscriptions: { id: number; address: string }[];
      audit: { action: string }[];
    };
    expect(details.unsubscriptions).toEqual([
      expect.objectContaining({ id: unsubscription?.id, address: customer }),
    ]);
    expect(details.audit.map((a) => a.action)).toContain("unsubscribe");
    const page = await (await owner.call("GET", "/accounts/3723702")).text();
    expect(page).toContain("Abbestellte E-Mails");
    expect(page).toContain(`action="/accounts/3723702/unsubscriptions/${unsubscription?.id}/end"`);
    const undone = await owner.call(
      "POST",
      `/accounts/3723702/unsubscriptions/${unsubscription?.id}/end`,
      undefined,
      {
        "content-type": "application/x-www-form-urlencoded",
      },
    );
    // Without the CSRF field the form is refused.
    expect(undone.status).toBe(403);
    const withToken = await fetch(
      `${portal.url}/accounts/3723702/unsubscriptions/${unsubscription?.id}/end`,
      {
        method: "POST",
        redirect: "manual",
        headers: { cookie: owner.cookie, "content-type": "application/x-www-form-urlencoded" },
        body: `_csrf=${encodeURIComponent(owner.csrfToken)}`,
      },
    );
    expect(withToken.status).toBe(303);
    expect(withToken.headers.get("location")).toBe("/accounts/3723702?done=resubscribed");
    expect(await unsubscriptions()).toEqual([]);
    expect((await store.audit("3723702", 10))[0]).toMatchObject({
      personUid: "5000001",
      action: "unsubscribe undone",
      oldValue: "alerts:3723702",
    });
    await quotaAlert();
    await waitFor("the customer's mail again", () => smtp.to(customer).length > mailsBefore);

    // Nothing left to undo: the portal answers 404, and so does the command.
    const again = await owner.call(
      "DELETE",
      `/api/v1/accounts/3723702/unsubscriptions/${unsubscription?.id}`,
    );
    expect(again.status).toBe(404);
    const command = output();
    expect(await resubscribeCommand(store, unsubscription?.id ?? 0, command)).toBe(1);
    expect(command.text.stderr).toBe(`resubscribe: no unsubscription ${unsubscription?.id} in force\n`);
  });

  it("lets the operator undo an unsubscription from every account's alerts with resubscribe", async () => {
    const { unsubscription } = await store.unsubscribe(customer, "alerts", customer, Date.now());
    const rows = await quotaAlert();
    expect(rows.map((r) => r.outcome)).toContainEqual(
      expect.stringMatching(
        /^suppressed: unsubscribed: juerg\.mueller@example\.ch from alerts about every account on /,
      ),
    );
    const command = output();
    expect(await resubscribeCommand(store, unsubscription.id, command)).toBe(0);
    expect(command.text.stdout).toBe(`${customer} receives alerts about every account again\n`);
    expect((await store.audit(`mail:${customer}`, 10)).map((a) => [a.personUid, a.action])).toEqual([
      ["operator", "unsubscribe undone"],
    ]);
    expect(await unsubscriptions()).toEqual([]);
    // The page of an account the address gets mail about shows that trail too.
    const owner = await login(portal.url, demo.customer);
    const details = (await (await owner.call("GET", "/api/v1/accounts/3723702")).json()) as {
      audit: { personUid: string; action: string; oldValue?: string }[];
    };
    expect(details.audit[0]).toMatchObject({
      personUid: "operator",
      action: "unsubscribe undone",
      oldValue: "alerts",
    });
  });

  it.runIf(requireChromium())(
    "in Chromium the question is accessible, and pressing its button unsubscribes",
    async () => {
      const link = `/unsubscribe/${signClaim(secret, { address: customer, stream: "digest", expires: Date.now() + 86_400_000 })}`;
      const window = await openChromium("de-CH");
      try {
        const page = window.context.pages()[0] ?? (await window.context.newPage());
        await page.goto(`${portal.url}${link}`);
        expect(await page.locator("h1").textContent()).toBe("Diese E-Mails abbestellen?");
        expect(await seriousViolations(page)).toEqual([]);
        await screenshot(page, "selfcare-unsubscribe-question");
        expect(await unsubscriptions()).toEqual([]);
        await Promise.all([page.waitForLoadState("load"), page.locator("form.unsubscribe button").click()]);
        await page.locator("h1", { hasText: "Abbestellt" }).waitFor();
        expect(await page.locator("main").textContent()).toContain(
          `${customer} erhält die Backup-Berichte (die Wochen- oder Monatsübersicht) nicht mehr.`,
        );
        await screenshot(page, "selfcare-unsubscribe-done");
      } finally {
        await window.close();
      }
      expect(await unsubscriptions()).toMatchObject([{ address: customer, stream: "digest" }]);
    },
  );
});
