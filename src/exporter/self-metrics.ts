import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import type { JournalStats } from "../journal/index.js";

/** Stages whose failures the collector counts; initialised at 0 so rate() works from the start. */
const errorStages = ["directory", "backup", "account", "render"] as const;
export type ErrorStage = (typeof errorStages)[number];

/** The exporter's own metrics and the process metrics, in a registry of their own (rendered per scrape). */
export function createSelfMetrics(
  journal: () => JournalStats = () => ({ bytes: undefined, writeSeconds: 0 }),
) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // Gauges named _total break the exposition format's convention (promtool flags them); the same
  // numbers are the sums of nodejs_active_{handles,requests,resources} by type.
  for (const kind of ["handles", "requests", "resources"])
    registry.removeSingleMetric(`nodejs_active_${kind}_total`);
  const registers = [registry];
  const errors = new Counter({
    name: "stoney_backup_collector_errors_total",
    help: "Collection errors by stage: directory (listing failed), backup (preparation failed), account (one account skipped or incomplete), render (rendering failed).",
    labelNames: ["stage"],
    registers,
  });
  for (const stage of errorStages) errors.inc({ stage }, 0);
  const up = new Gauge({
    name: "stoney_backup_collector_up",
    help: "1 if the last collection succeeded, 0 before the first one and after a failed one.",
    registers,
  });
  up.set(0);
  new Gauge({
    name: "stoney_backup_journal_bytes",
    help: "Size of the run journal on disk, measured after each hourly pruning: the SQLite history file (with the host history), or the journal's tables in PostgreSQL. 0 until the first pruning (at the first collection) has measured it.",
    registers,
    collect() {
      this.set(journal().bytes ?? 0);
    },
  });
  new Counter({
    name: "stoney_backup_journal_write_seconds_total",
    help: "Time spent writing runs and usage days to the run journal since the exporter started (or reloaded its history settings): on the exporter's main thread for SQLite, until the server committed for PostgreSQL.",
    registers,
    collect() {
      this.reset();
      this.inc(journal().writeSeconds);
    },
  });
  return {
    registry,
    up,
    errors,
    lastSuccess: new Gauge({
      name: "stoney_backup_collector_last_success_timestamp_seconds",
      help: "When the served per-account data was collected (end of the last successful collection).",
      registers,
    }),
    duration: new Gauge({
      name: "stoney_backup_collector_duration_seconds",
      help: "Duration of the last collection, successful or not.",
      registers,
    }),
    accounts: new Gauge({
      name: "stoney_backup_collector_accounts",
      help: "Accounts exported by the last successful collection.",
      registers,
    }),
    hosts: new Gauge({
      name: "stoney_backup_collector_hosts",
      help: "Hosts exported by the last successful collection.",
      registers,
    }),
  };
}

export type SelfMetrics = ReturnType<typeof createSelfMetrics>;
