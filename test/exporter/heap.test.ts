import { afterEach, describe, expect, it } from "vitest";
import { limitHeapGrowth } from "../../src/exporter/heap.js";

describe("heap growth limit", () => {
  const saved = process.env.NODE_OPTIONS;
  afterEach(() => {
    if (saved === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = saved;
  });

  it("leaves the heap alone when the operator set a heap flag", () => {
    for (const flag of ["--max-old-space-size=512", "--heap-growing-percent=50", "--max-heap-size=600"]) {
      process.env.NODE_OPTIONS = `--enable-source-maps ${flag}`;
      expect(limitHeapGrowth()).toBe(false);
    }
  });

  it("limits the growth otherwise", () => {
    process.env.NODE_OPTIONS = "--enable-source-maps";
    expect(limitHeapGrowth()).toBe(process.execArgv.every((arg) => !/heap|old-space/.test(arg)));
  });
});
