import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { findBinary } from "./binaries.js";
import { repoRoot } from "./common.js";

/** Debian's Chromium, which playwright-core drives (no downloaded browser). */
export const chromiumPath = "/usr/bin/chromium";

/** Screenshots and other output of browser tests (gitignored). */
export const testOutput = path.join(repoRoot, "test-output");

/**
 * True when Chromium is installed. Without it the calling suite is skipped with a loud warning on a
 * developer machine, but fails in CI, where a skipped browser test would hide a broken portal.
 */
export function requireChromium(): boolean {
  if (findBinary("chromium") === chromiumPath) return true;
  const message = `${chromiumPath} is missing (apt-get install chromium)`;
  if (process.env.CI === "true") throw new Error(`${message}; CI must run the browser tests`);
  console.warn(`\n*** SKIPPING browser tests: ${message} ***\n`);
  return false;
}

/**
 * A Chromium window (headless) with a fresh profile of its own that talks to nobody but the test's
 * servers; `locale` sets the Accept-Language it sends.
 */
export async function openChromium(
  locale: string,
): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(path.join(tmpdir(), "stoney-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    locale,
    viewport: { width: 1280, height: 900 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Save a full-page screenshot as test output; returns the file name. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(testOutput, { recursive: true });
  const file = path.join(testOutput, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

const axeSource: string = (createRequire(import.meta.url)("axe-core") as { source: string }).source;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's serious and critical violations on the page (WCAG 2.1 A and AA rules). */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol, which the page's Content-Security-Policy does not govern.
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as { axe: { run(options: unknown): Promise<{ violations: AxeViolation[] }> } }
    ).axe;
    const result = await axe.run({
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
    });
    return result.violations;
  });
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}
