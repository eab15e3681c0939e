import { describe, expect, it } from "vitest";
import { throttleKeys, throttleWait } from "../../src/selfcare/throttle.js";

const config = {
  freeFailures: 3,
  initialDelaySeconds: 2,
  maxDelaySeconds: 900,
  uidMaxFailures: 100,
  addressMaxFailures: 30,
  windowSeconds: 3600,
};
const now = 1_000_000_000;

describe("throttleWait", () => {
  it("lets a uid try freely from an address until its free failures are used", () => {
    expect(throttleWait({}, config, now)).toBe(0);
    expect(throttleWait({ pair: { count: 2, last: now } }, config, now)).toBe(0);
    expect(throttleWait({ pair: { count: 3, last: now } }, config, now)).toBe(2000);
  });

  it("doubles the wait with each further failure, counted from the latest, up to the longest wait", () => {
    expect(throttleWait({ pair: { count: 4, last: now } }, config, now)).toBe(4000);
    expect(throttleWait({ pair: { count: 6, last: now - 10_000 } }, config, now)).toBe(6000);
    expect(throttleWait({ pair: { count: 6, last: now - 16_000 } }, config, now)).toBe(0);
    expect(throttleWait({ pair: { count: 40, last: now } }, config, now)).toBe(900_000);
  });

  it("refuses a uid from everywhere and an address for every uid only at their ceilings", () => {
    const below = { uid: { count: 99, last: now }, address: { count: 29, last: now } };
    expect(throttleWait(below, config, now)).toBe(0);
    expect(throttleWait({ uid: { count: 100, last: now - 600_000 } }, config, now)).toBe(3_000_000);
    expect(throttleWait({ address: { count: 30, last: now } }, config, now)).toBe(3_600_000);
  });

  it("counts a uid case-insensitively, per address", () => {
    expect(throttleKeys("Anna", "192.0.2.1")).toEqual({
      pair: "uid:anna|address:192.0.2.1",
      uid: "uid:anna",
      address: "address:192.0.2.1",
    });
  });
});
