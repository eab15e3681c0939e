import { describe, expect, it } from "vitest";
import { SharedValues } from "../src/interned-values.js";

describe("SharedValues", () => {
  it("gives one object per distinct value, up to its limit, and knows its own objects without their key", () => {
    const keys: string[] = [];
    const shared = new SharedValues<{ version: string }>(2, (value) => {
      keys.push(value.version);
      return value.version;
    });
    const first = { version: "2.6.1" };
    expect(shared.share(first)).toBe(first);
    expect(shared.share({ version: "2.6.1" })).toBe(first);
    expect(keys).toEqual(["2.6.1", "2.6.1"]);
    // The shared object itself is answered at once.
    expect(shared.share(first)).toBe(first);
    expect(keys).toHaveLength(2);
    const second = { version: "1.3" };
    expect(shared.share(second)).toBe(second);
    // Past the limit a value is not kept: each copy stays its own.
    const third = { version: "3.0" };
    expect(shared.share(third)).toBe(third);
    const again = { version: "3.0" };
    expect(shared.share(again)).toBe(again);
    expect(shared.share(third)).toBe(third);
    expect(keys).toEqual(["2.6.1", "2.6.1", "1.3", "3.0", "3.0", "3.0"]);
  });

  it("keys by JSON unless told otherwise", () => {
    const shared = new SharedValues<{ a: number; b: number[] }>(10);
    const original = { a: 1, b: [2] };
    expect(shared.share(original)).toBe(original);
    expect(shared.share({ a: 1, b: [2] })).toBe(original);
    const other = { a: 1, b: [3] };
    expect(shared.share(other)).toBe(other);
  });
});
