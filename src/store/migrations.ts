/**
 * Versioned schema migrations of the store (the outbox file or database, which also holds the self-care
 * tables). Each dialect has one numbered list for every table (`sqlite.ts`, `postgres.ts`); a store
 * records the versions it applied in `schema_migrations`, so an upgrade applies only the new ones, in
 * order, each in its own transaction, and an older program never writes to a store a newer one migrated.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** A numbered migration list and the table that records which of them a database has. */
export interface MigrationHistory {
  migrations: readonly Migration[];
  table: string;
  /** How messages name this schema. */
  what: string;
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
  what = "the outbox schema",
): Migration[] {
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest)
    throw new SchemaVersionError(
      `${what} is at version ${current}, newer than this program knows (${latest}): upgrade stoney-backup-monitor`,
    );
  const pending = migrations.filter((m) => m.version > current);
  if (pending.length > 0 && !apply)
    throw new SchemaVersionError(
      `${what} is at version ${current}, this program needs ${latest}: run \`stoney-backup-monitor migrate\``,
    );
  return pending;
}

/**
 * `work` as a function that runs it until it has once succeeded: a success is kept, a failure is
 * forgotten, so the next call tries again (a schema check that failed while the database restarted
 * must not fail every later query).
 */
export function untilDone<T>(work: () => Promise<T>): () => Promise<T> {
  let done: Promise<T> | undefined;
  return () => {
    done ??= work().catch((error: unknown) => {
      done = undefined;
      throw error;
    });
    return done;
  };
}
