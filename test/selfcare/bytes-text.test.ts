import { describe, expect, it } from "vitest";
import { bytesText } from "../../src/selfcare/account-history.js";
import { formats } from "../../src/selfcare/time.js";

describe("bytesText", () => {
  it("states storage in binary units, as the mails do (10 GiB quota, not 10.7 GB)", () => {
    expect(bytesText(formats("en", "UTC"), 10 * 2 ** 30)).toBe("10 GiB");
    expect(bytesText(formats("en", "UTC"), 9.7 * 2 ** 30)).toBe("9.7 GiB");
    expect(bytesText(formats("fr", "UTC"), 1.5 * 2 ** 20)).toBe("1,5 MiB");
    expect(bytesText(formats("de", "UTC"), 512)).toBe("512 B");
  });
});
