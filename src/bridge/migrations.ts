/**
 * Versioned schema migrations of the outbox. Each backend has its own numbered list; a store records
 * the versions it applied in `schema_migrations`, so an upgrade applies only the new ones, in order,
 * each in its own transaction, and an older program never writes to a store a newer one migrated.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The store's schema does not fit this program; the message says what the operator does about it. */
export class SchemaVersionError extends Error {
  override name = "SchemaVersionError";
}

export interface MigrationReport {
  /** Version before and after. */
  from: number;
  to: number;
  applied: Migration[];
}

/** The migrations still to apply after `current`; throws when they may not be applied here or the store is newer. */
export function pendingMigrations(
  current: number,
  migrations: readonly Migration[],
  apply: boolean,
): Migration[] {
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest)
    throw new SchemaVersionError(
      `the outbox schema is at version ${current}, newer than this program knows (${latest}): upgrade stoney-backup-monitor`,
    );
  const pending = migrations.filter((m) => m.version > current);
  if (pending.length > 0 && !apply)
    throw new SchemaVersionError(
      `the outbox schema is at version ${current}, this program needs ${latest}: run \`stoney-backup-monitor migrate\``,
    );
  return pending;
}
