import type { Account } from "../../src/directory/model.js";

/** A minimal active account as the directory maps it, for unit tests; `extra` overrides any field. */
export const account = (uid: string, extra: Partial<Account> = {}): Account => ({
  uid,
  dn: `uid=${uid},ou=accounts,ou=backup,ou=services,dc=stoney-cloud,dc=org`,
  active: true,
  settings: {},
  mail: [],
  resellerUids: [],
  lastSuccessfulBackup: new Map(),
  ...extra,
});
