import { writeFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { SqliteOutbox as Outbox } from "../../src/bridge/outbox.js";
import { SqliteSelfcareStore } from "../../src/selfcare/store.js";
import type { Migration } from "../../src/store/migrations.js";
import { sqliteMigrations } from "../../src/store/sqlite.js";
import { exampleLdif, runCli, tempDir } from "./support.js";

describe("outbox schema migrations (SQLite)", () => {
  const temp = tempDir();
  afterAll(() => temp.remove());
  const latest = sqliteMigrations.at(-1)?.version ?? 0;
  const file = (name: string) => path.join(temp.dir, name);
  const config = (outboxPath: string, bridge: object = {}) => {
    const configPath = file(`${path.basename(outboxPath)}.yaml`);
    writeFileSync(
      configPath,
      JSON.stringify({
        directory: { url: `file:${exampleLdif}` },
        bridge: { outbox: outboxPath, ...bridge },
      }),
    );
    return configPath;
  };
  const versions = (outboxPath: string) => {
    const db = new Database(outboxPath, { readonly: true });
    try {
      return db.prepare("SELECT version FROM schema_migrations ORDER BY version").pluck().all();
    } finally {
      db.close();
    }
  };

  it("applies every migration to a new outbox once, in order", () => {
    const outbox = new Outbox(file("new.sqlite"));
    expect(outbox.migration).toMatchObject({ from: 0, to: latest });
    outbox.close();
    const again = new Outbox(file("new.sqlite"));
    expect(again.migration).toMatchObject({ from: latest, to: latest, applied: [] });
    again.close();
    expect(versions(file("new.sqlite"))).toEqual(sqliteMigrations.map((m) => m.version));
  });

  it("adopts an outbox written before versioned migrations, keeping its rows", () => {
    const old = new Database(file("old.sqlite"));
    old.exec(sqliteMigrations[0]?.sql ?? "");
    old
      .prepare(
        `INSERT INTO notifications (received_at, group_key, receiver, status, alert_count, truncated_alerts)
         VALUES (1, '{}', 'stoney-bridge', 'firing', 0, 0)`,
      )
      .run();
    old.close();
    const outbox = new Outbox(file("old.sqlite"));
    expect(outbox.migration.from).toBe(0);
    expect(outbox.db.prepare("SELECT COUNT(*) FROM notifications").pluck().get()).toBe(1);
    outbox.close();
  });

  it("adopts the self-care tables an earlier version made outside the migrations, keeping their rows", async () => {
    // The file as an earlier version left it: the outbox migrations before the self-care one, and the
    // portal's tables made by the portal itself (the same statements, then run outside the migrations).
    const selfcare = sqliteMigrations.find((m) => m.name.startsWith("self-care")) as Migration;
    const old = new Database(file("selfcare.sqlite"));
    old.exec(
      "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
    );
    for (const migration of sqliteMigrations.filter((m) => m.version < selfcare.version)) {
      old.exec(migration.sql);
      old.prepare("INSERT INTO schema_migrations VALUES (?, ?, 0)").run(migration.version, migration.name);
    }
    old.exec(selfcare.sql);
    old
      .prepare(
        "INSERT INTO selfcare_pauses (account, created_by, created_at, until) VALUES ('3723701', 'p', 1, ?)",
      )
      .run(Date.now() + 3_600_000);
    old.close();
    const migrated = new Outbox(file("selfcare.sqlite"));
    expect(migrated.migration.applied[0]?.name).toBe(selfcare.name);
    migrated.close();
    const store = new SqliteSelfcareStore(file("selfcare.sqlite"), { migrate: false });
    expect([...(await store.activePauses(["3723701"], Date.now())).keys()]).toEqual(["3723701"]);
    await store.close();
  });

  it("with migrateAtStart false the bridge refuses an outdated outbox until `migrate` ran", async () => {
    new Database(file("manual.sqlite")).close();
    const configPath = config(file("manual.sqlite"), { migrateAtStart: false, listen: { port: 0 } });
    const refused = await runCli(["bridge", "--config", configPath]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `the outbox schema is at version 0, this program needs ${latest}: run \`stoney-backup-monitor migrate\``,
    );
    const migrated = await runCli(["migrate", "--config", configPath]);
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toContain(`schema migrated from version 0 to ${latest} (1 outbox`);
    expect(versions(file("manual.sqlite"))).toHaveLength(sqliteMigrations.length);
  });

  it("never writes to an outbox that a newer version migrated", async () => {
    const outbox = new Outbox(file("newer.sqlite"));
    outbox.db
      .prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', 0)")
      .run(latest + 1);
    outbox.close();
    expect(() => new Outbox(file("newer.sqlite"))).toThrow(/newer than this program knows/);
    const history = await runCli([
      "history",
      "--config",
      config(file("newer.sqlite")),
      "--account",
      "3723702",
    ]);
    expect(history.code).toBe(1);
    expect(history.stderr).toContain("upgrade stoney-backup-monitor");
  });
});
