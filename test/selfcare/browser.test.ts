import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alert, payload, type SmtpSink, smtpSink, waitFor } from "../bridge/support.js";
import { requireBinaries } from "../support/binaries.js";
import { openChromium, requireChromium, screenshot, seriousViolations } from "../support/browser.js";
import { exampleLdif, type Slapd, startSlapd } from "../support/slapd.js";
import {
  accountsBase,
  demo,
  type Harness,
  readAttribute,
  slapdDirectory,
  slapdSelfcare,
  startPortal,
  testPersons,
} from "./support.js";

const enabled = requireBinaries(["slapd", "slapadd"]) && requireChromium();

describe.runIf(enabled)("self-care portal in Chromium", () => {
  let slapd: Slapd;
  let smtp: SmtpSink;
  let harness: Harness;
  let url: string;
  const windows: Array<Awaited<ReturnType<typeof openChromium>>> = [];
  const screenshots: string[] = [];

  beforeAll(async () => {
    slapd = await startSlapd({ ldif: [exampleLdif, testPersons] });
    smtp = await smtpSink();
    harness = await startPortal(slapdDirectory(slapd), {
      selfcare: slapdSelfcare(slapd),
      bridge: { smtpUrl: smtp.url },
    });
    url = harness.portal.url;
  });
  afterAll(async () => {
    for (const window of windows) await window.close();
    await harness?.close();
    await smtp?.stop();
    await slapd?.dispose();
    if (screenshots.length > 0) console.log(`screenshots: ${screenshots.join(", ")}`);
  });

  const newPage = async (locale: string): Promise<Page> => {
    const window = await openChromium(locale);
    windows.push(window);
    return window.context.pages()[0] ?? window.context.newPage();
  };
  const shot = async (page: Page, name: string) => {
    screenshots.push(await screenshot(page, `selfcare-${name}`));
  };
  const expectAccessible = async (page: Page) => {
    const violations = await seriousViolations(page);
    expect(
      violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`),
    ).toEqual([]);
  };
  /** Press Tab until the focused element matches `selector` (keyboard only, as a person without a mouse). */
  const tabTo = async (page: Page, selector: string) => {
    for (let presses = 0; presses < 80; presses++) {
      await page.keyboard.press("Tab");
      if ((await page.locator(`${selector}:focus`).count()) === 1) return;
    }
    throw new Error(`Tab never reached ${selector}`);
  };
  const loginWithKeyboard = async (page: Page, credentials: { uid: string; password: string }) => {
    await page.goto(`${url}/login`);
    expect(await page.locator("#uid:focus").count()).toBe(1);
    await page.keyboard.type(credentials.uid);
    await page.keyboard.press("Tab");
    await page.keyboard.type(credentials.password);
    await Promise.all([page.waitForURL(`${url}/accounts`), page.keyboard.press("Enter")]);
  };
  const accountLinks = (page: Page) => page.locator("table.accounts tbody th a").allTextContents();

  it("a customer logs in, sees only their accounts, and changes the quota threshold with the keyboard alone", async () => {
    const page = await newPage("de-CH");
    await page.goto(`${url}/login`);
    await expectAccessible(page);
    await shot(page, "login-de");
    await loginWithKeyboard(page, demo.customer);
    expect(await page.locator("h1").textContent()).toBe("Ihre Backup-Konten");
    expect((await accountLinks(page)).sort()).toEqual(["3723701", "3723702", "3723709"]);
    await expectAccessible(page);
    await shot(page, "overview-customer-de");

    await tabTo(page, 'a[href="/accounts/3723701"]');
    await Promise.all([page.waitForURL(`${url}/accounts/3723701`), page.keyboard.press("Enter")]);
    expect(await page.locator("h1").textContent()).toBe("Konto 3723701");
    await expectAccessible(page);
    await shot(page, "account-de");

    await tabTo(page, 'a[href="/accounts/3723701/settings"]');
    await Promise.all([page.waitForURL(`${url}/accounts/3723701/settings`), page.keyboard.press("Enter")]);
    await expectAccessible(page);
    await tabTo(page, "#quotaWarningPercent");
    await page.keyboard.type("70");
    await shot(page, "settings-de");
    await Promise.all([page.waitForURL(/\/accounts\/3723701\?done=settings$/), page.keyboard.press("Enter")]);
    expect(await page.locator(".notice").textContent()).toBe("Gespeichert.");
    const quotaRow = page.locator("tr", { has: page.locator("th", { hasText: "Speicherwarnung ab (%)" }) });
    expect(await quotaRow.locator("td").allTextContents()).toEqual(["70", "dieses Konto"]);
    expect(await page.locator("text=setting quotaWarningPercent").count()).toBe(1);

    expect(await readAttribute(slapd, `uid=3723701,${accountsBase}`, "sstNotificationWarningLevel")).toEqual([
      "70",
    ]);
    await harness.exporter.collect();
    const exported = (await harness.exporter.status.accounts(["3723701"])).get("3723701");
    expect(exported?.quota.warningRatio).toBe(0.7);

    await page.goto(`${url}/accounts/3723704`);
    expect(await page.locator("h1").textContent()).toBe("Das dürfen Sie nicht sehen.");
  });

  it("a reseller contact sees every account of its reseller and none of another's, in French", async () => {
    const page = await newPage("fr-CH");
    await loginWithKeyboard(page, demo.reseller);
    expect(await page.locator("h1").textContent()).toBe("Vos comptes de sauvegarde");
    const shown = await accountLinks(page);
    expect([...shown].sort()).toEqual(["3723704", "3723705", "3723709", "3723710"]);
    for (const other of ["3723701", "3723702", "3723703", "3723706"]) expect(shown).not.toContain(other);
    await expectAccessible(page);
    await shot(page, "overview-reseller-fr");
    await page.goto(`${url}/resellers/4000002/settings`);
    expect(await page.locator("h1").textContent()).toBe(
      "Valeurs par défaut du revendeur 4000002 pour tous ses comptes",
    );
    await expectAccessible(page);
    await shot(page, "reseller-settings-fr");
    const response = await page.goto(`${url}/resellers/4000001/settings`);
    expect(response?.status()).toBe(403);
  });

  it("a colleague gets the English pages and the one account they are allowed on", async () => {
    const page = await newPage("en-GB");
    await loginWithKeyboard(page, demo.colleague);
    expect(await page.locator("h1").textContent()).toBe("Your backup accounts");
    expect(await accountLinks(page)).toEqual(["3723701"]);
    await page.goto(`${url}/accounts/3723701`);
    expect(await page.locator("body").textContent()).toContain(
      "You see this account because: you are allowed on it",
    );
    await expectAccessible(page);
    await shot(page, "account-colleague-en");
  });

  it("a pause set in the form suppresses a mail the bridge would have sent", async () => {
    const page = await newPage("de-CH");
    await loginWithKeyboard(page, demo.customer);
    await page.goto(`${url}/accounts/3723702/pause`);
    await expectAccessible(page);
    await shot(page, "pause-de");
    await page.fill("#comment", "Umzug");
    await Promise.all([
      page.waitForURL(/\/accounts\/3723702\?done=paused$/),
      page.click("form.pause button[type=submit]"),
    ]);
    expect(await page.locator(".notice").textContent()).toBe("Benachrichtigungen pausiert.");

    const bridge = harness.bridge;
    if (!bridge) throw new Error("the harness has no bridge");
    await fetch(`${bridge.url}/webhook`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(
        payload([alert({ account: "3723702", task: "quota" }), alert({ account: "3723701", task: "quota" })]),
      ),
    });
    await waitFor("the unpaused account's mail", () => smtp.to("backup@alpenblick.example").length > 0);
    await waitFor("the paused account's suppression", async () =>
      (await harness.outbox.history("3723702", 10)).some((row) =>
        row.outcome.startsWith("suppressed: paused by 5000001"),
      ),
    );
    expect(smtp.to("juerg.mueller@example.ch")).toHaveLength(0);
    await page.reload();
    expect(await page.locator("body").textContent()).toContain("suppressed: paused by 5000001 until");
    await expectAccessible(page);
    await shot(page, "account-paused-de");
  });

  it("asks for the login again after logout, and refuses a form without its CSRF token", async () => {
    const page = await newPage("en-GB");
    await loginWithKeyboard(page, demo.colleague);
    const forged = await page.request.post(`${url}/accounts/3723701/settings`, {
      form: { quotaWarningPercent: "60" },
    });
    expect(forged.status()).toBe(403);
    expect(await readAttribute(slapd, `uid=3723701,${accountsBase}`, "sstNotificationWarningLevel")).toEqual([
      "70",
    ]);
    await tabTo(page, "header button[type=submit]");
    await Promise.all([page.waitForURL(`${url}/login`), page.keyboard.press("Enter")]);
    await page.goto(`${url}/accounts`);
    expect(page.url()).toMatch(/\/login/);
  });
});
