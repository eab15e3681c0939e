/** The run journal: every finished run and each account's daily usage, for the portal's history and charts. */
import type { HistoryConfig } from "../config/index.js";
import type { Logger } from "../log.js";
import type { JournalWriter, LocalJournalReader } from "./model.js";
import { PostgresJournal } from "./postgres.js";
import { JournalRecorder } from "./recorder.js";
import { SqliteJournal, SqliteJournalReader } from "./sqlite.js";

export type {
  JournalReader,
  JournalRun,
  JournalStats,
  JournalWriter,
  LocalJournalReader,
  UsageDay,
} from "./model.js";
export { DAY_MS, dayOf } from "./model.js";

/** The exporter's writer: PostgreSQL when `history.journal.database` is set, else the history file. */
export function openJournalWriter(history: HistoryConfig, logger: Logger): JournalWriter {
  const sink = history.journal.database
    ? new PostgresJournal(history.journal.database, logger)
    : SqliteJournal.open(history.path);
  return new JournalRecorder(sink, history.journal.retentionDays, logger);
}

/** The portal's and the bridge's reader of the same journal. */
export function openJournalReader(history: HistoryConfig, logger?: Logger): LocalJournalReader {
  return history.journal.database
    ? new PostgresJournal(history.journal.database, logger)
    : new SqliteJournalReader(history.path);
}
export { journalRange } from "./range.js";
export { JournalUnavailableError, serversJournal } from "./remote.js";
