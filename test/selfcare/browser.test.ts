import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tasks } from "../../src/config/index.js";
import { settingNames } from "../../src/directory/index.js";
import { catalogs, type MessageKey } from "../../src/selfcare/i18n.js";
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

/**
 * The only texts that are the same in English and the page's language: any other English catalog text
 * on a German or French page is one somebody forgot to translate.
 */
const sameAsEnglish: Record<"de" | "fr", readonly MessageKey[]> = {
  de: ["col.computer", "col.status"],
  // Durations read "12 min 7 s" and "1 h 20 min" in French as in English.
  fr: ["overview.pages", "duration.ms", "duration.hm", "duration.s"],
};

/** Run in the page: its visible text nodes, and the titles and labels shown on hover or before cells. */
const visibleTexts = `(() => {
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    if (text && node.parentElement && node.parentElement.checkVisibility({ visibilityProperty: true })) found.push(text);
  }
  for (const element of document.querySelectorAll("[title], [aria-label], [data-label]"))
    for (const name of ["title", "aria-label", "data-label"]) {
      const value = element.getAttribute(name);
      if (value) found.push(value);
    }
  return found;
})()`;

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
    expect(await page.locator("td", { hasText: "Speicherwarnung ab (%) geändert" }).count()).toBe(1);

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
    expect(await page.locator("body").textContent()).toMatch(
      /nicht gesendet: pausiert von 5000001 bis \d{2}\.\d{2}\.\d{4}, 23:59/,
    );
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

  describe("every page, for each demo login, on a phone and a desktop", () => {
    const logins = [
      { name: "customer", locale: "de-CH", language: "de", credentials: demo.customer, resellers: [] },
      { name: "colleague", locale: "en-GB", language: "en", credentials: demo.colleague, resellers: [] },
      {
        name: "reseller",
        locale: "fr-CH",
        language: "fr",
        credentials: demo.reseller,
        resellers: ["4000002"],
      },
    ] as const;
    const widths = [390, 1366] as const;

    beforeAll(async () => {
      // The same alert again within the dedupe window: the history then shows a duplicate too.
      const bridge = harness.bridge;
      if (!bridge) throw new Error("the harness has no bridge");
      const again = alert({ account: "3723701", task: "unsuccessful", fingerprint: "fp-sweep-duplicate" });
      for (let post = 0; post < 2; post++)
        await fetch(`${bridge.url}/webhook`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(payload([again])),
        });
      await waitFor("the duplicate in the history", async () =>
        (await harness.outbox.history("3723701", 20)).some((row) => row.outcome === "suppressed: duplicate"),
      );
    });

    /** Texts on a de or fr page that are English catalog strings, internal names or machine dates. */
    const untranslated = async (page: Page, language: "de" | "fr" | "en") => {
      const texts = (await page.evaluate(visibleTexts)) as string[];
      const english = Object.entries(catalogs.en)
        .filter(([key]) => language !== "en" && !sameAsEnglish[language].includes(key as MessageKey))
        .map(([, text]) => text)
        .map(
          (text) => new RegExp(`^${text.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{\w+\}/g, ".+")}$`),
        );
      // Setting and task names, the bridge's states, catalog keys ("col.quota"), machine timestamps.
      const names = [
        ...settingNames,
        ...tasks.filter((task) => task !== "quota"),
        "firing",
        "suppressed",
        "queued",
      ];
      const keyGroups = [...new Set(Object.keys(catalogs.en).flatMap((key) => key.split(".").slice(0, -1)))];
      const internal = new RegExp(
        `\\b(${names.join("|")})\\b|\\b(${keyGroups.join("|")})\\.[a-zA-Z]+\\b|\\d{4}-\\d{2}-\\d{2}T\\d{2}`,
      );
      return texts.filter(
        (text) =>
          english.some((pattern) => pattern.test(text)) ||
          (internal.test(text) && !/@|\.example\b/.test(text)),
      );
    };

    const expectFits = async (page: Page, width: number) => {
      const scrollWidth = await page.evaluate("document.documentElement.scrollWidth");
      expect(scrollWidth, page.url()).toBeLessThanOrEqual(width);
    };

    for (const login of logins)
      it(`${login.name} (${login.language}): no page wider than the screen, untranslated or inaccessible`, async () => {
        const page = await newPage(login.locale);
        await page.setViewportSize({ width: 390, height: 844 });
        await page.goto(`${url}/login`);
        await expectFits(page, 390);
        await shot(page, `login-${login.language}-390`);
        await loginWithKeyboard(page, login.credentials);
        const accounts = (await accountLinks(page)).sort();
        const first = accounts[0] ?? "";
        const paths = [
          ["overview", "/accounts"],
          ["problems", "/accounts?problems=1"],
          ...accounts.map((uid) => [`account-${uid}`, `/accounts/${uid}`]),
          ["settings", `/accounts/${first}/settings`],
          ["pause", `/accounts/${first}/pause`],
          ...login.resellers.map((uid) => [`reseller-${uid}`, `/resellers/${uid}/settings`]),
          ["forbidden", "/accounts/3723703"],
        ];
        for (const width of widths) {
          await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
          for (const [name, path] of paths) {
            await page.goto(`${url}${path}`);
            await expectFits(page, width);
            expect(await untranslated(page, login.language), `${path} at ${width}`).toEqual([]);
            await expectAccessible(page);
            await shot(page, `${login.name}-${name}-${login.language}-${width}`);
          }
        }

        await page.setViewportSize({ width: 390, height: 844 });
        await page.goto(`${url}/accounts`);
        const label = await page.locator("label.check").boundingBox();
        const box = await page.locator("#problems").boundingBox();
        if (!label || !box) throw new Error("the problems-only control is missing");
        // Checkbox and its words on one line, side by side.
        expect(box.y).toBeGreaterThanOrEqual(label.y - 1);
        expect(box.y + box.height).toBeLessThanOrEqual(label.y + label.height + 1);
        expect(label.height).toBeLessThan(2 * box.height + 8);

        // A refused value is named in the person's words, with the bounds.
        await page.goto(`${url}/accounts/${first}/settings`);
        await page.evaluate('document.querySelector("form.settings").setAttribute("novalidate", "")');
        await page.fill("#quotaWarningPercent", "5");
        await Promise.all([page.waitForLoadState(), page.click("form.settings button[type=submit]")]);
        const notice = (await page.locator(".notice.error").textContent()) ?? "";
        expect(notice).toContain(
          {
            de: "Speicherwarnung ab (%)",
            en: "Quota warning at (%)",
            fr: "Avertir à partir de (%) d’espace",
          }[login.language],
        );
        expect(notice).toMatch(/50\D+99/);
        expect(await page.locator("#quotaWarningPercent[aria-invalid=true]").count()).toBe(1);
        // The other fields were left empty: they still say what applies.
        expect(await page.locator("#failuresThreshold").inputValue()).toBe("");
        expect(await page.locator("#failuresThreshold-inherited").textContent()).toMatch(
          { de: /^Gilt jetzt: 1, /, en: /^In effect: 1, /, fr: /^En vigueur\u202f: 1, / }[login.language],
        );
        await expectFits(page, 390);
        expect(await untranslated(page, login.language)).toEqual([]);
        await expectAccessible(page);
        await shot(page, `${login.name}-settings-refused-${login.language}-390`);
      }, 300_000);
  });
});
