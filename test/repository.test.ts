import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./support/common.js";

// The repository must work as a fresh clone with nothing beside it: no file that runs or tests it
// may name a path above its root.
const scanned = ["src", "test", "bench", "examples", ".ci"];

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : filesUnder(full);
    return entry.isFile() ? [full] : [];
  });
}

const insideRepository = (target: string) => {
  const relative = path.relative(repoRoot, target);
  return !relative.startsWith("..") && !path.isAbsolute(relative);
};

/** Every way a file of this repository could point outside it, with the offending text. */
function pathsAboveRoot(file: string, text: string): string[] {
  const found: string[] = [];
  // A relative path (quoted, or a YAML value) that climbs out of the file's own folder past the root.
  for (const match of text.matchAll(/(?<![\w.])\.\.(?:\/[\w.@+-]+)*/g))
    if (!insideRepository(path.resolve(path.dirname(file), match[0]))) found.push(match[0]);
  // The root's parent, named from the root.
  for (const match of text.matchAll(/\b(?:repoRoot|root)\s*,\s*["'`]\.\.(?=["'`/])/g)) found.push(match[0]);
  // Absolute paths of the machine the repository was developed on.
  for (const match of text.matchAll(/\/work\/[\w.-]+|shared\/reference/g)) found.push(match[0]);
  return found;
}

describe("the repository stands alone", () => {
  it("names no path above its root in src, test, bench, examples or .ci", () => {
    const self = path.join(repoRoot, "test/repository.test.ts");
    const offenders = scanned
      .flatMap((dir) => filesUnder(path.join(repoRoot, dir)))
      .filter((file) => file !== self)
      .flatMap((file) =>
        pathsAboveRoot(file, readFileSync(file, "latin1")).map(
          (found) => `${path.relative(repoRoot, file)}: ${found}`,
        ),
      );
    expect(offenders).toEqual([]);
  });

  it("speaks of the product, not of planning documents", () => {
    const self = path.join(repoRoot, "test/repository.test.ts");
    const planning = /\b(issue|section) \d+\b|\bthe seed\b|\bseed's\b|shared brief/i;
    const mentions = [...scanned, "docs", "deploy", "prometheus", "alertmanager"]
      .flatMap((dir) => filesUnder(path.join(repoRoot, dir)))
      .concat([path.join(repoRoot, "README.md")])
      .filter((file) => file !== self)
      .flatMap((file) =>
        readFileSync(file, "latin1")
          .split("\n")
          .filter((line) => planning.test(line))
          .map((line) => `${path.relative(repoRoot, file)}: ${line.trim()}`),
      );
    expect(mentions).toEqual([]);
  });

  it("CI ends only the processes it started", () => {
    const ci = readFileSync(path.join(repoRoot, ".ci/run"), "utf8");
    expect(ci).not.toMatch(/\b(pkill|killall)\b/);
  });

  it("recognises each way of leaving the root", () => {
    const file = path.join(repoRoot, "test/backup/support.ts");
    expect(pathsAboveRoot(file, 'path.resolve(here, "../../../sibling/x")')).toEqual(["../../../sibling/x"]);
    expect(pathsAboveRoot(file, 'path.resolve(repoRoot, "../sibling/sst.schema")')).toEqual([
      'repoRoot, "..',
    ]);
    expect(pathsAboveRoot(file, 'readFileSync("shared/reference/sst.schema")')).toEqual(["shared/reference"]);
    expect(pathsAboveRoot(file, 'path.resolve(repoRoot, "..")')).toEqual(['repoRoot, "..']);
    expect(pathsAboveRoot(file, "readFileSync('/work/shared/a')")).toContain("/work/shared");
    expect(pathsAboveRoot(path.join(repoRoot, "examples/config.yaml"), "path: ../data/x.sqlite")).toEqual([]);
    expect(pathsAboveRoot(file, 'import { x } from "../../src/config/index.js";')).toEqual([]);
  });
});
