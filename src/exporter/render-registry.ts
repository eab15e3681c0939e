import { Gauge, Registry } from "prom-client";
import { families } from "./families.js";
import type { AccountSample } from "./sample.js";

/** The per-account metric families through prom-client gauges in a fresh registry. */
export async function* renderRegistry(samples: readonly AccountSample[]): AsyncGenerator<string> {
  const registry = new Registry();
  for (const family of families) {
    const labelNames = ["account", ...(family.scope === "host" ? ["host"] : []), ...family.extraLabels];
    const gauge = new Gauge({ name: family.name, help: family.help, labelNames, registers: [registry] });
    for (const account of samples) {
      if (family.scope === "account") {
        const value = family.value(account);
        if (value === undefined) continue;
        const labels: Record<string, string> = { account: account.uid };
        const extra = family.labels?.(account) ?? [];
        family.extraLabels.forEach((label, i) => {
          labels[label] = extra[i] ?? "";
        });
        gauge.set(labels, value);
      } else {
        for (const host of account.hosts) {
          const value = family.value(host);
          if (value === undefined) continue;
          const labels: Record<string, string> = { account: account.uid, host: host.host };
          const extra = family.labels?.(host) ?? [];
          family.extraLabels.forEach((label, i) => {
            labels[label] = extra[i] ?? "";
          });
          gauge.set(labels, value);
        }
      }
    }
  }
  yield await registry.metrics();
}
