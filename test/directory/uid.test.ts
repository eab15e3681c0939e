import { describe, expect, it } from "vitest";
import { uidProblem } from "../../src/directory/uid.js";

describe("directory uids", () => {
  it("takes account uids and any text of up to 256 characters", () => {
    for (const uid of ["3723707", "4000001", "müller-gmbh", "😀".repeat(256), "a b"])
      expect(uidProblem(uid)).toBeUndefined();
  });

  it("says why a value cannot be a uid", () => {
    expect(uidProblem("")).toBe("is empty");
    expect(uidProblem("3".repeat(257))).toBe("is 257 characters long (a directory uid has at most 256)");
    expect(uidProblem("3723707\u0000")).toBe("contains the control character U+0000");
    expect(uidProblem("37237\n07")).toBe("contains the control character U+000A");
    expect(uidProblem("37237\ud80007")).toBe("is no valid Unicode text (a lone surrogate)");
  });
});
