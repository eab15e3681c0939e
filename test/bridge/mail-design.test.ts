import { mkdirSync } from "node:fs";
import path from "node:path";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PreviewOptions, previewMail } from "../../src/bridge/preview.js";
import { configSchema, type Language, tasks } from "../../src/config/index.js";
import { openChromium, requireChromium, testOutput } from "../support/browser.js";
import { captureLogger, exampleLdif } from "./support.js";

const portal = "https://selfcare.stoney-cloud.example/backup";
const download = "https://downloads.stoney-cloud.example/sepiola";
const config = configSchema.parse({
  directory: { url: `file:${exampleLdif}` },
  bridge: {
    smtp: { from: "stoney backup <backup@stoney-cloud.example>" },
    templates: {
      selfCareUrl: portal,
      clientDownloads: { "Sepiola Online Backup Client": download },
    },
  },
});
const quiet = captureLogger("fatal").logger;
const NOW = Date.parse("2026-12-01T07:00:00Z");
const folder = path.join(testOutput, "mails");
const widths = [390, 800] as const;
const languages: Language[] = ["de", "en", "fr"];

type Kind = { name: string; options: PreviewOptions };

/** Every kind of mail a customer or reseller gets: each task firing, resolved and partly solved, and the digests. */
const kinds: Kind[] = languages.flatMap((language) => [
  ...tasks.flatMap((task) =>
    (["firing", "resolved", "partial"] as const).flatMap((status) =>
      (["customer", "reseller"] as const).map((audience) => ({
        name: `${language}-${audience}-${task}-${status}`,
        options: { task, status, language, audience },
      })),
    ),
  ),
  ...(["customer", "reseller"] as const).map((audience) => ({
    name: `${language}-${audience}-digest`,
    options: { task: "digest" as const, status: "firing" as const, language, audience },
  })),
]);

interface Rendered {
  scrollWidth: number;
  lang: string;
  viewport: string | null;
  hrefs: string[];
  buttons: string[];
}

/** Evaluated in the page (the test's own types know no DOM). */
const inPage = `(() => ({
  scrollWidth: document.documentElement.scrollWidth,
  lang: document.documentElement.lang,
  viewport: document.querySelector('meta[name="viewport"]')?.getAttribute("content") ?? null,
  hrefs: [...document.querySelectorAll("a")].map((a) => a.href),
  buttons: [...document.querySelectorAll("a.sbm-button")].map((a) => a.textContent),
}))()`;

describe.skipIf(!requireChromium())("the HTML part of every mail in Chromium", () => {
  let browser: { context: BrowserContext; close(): Promise<void> };
  const requests: string[] = [];

  beforeAll(async () => {
    mkdirSync(folder, { recursive: true });
    browser = await openChromium("en-GB");
    // A mail loads nothing: no remote image, font or tracking pixel.
    await browser.context.route("**/*", (route) => {
      requests.push(route.request().url());
      return route.abort();
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it("fits 390 and 800 px without horizontal scrolling, links only to account pages, and loads nothing", async () => {
    const page = await browser.context.newPage();
    const written: string[] = [];
    for (const { name, options } of kinds) {
      const mail = await previewMail(config, options, quiet, NOW);
      for (const width of widths) {
        await page.setViewportSize({ width, height: 800 });
        await page.setContent(mail.html, { waitUntil: "load" });
        const rendered = await page.evaluate<Rendered>(inPage);
        const label = `${name} at ${width} px`;
        expect(rendered.scrollWidth, label).toBeLessThanOrEqual(width);
        expect(rendered.lang, label).toBe(options.language);
        expect(rendered.viewport, label).toContain("width=device-width");
        for (const href of rendered.hrefs)
          expect(href === download || href.startsWith(`${portal}/accounts/`), `${label}: ${href}`).toBe(true);
        if (options.task !== "digest") {
          expect(rendered.buttons, label).toHaveLength(1);
          expect(rendered.hrefs, label).toContain(`${portal}/accounts/3723702`);
          expect(rendered.buttons[0], label).toContain("3723702");
        }
        const file = `${name}-${width}.png`;
        await page.screenshot({ path: path.join(folder, file), fullPage: true });
        written.push(file);
      }
    }
    // Dark mode: the same layout, readable (light text on a dark card).
    await page.emulateMedia({ colorScheme: "dark" });
    for (const name of ["de-customer-quota-firing", "en-reseller-digest"]) {
      const kind = kinds.find((k) => k.name === name);
      if (!kind) throw new Error(name);
      await page.setViewportSize({ width: 390, height: 800 });
      await page.setContent((await previewMail(config, kind.options, quiet, NOW)).html);
      const colours = await page.evaluate<string[]>(
        `(() => { const card = getComputedStyle(document.querySelector(".sbm-card")); return [card.color, card.backgroundColor]; })()`,
      );
      expect(colours, name).toEqual(["rgb(230, 232, 235)", "rgb(30, 34, 39)"]);
      await page.screenshot({ path: path.join(folder, `${name}-390-dark.png`), fullPage: true });
    }
    expect(requests).toEqual([]);
    expect(written).toHaveLength(kinds.length * widths.length);
  }, 600_000);
});
