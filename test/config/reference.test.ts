import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { allConfigKeys, configJsonSchema, generatedDocs, parseConfig } from "../../src/config/index.js";
import { repoRoot } from "../support/common.js";

describe("the generated configuration reference", () => {
  it.each(Object.entries(generatedDocs()))("%s is up to date (run `npm run docs`)", (file, content) => {
    expect(readFileSync(path.join(repoRoot, file), "utf8")).toBe(content);
  });

  it("describes every key of the schema", () => {
    const undocumented = allConfigKeys(configJsonSchema())
      .filter((key) => !key.schema.description)
      .map((key) => key.path);
    expect(undocumented).toEqual([]);
  });

  it("lists every default the loader applies", () => {
    const config = parseConfig("directory: { url: 'file:./x.ldif' }", "test", "/srv", {});
    const reference = generatedDocs()["docs/configuration.md"] ?? "";
    expect(reference).toContain(`| \`exporter.intervalSeconds\``);
    expect(reference).toContain(`\`${config.exporter.intervalSeconds}\``);
    expect(reference).toContain(`\`${config.bridge.smtp.from}\``);
    expect(reference).toContain(`\`${config.directory.defaults.timeZone}\``);
  });

  it("gives editors a JSON Schema that knows the keys and their defaults", () => {
    const schema = JSON.parse(readFileSync(path.join(repoRoot, "docs/config.schema.json"), "utf8"));
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.required).toEqual(["directory"]);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.exporter.properties.listen.properties.port.default).toBe(9851);
    expect(schema.properties.backup.properties.quota.oneOf).toHaveLength(3);
  });
});
