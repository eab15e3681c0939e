import { fileURLToPath } from "node:url";
import type { DirectoryConfig } from "../config/index.js";
import type { Logger } from "../log.js";
import { LdapDirectory } from "./ldapDirectory.js";
import { createLdifDirectory } from "./ldifDirectory.js";
import type { Directory } from "./model.js";

/** The directory the configuration names: an LDIF file (`file:` URL) or an LDAP server. */
export function openDirectory(config: DirectoryConfig, logger: Logger): Directory {
  if (config.url.startsWith("file:")) {
    const file = config.url.startsWith("file://")
      ? fileURLToPath(config.url)
      : config.url.slice("file:".length);
    return createLdifDirectory(file, config, logger);
  }
  return new LdapDirectory(config, logger);
}

export { within } from "./entries.js";
export { anyOfFilter, escapeFilterValue, matchesFilter, parseFilter } from "./filter.js";
export { LdapDirectory } from "./ldapDirectory.js";
export {
  attributeKey,
  type DirectoryEntry,
  formatLdif,
  formatLdifAdd,
  formatLdifModify,
  LdifError,
  type LdifModification,
  normalizeDn,
  parseLdif,
} from "./ldif.js";
export { type AccountRecipients, type LookUpOptions, lookUpAccounts } from "./lookup.js";
export { parseGeneralizedTime, parseLastSuccessfulBackups } from "./mapping.js";
export type {
  Account,
  AccountSettings,
  Audience,
  Directory,
  NotInformed,
  Person,
  Recipient,
  RecipientResolution,
  Reseller,
  SettingName,
} from "./model.js";
export { DirectoryError } from "./model.js";
export {
  type RecipientInput,
  type RecipientOptions,
  recipientTimeZone,
  resolveRecipients,
} from "./recipients.js";
export {
  describeSource,
  type EffectiveSetting,
  type EffectiveSettings,
  effectiveSettings,
  settingNames,
} from "./settings.js";
