import type { AccountDefaults } from "../config/index.js";
import type { Account, Directory, Person, RecipientResolution, Reseller } from "./model.js";
import { resolveRecipients } from "./recipients.js";
import { type EffectiveSettings, effectiveSettings } from "./settings.js";

export interface AccountRecipients {
  account: Account;
  person?: Person;
  resellers: Reseller[];
  settings: EffectiveSettings;
  resolution: RecipientResolution;
}

export interface LookUpOptions {
  resellerMail: boolean;
  defaults: AccountDefaults;
}

/**
 * Accounts with their persons, resellers, effective settings and recipients. Three batched
 * look-ups: the accounts, their resellers (with settings entries), then every person needed
 * (owners and reseller contacts) at once.
 */
export async function lookUpAccounts(
  directory: Directory,
  uids: readonly string[],
  options: LookUpOptions,
): Promise<{ found: Map<string, AccountRecipients>; unknown: string[] }> {
  const unique = [...new Set(uids)];
  const accounts = await directory.getAccounts(unique);
  const resellerUids = new Set([...accounts.values()].flatMap((account) => account.resellerUids));
  const resellers = await directory.getResellers([...resellerUids]);
  const personUids = new Set<string>();
  for (const account of accounts.values()) if (account.personUid) personUids.add(account.personUid);
  for (const reseller of resellers.values())
    for (const uid of [...reseller.informPersonUids, ...reseller.personUids]) personUids.add(uid);
  const persons =
    personUids.size > 0 ? await directory.getPersons([...personUids]) : new Map<string, Person>();

  const found = new Map<string, AccountRecipients>();
  for (const uid of unique) {
    const account = accounts.get(uid);
    if (!account) continue;
    const accountResellers = account.resellerUids
      .map((resellerUid) => resellers.get(resellerUid))
      .filter((reseller): reseller is Reseller => reseller !== undefined);
    const person = account.personUid ? persons.get(account.personUid) : undefined;
    const settings = effectiveSettings(account, accountResellers, options.defaults);
    const resolution = resolveRecipients(
      {
        account,
        ...(person ? { person } : {}),
        resellers: accountResellers,
        informPersons: persons,
        settings,
      },
      options,
    );
    found.set(uid, {
      account,
      ...(person ? { person } : {}),
      resellers: accountResellers,
      settings,
      resolution,
    });
  }
  return { found, unknown: unique.filter((uid) => !accounts.has(uid)) };
}
