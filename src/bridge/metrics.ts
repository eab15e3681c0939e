import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { OutboxStore } from "./store.js";

const prefix = "stoney_backup_bridge_";

export type BridgeMetrics = ReturnType<typeof createMetrics>;

/** One registry per bridge, so several bridges (tests) never share counters. */
export function createMetrics(outbox: OutboxStore) {
  const registry = new Registry();
  const registers = [registry];
  const stats = () => outbox.stats();
  const metrics = {
    registry,
    notificationsReceived: new Counter({
      name: `${prefix}notifications_received_total`,
      help: "Webhook notifications accepted into the outbox.",
      registers,
    }),
    alertsReceived: new Counter({
      name: `${prefix}alerts_received_total`,
      help: "Alerts accepted into the outbox (duplicates included).",
      registers,
    }),
    mailsSent: new Counter({
      name: `${prefix}mails_sent_total`,
      help: "Mails accepted by the mail server.",
      registers,
    }),
    mailsFailed: new Counter({
      name: `${prefix}mails_failed_total`,
      help: "Mails permanently rejected (5xx) or dead-lettered.",
      registers,
    }),
    mailsRetried: new Counter({
      name: `${prefix}mails_retried_total`,
      help: "Temporary send failures that will be retried.",
      registers,
    }),
    mailsSuppressed: new Counter({
      name: `${prefix}mails_suppressed_total`,
      help: "Mails not sent, by reason (duplicate, warnings off, no address, resolved mails off, …).",
      labelNames: ["reason"] as const,
      registers,
    }),
    deadLettersTotal: new Counter({
      name: `${prefix}dead_letters_total`,
      help: "Mails given up after retry.maxAgeHours, and mail items no template could render.",
      registers,
    }),
    smtpSendDuration: new Histogram({
      name: `${prefix}smtp_send_duration_seconds`,
      help: "Time to hand one mail to the mail server (or write it to a file).",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    pipelineRoundsFailed: new Counter({
      name: `${prefix}pipeline_rounds_failed_total`,
      help: "Routing and coalescing rounds that failed; each is tried again a second later.",
      registers,
    }),
    pipelineStalled: new Gauge({
      name: `${prefix}pipeline_stalled`,
      help: "1 while this instance's routing and coalescing rounds keep failing: it holds no alerts and /readyz answers 503.",
      registers,
    }),
    directoryErrors: new Counter({
      name: `${prefix}directory_errors_total`,
      help: "Recipient lookups that failed because the directory could not answer.",
      registers,
    }),
  };
  /**
   * A gauge read from the store at each scrape. While the store cannot answer (down, or a table this
   * instance may not read) it keeps its last value, so the scrape still shows the others, among them
   * `pipeline_stalled`, which says why.
   */
  const storeGauge = (name: string, help: string, read: () => Promise<number>) =>
    new Gauge({
      name: `${prefix}${name}`,
      help,
      registers,
      async collect() {
        const value = await read().catch(() => undefined);
        if (value !== undefined) this.set(value);
      },
    });
  storeGauge(
    "outbox_size_bytes",
    "Size of the outbox store (finished records are pruned after bridge.retentionDays).",
    () => outbox.sizeBytes(),
  );
  storeGauge(
    "outbox_pending",
    "Mails waiting to be sent (including those in flight).",
    async () => (await stats()).pendingMails,
  );
  storeGauge(
    "outbox_oldest_pending_age_seconds",
    "Age of the oldest accepted alert or mail not yet delivered; 0 when nothing waits.",
    async () => {
      const oldest = (await stats()).oldestPendingMs;
      return oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest) / 1000);
    },
  );
  storeGauge(
    "dead_letters",
    "Dead letters in the outbox: undeliverable mails and unrenderable mail items.",
    async () => (await stats()).deadLetters,
  );
  return metrics;
}
