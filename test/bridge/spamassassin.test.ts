import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { requireBinaries } from "../support/binaries.js";
import { repoRoot } from "../support/common.js";

const samples = path.join(repoRoot, "docs", "mails");

/** The sample mails as one mbox (lines starting with "From " quoted), so one SpamAssassin process reads them all. */
const mbox = (files: readonly string[]): string =>
  files
    .map(
      (file) =>
        `From sample@example.org Thu Jan  1 00:00:00 1970\n${readFileSync(path.join(samples, file), "utf8")
          .replace(/\r\n/g, "\n")
          .replace(/^From /gm, ">From ")}\n`,
    )
    .join("");

describe.skipIf(!requireBinaries(["spamassassin"]))("SpamAssassin on the sample mails", () => {
  it("scores every mail in docs/mails below 1.0 (local tests only, no network)", () => {
    const files = readdirSync(samples)
      .filter((f) => f.endsWith(".eml"))
      .sort();
    expect(files.length).toBeGreaterThan(0);
    const run = spawnSync("spamassassin", ["-L", "-t", "--mbox"], {
      input: mbox(files),
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(run.status, run.stderr).toBe(0);
    const reports = [
      ...run.stdout.matchAll(
        /^X-Spam-Status: \w+, score=(-?\d+(?:\.\d+)?)\s+[\s\S]*?tests=([\s\S]*?)\s+autolearn/gm,
      ),
    ];
    expect(reports).toHaveLength(files.length);
    reports.forEach((report, i) => {
      const tests = (report[2] ?? "").replace(/\s+/g, "");
      expect(Number(report[1]), `${files[i]}: ${tests}`).toBeLessThan(1.0);
    });
  }, 300_000);
});
