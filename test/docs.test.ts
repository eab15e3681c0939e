import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseConfig } from "../src/config/index.js";
import { repoRoot } from "./support/common.js";

const read = (file: string) => readFileSync(path.join(repoRoot, file), "utf8");
const pages = [
  "README.md",
  ...readdirSync(path.join(repoRoot, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

/** Headings' anchors as GitHub makes them (lower case, punctuation dropped, spaces to hyphens, repeats numbered). */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6} (.*)$/.exec(line);
    if (!heading?.[1]) continue;
    const slug = heading[1]
      .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, "")
      .replace(/ /g, "-");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    out.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return out;
}

describe("the documentation", () => {
  it("has a README under 15 KB that starts with the set-up and the test command", () => {
    const readme = read("README.md");
    expect(Buffer.byteLength(readme)).toBeLessThan(15_000);
    const blocks = [...readme.matchAll(/```sh\n([^`]*)```/g)].map((m) => m[1]?.trim());
    expect(blocks.slice(0, 2)).toEqual(["npm ci && npm run example", "npm test"]);
    const scripts = JSON.parse(read("package.json")).scripts;
    expect(scripts.example).toBeDefined();
    expect(scripts.test).toBeDefined();
  });

  it("lists every subcommand in the README", () => {
    const readme = read("README.md");
    const commands = [...read("src/cli.ts").matchAll(/\.command\("([\w-]+)"\)/g)].map((m) => m[1]);
    expect(commands.length).toBeGreaterThan(5);
    for (const command of commands)
      expect(readme, command).toMatch(new RegExp(`^\\| \`${command}[ \`]`, "m"));
  });

  it("lists every page of docs/ in the README", () => {
    const readme = read("README.md");
    for (const page of pages.filter((p) => p !== "README.md")) expect(readme, page).toContain(`](${page})`);
  });

  it("links only to files and headings that exist", () => {
    const broken: string[] = [];
    for (const page of pages) {
      const text = read(page).replace(/```[\s\S]*?```/g, "");
      for (const [, target = ""] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target)) continue;
        const [file = "", anchor] = target.split("#");
        const resolved = file
          ? path.join(path.dirname(path.join(repoRoot, page)), file)
          : path.join(repoRoot, page);
        if (!existsSync(resolved)) broken.push(`${page}: ${target}`);
        else if (
          anchor &&
          statSync(resolved).isFile() &&
          !anchors(readFileSync(resolved, "utf8")).has(anchor)
        )
          broken.push(`${page}: ${target} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("shows configuration files that the program accepts", () => {
    const secrets = {
      STONEY_LDAP_BIND_PASSWORD: "x",
      STONEY_SMTP_PASSWORD: "x",
      STONEY_BRIDGE_TOKEN: "x",
      STONEY_UNSUBSCRIBE_SECRET: "x".repeat(48),
    };
    const shown = pages.flatMap((page) =>
      [...read(page).matchAll(/^( *)```yaml\n([\s\S]*?)^ *```$/gm)]
        .map((m) => (m[2] ?? "").replace(new RegExp(`^${m[1] ?? ""}`, "gm"), ""))
        .filter((yaml) => /^directory:/m.test(yaml))
        .map((yaml) => ({ page, yaml })),
    );
    expect(shown.map((s) => s.page)).toEqual(expect.arrayContaining(["README.md", "docs/operator-guide.md"]));
    for (const { page, yaml } of shown)
      expect(() => parseConfig(yaml, page, "/etc/stoney-backup-monitor", secrets), page).not.toThrow();
  });

  it("explains every shipped alert, and only those", () => {
    const shipped = ["customers.yml", "operators.yml"].flatMap((file) =>
      (parse(read(`prometheus/rules/${file}`)) as { groups: { rules: { alert?: string }[] }[] }).groups
        .flatMap((group) => group.rules)
        .flatMap((rule) => (rule.alert ? [rule.alert] : [])),
    );
    const explained = [...read("docs/alerts.md").matchAll(/^### `(\w+)`$/gm)].map((m) => m[1]);
    expect([...explained].sort()).toEqual([...shipped].sort());
    const sections = read("docs/alerts.md").split(/^### /m).slice(1);
    for (const section of sections)
      for (const part of ["**Meaning**", "**Mailed**", "**What to do**"])
        expect(section, section.split("\n")[0]).toContain(part);
  });
});
