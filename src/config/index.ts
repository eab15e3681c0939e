export type { BackupConfig, HistoryConfig, HomePrefix, QuotaConfig } from "./backup.js";
export type { BridgeConfig, Language, Task } from "./bridge.js";
export { dedupeWindowMs, isPostgresUrl, languages, tasks } from "./bridge.js";
export type { AccountDefaults, AttributeNames, DirectoryConfig } from "./directory.js";
export { isTimeZone } from "./directory.js";
export type { ExporterConfig } from "./exporter.js";
export type { BasicAuth, Listen } from "./http.js";
export {
  ConfigError,
  defaultConfigPaths,
  fileSections,
  findConfigFile,
  formatIssues,
  loadConfig,
  loggingEnvironment,
  parseConfig,
  secretEnvironment,
} from "./load.js";
export { allConfigKeys, configJsonSchema, configReference, generatedDocs } from "./reference.js";
export { configuredRoles, type Role, roles } from "./roles.js";
export type { Config } from "./schema.js";
export { configSchema } from "./schema.js";
export type { SelfcareConfig, SettingBounds } from "./selfcare.js";
