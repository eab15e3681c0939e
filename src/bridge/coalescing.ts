import type { BridgeConfig } from "../config/index.js";

/**
 * A recipient's coalescing window: each new item extends the wait by `quietMs`, so the problems of
 * one burst end up in one mail however long the burst lasts, but no item waits longer than
 * `maxHoldMs` after the recipient's oldest queued item (an endless trickle still gets mailed).
 */
export interface CoalescingWindow {
  quietMs: number;
  maxHoldMs: number;
}

export const coalescingWindow = (
  config: Pick<BridgeConfig, "coalesceSeconds" | "coalesceMaxSeconds">,
): CoalescingWindow => ({
  quietMs: config.coalesceSeconds * 1000,
  // A hold shorter than the window would cut every window short: the window is the least hold.
  maxHoldMs: Math.max(config.coalesceMaxSeconds, config.coalesceSeconds) * 1000,
});
