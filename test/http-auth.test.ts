import { describe, expect, it } from "vitest";
import { basicAuthorized, basicCredentials, sameSecret } from "../src/http-auth.js";

const basic = (text: string) => `Basic ${Buffer.from(text, "utf8").toString("base64")}`;

describe("HTTP credentials shared by the exporter and the bridge", () => {
  it("compares secrets exactly, whatever their lengths", () => {
    expect(sameSecret("s3cret", "s3cret")).toBe(true);
    expect(sameSecret("s3cre", "s3cret")).toBe(false);
    expect(sameSecret("", "s3cret")).toBe(false);
  });

  it("splits basic credentials at the first colon, so passwords may hold colons", () => {
    expect(basicCredentials(basic("prometheus:a:b"))).toEqual({ username: "prometheus", password: "a:b" });
    expect(basicCredentials(basic("no-colon"))).toBeUndefined();
    expect(basicCredentials("Bearer abc")).toBeUndefined();
    expect(basicCredentials(undefined)).toBeUndefined();
  });

  it("accepts only the right user and password", () => {
    expect(basicAuthorized(basic("prometheus:pw"), "prometheus", "pw")).toBe(true);
    expect(basicAuthorized(basic("prometheus:wrong"), "prometheus", "pw")).toBe(false);
    expect(basicAuthorized(basic("other:pw"), "prometheus", "pw")).toBe(false);
    expect(basicAuthorized(undefined, "", "")).toBe(false);
  });
});
