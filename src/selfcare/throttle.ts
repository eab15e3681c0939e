import type { SelfcareConfig } from "../config/index.js";
import type { LoginFailures, SelfcareStore } from "./store.js";

export type ThrottleConfig = SelfcareConfig["throttle"];

/**
 * The keys a login attempt's failures are counted under: the uid from this address (which backs off),
 * the uid from anywhere and the address for any uid (each with a ceiling).
 */
export const throttleKeys = (uid: string, address: string) => {
  const person = uid.toLowerCase();
  return { pair: `uid:${person}|address:${address}`, uid: `uid:${person}`, address: `address:${address}` };
};

/**
 * How long (ms) the next try must wait after these failures, 0 when it may go ahead. From one address
 * a uid gets `freeFailures` tries, then waits `initialDelaySeconds`, doubling with each failure up to
 * `maxDelaySeconds`: a guesser is slowed to a crawl, while the person, logging in from their own
 * address, is not held up by the guesser's failures. Only the far higher ceilings per uid (all
 * addresses together) and per address (all uids) refuse outright, until the failures age out.
 */
export function throttleWait(
  failures: { pair?: LoginFailures; uid?: LoginFailures; address?: LoginFailures },
  config: ThrottleConfig,
  now: number,
): number {
  const windowMs = config.windowSeconds * 1000;
  const untilAgedOut = (f: LoginFailures) => Math.max(1000, f.last + windowMs - now);
  if (failures.uid && failures.uid.count >= config.uidMaxFailures) return untilAgedOut(failures.uid);
  if (failures.address && failures.address.count >= config.addressMaxFailures)
    return untilAgedOut(failures.address);
  const pair = failures.pair;
  if (!pair || pair.count < config.freeFailures) return 0;
  const delayMs =
    Math.min(config.initialDelaySeconds * 2 ** (pair.count - config.freeFailures), config.maxDelaySeconds) *
    1000;
  return Math.max(0, pair.last + delayMs - now);
}

/** Login throttling over the self-care store, so portals that share one count failures together. */
export class LoginThrottle {
  constructor(
    private readonly store: Pick<
      SelfcareStore,
      "loginFailures" | "addLoginFailure" | "clearLoginFailures" | "deleteLoginFailures"
    >,
    private readonly config: ThrottleConfig,
  ) {}

  /** How long this uid from this address must wait before its next try; 0: it may try now. */
  async wait(uid: string, address: string, now: number): Promise<number> {
    const keys = throttleKeys(uid, address);
    const found = await this.store.loginFailures(Object.values(keys), now - this.config.windowSeconds * 1000);
    const of = (key: string) => found.get(key);
    return throttleWait(
      { pair: of(keys.pair), uid: of(keys.uid), address: of(keys.address) },
      this.config,
      now,
    );
  }

  fail(uid: string, address: string, now: number): Promise<void> {
    return this.store.addLoginFailure(Object.values(throttleKeys(uid, address)), now);
  }

  /** The person proved who they are: their failures, from here and everywhere, are forgotten. */
  succeed(uid: string, address: string): Promise<void> {
    const keys = throttleKeys(uid, address);
    return this.store.clearLoginFailures([keys.pair, keys.uid]);
  }

  /** Forget failures older than the window, so many distinct uids or addresses do not pile up. */
  async prune(now: number): Promise<void> {
    await this.store.deleteLoginFailures(now - this.config.windowSeconds * 1000);
  }
}
