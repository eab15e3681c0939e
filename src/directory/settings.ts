import type { AccountDefaults } from "../config/index.js";
import type { Account, AccountSettings, Reseller, SettingName } from "./model.js";

export interface EffectiveSetting<T extends boolean | number> {
  value: T;
  source: "account" | "reseller" | "config";
  /** The reseller whose settings entry supplied the value. */
  resellerUid?: string;
}

export interface EffectiveSettings {
  warnings: EffectiveSetting<boolean>;
  quotaWarningPercent: EffectiveSetting<number>;
  missedBackupsThreshold: EffectiveSetting<number>;
  missedDaysThreshold: EffectiveSetting<number>;
  failuresThreshold: EffectiveSetting<number>;
  quotaFullDays: EffectiveSetting<number>;
}

export const settingNames: readonly SettingName[] = [
  "warnings",
  "quotaWarningPercent",
  "missedBackupsThreshold",
  "missedDaysThreshold",
  "failuresThreshold",
  "quotaFullDays",
];

function resolve<K extends SettingName>(
  name: K,
  account: Account,
  resellers: readonly Reseller[],
  defaults: AccountDefaults,
): EffectiveSetting<NonNullable<AccountSettings[K]>> {
  const own = account.settings[name];
  if (own !== undefined) return { value: own as NonNullable<AccountSettings[K]>, source: "account" };
  // The account's own reseller order decides which reseller's settings entry speaks first.
  for (const uid of account.resellerUids) {
    const reseller = resellers.find((candidate) => candidate.uid === uid);
    const value = reseller?.settings[name];
    if (reseller && value !== undefined)
      return {
        value: value as NonNullable<AccountSettings[K]>,
        source: "reseller",
        resellerUid: reseller.uid,
      };
  }
  return { value: defaults[name] as NonNullable<AccountSettings[K]>, source: "config" };
}

/** Each setting from the account, else the first of its resellers' settings entries that has it, else the configuration. */
export function effectiveSettings(
  account: Account,
  resellers: readonly Reseller[],
  defaults: AccountDefaults,
): EffectiveSettings {
  return {
    warnings: resolve("warnings", account, resellers, defaults),
    quotaWarningPercent: resolve("quotaWarningPercent", account, resellers, defaults),
    missedBackupsThreshold: resolve("missedBackupsThreshold", account, resellers, defaults),
    missedDaysThreshold: resolve("missedDaysThreshold", account, resellers, defaults),
    failuresThreshold: resolve("failuresThreshold", account, resellers, defaults),
    quotaFullDays: resolve("quotaFullDays", account, resellers, defaults),
  };
}

/** "account", "reseller 4000001" or "config": where a setting came from, for explain and reasons. */
export const describeSource = (setting: EffectiveSetting<boolean | number>): string =>
  setting.source === "reseller" ? `reseller ${setting.resellerUid}` : setting.source;
