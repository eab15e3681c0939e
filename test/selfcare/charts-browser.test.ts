import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dayOf, openJournalWriter } from "../../src/journal/index.js";
import { createLogger } from "../../src/log.js";
import { requireBinaries } from "../support/binaries.js";
import { openChromium, requireChromium, screenshot, seriousViolations } from "../support/browser.js";
import { exampleLdif, type Slapd, startSlapd } from "../support/slapd.js";
import { demo, type Harness, slapdDirectory, slapdSelfcare, startPortal, testPersons } from "./support.js";

const enabled = requireBinaries(["slapd", "slapadd"]) && requireChromium();
const DAY = 86_400_000;
const account = "3723701";
const host = "EMPFANG-PC";

/**
 * 90 days of journal for the account up to today (the portal reads it at the real time): runs on its
 * Monday/Wednesday/Friday plan, every fifth one failed, two planned days without a run, a week the
 * exporter was down (no usage, no runs), and storage growing by 50 MB a day towards 10 GB.
 */
async function seedJournal(harness: Harness): Promise<void> {
  const writer = openJournalWriter(harness.config.history, createLogger("fatal"));
  const today = dayOf(Date.now());
  let planned = 0;
  for (let day = today - 89; day <= today - 1; day++) {
    if (day >= today - 50 && day <= today - 44) continue;
    writer.recordUsage(
      account,
      { usedBytes: 6_000_000_000 + (day - today + 89) * 50_000_000, quotaBytes: 10_000_000_000 },
      new Date(day * DAY + 3_600_000),
    );
    const weekday = new Date(day * DAY).getUTCDay();
    if (![1, 3, 5].includes(weekday)) continue;
    planned += 1;
    if (planned === 7 || planned === 12) continue;
    const startedMs = day * DAY + 18.5 * 3_600_000;
    writer.recordRun({
      account,
      host,
      runId: `seed-${day}`,
      startedMs,
      endedMs: startedMs + (10 + (planned % 4) * 10) * 60_000,
      success: planned % 5 !== 0,
      clientVersion: "2.6.1",
    });
  }
  await writer.close();
}

describe.runIf(enabled)("account page charts in Chromium", () => {
  let slapd: Slapd;
  let harness: Harness;
  const windows: Array<Awaited<ReturnType<typeof openChromium>>> = [];
  const screenshots: string[] = [];

  beforeAll(async () => {
    slapd = await startSlapd({ ldif: [exampleLdif, testPersons] });
    harness = await startPortal(slapdDirectory(slapd), { selfcare: slapdSelfcare(slapd) });
    await seedJournal(harness);
  });
  afterAll(async () => {
    for (const window of windows) await window.close();
    await harness?.close();
    await slapd?.dispose();
    if (screenshots.length > 0) console.log(`screenshots: ${screenshots.join(", ")}`);
  });

  const accountPage = async (width: number): Promise<Page> => {
    const window = await openChromium("de-CH");
    windows.push(window);
    const page = window.context.pages()[0] ?? (await window.context.newPage());
    await page.setViewportSize({ width, height: 900 });
    await page.goto(`${harness.portal.url}/login`);
    await page.fill("#uid", demo.customer.uid);
    await page.fill("#password", demo.customer.password);
    await Promise.all([page.waitForURL(/\/accounts$/), page.press("#password", "Enter")]);
    await page.goto(`${harness.portal.url}/accounts/${account}`);
    return page;
  };

  for (const width of [390, 1366])
    it(`shows the timeline, durations and storage trend with text alternatives at ${width} px, no sideways scrolling`, async () => {
      const page = await accountPage(width);
      // Each chart is an image whose name and description come from its own title and desc.
      const charts = (await page.evaluate(`[...document.querySelectorAll("svg.chart")].map((svg) => ({
        role: svg.getAttribute("role"),
        text: (svg.getAttribute("aria-labelledby") ?? "").split(" ")
          .map((id) => document.getElementById(id)?.textContent ?? "").join(" | "),
      }))`)) as { role: string | null; text: string }[];
      expect(charts.map((c) => c.role)).toEqual(["img", "img", "img"]);
      expect(charts[0]?.text).toMatch(
        /^EMPFANG-PC: jeder Tag der letzten 90 Tage \| \d+ Tage mit erfolgreicher Sicherung, [1-9]\d* mit fehlgeschlagener, [1-9]\d* verpasst, [1-9]\d* Tage ohne Daten\.$/,
      );
      expect(charts[1]?.text).toMatch(
        /^EMPFANG-PC: Dauer der letzten \d+ Sicherungen \| Die längste dauerte 40 Min\. 0 Sek\./,
      );
      expect(charts[2]?.text).toMatch(
        /^Belegter Speicher der letzten 90 Tage \| .* Wenn es so weitergeht, ist Ihr Speicher etwa am \d+\. \S+ \d{4} voll\./,
      );
      // The same numbers as tables, one per chart, closed until asked for.
      expect(await page.locator("details table").count()).toBe(3);
      const forecast = await page.locator("p.forecast").textContent();
      expect(forecast).toMatch(/etwa am \d+\. \S+ \d{4} voll/);
      // The history's own parts fit the screen (the page's other tables are the overview's and phones' concern).
      const overflowing = (await page.evaluate(`[...document.querySelectorAll(
        "section.host-history, svg.chart, .legend, details, p.forecast, p.axis")]
        .filter((element) => element.getBoundingClientRect().right > window.innerWidth + 0.5)
        .map((element) => element.outerHTML.slice(0, 80))`)) as string[];
      expect(overflowing).toEqual([]);
      const { scrollWidth, innerWidth } = (await page.evaluate(
        "({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })",
      )) as { scrollWidth: number; innerWidth: number };
      expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
      screenshots.push(await screenshot(page, `selfcare-account-charts-${width}`));
      await page
        .locator("details")
        .first()
        .evaluate((d) => d.setAttribute("open", ""));
      const opened = await page
        .locator("details table")
        .first()
        .evaluate((table) => table.getBoundingClientRect().right);
      expect(opened).toBeLessThanOrEqual(width);
      const violations = await seriousViolations(page);
      expect(violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
    });
});
