import { z } from "zod";
import type { AttributeNames, SettingBounds } from "../config/index.js";
import {
  attributeKey,
  type DirectoryEntry,
  type LdifModification,
  type SettingName,
} from "../directory/index.js";
import { settingAttribute } from "./access.js";
import type { EntryChange } from "./directory.js";
import type { AuditEntry } from "./store.js";

/** New values of some settings; `null` removes the entry's own value, so the next in the chain applies. */
export type SettingValues = Partial<Record<SettingName, boolean | number | null>>;

/** The request body of a settings change, with the configured bounds. */
export const settingValuesSchema = (bounds: SettingBounds) => {
  const within = (name: Exclude<SettingName, "warnings">) =>
    z
      .number()
      .int()
      .min(bounds[name].min, `${name} must be between ${bounds[name].min} and ${bounds[name].max}`)
      .max(bounds[name].max, `${name} must be between ${bounds[name].min} and ${bounds[name].max}`)
      .nullable()
      .optional();
  return z
    .object({
      warnings: z.boolean().nullable().optional(),
      quotaWarningPercent: within("quotaWarningPercent"),
      missedBackupsThreshold: within("missedBackupsThreshold"),
      missedDaysThreshold: within("missedDaysThreshold"),
      failuresThreshold: within("failuresThreshold"),
      quotaFullDays: within("quotaFullDays"),
    })
    .strict();
};

/** The auxiliary class that allows every setting (examples/ldap/stoney-backup-monitor.schema). */
const settingsClass = "sstBackupMonitorSettings";

const toDirectoryValue = (value: boolean | number): string =>
  typeof value === "boolean" ? (value ? "TRUE" : "FALSE") : String(value);

/**
 * What to write for these values on this entry, and the audit of each value that changes (unchanged
 * values are neither written nor audited). An entry without the settings class gets it, so the
 * attributes are allowed wherever the entry's own classes do not allow them.
 */
export function planSettingsChange(
  entry: DirectoryEntry,
  values: SettingValues,
  names: AttributeNames,
  audit: Pick<AuditEntry, "at" | "personUid" | "target">,
): { modifications: LdifModification[]; audit: AuditEntry[] } {
  const modifications: LdifModification[] = [];
  const entries: AuditEntry[] = [];
  for (const [name, value] of Object.entries(values) as [
    SettingName,
    boolean | number | null | undefined,
  ][]) {
    if (value === undefined) continue;
    const attributes = settingAttribute(name, names, entry);
    const old = attributes.map((a) => entry.attributes[attributeKey(a)]?.[0]).find((v) => v !== undefined);
    const next = value === null ? undefined : toDirectoryValue(value);
    if (old?.toUpperCase() === next?.toUpperCase()) continue;
    for (const attribute of attributes)
      if (next !== undefined || entry.attributes[attributeKey(attribute)] !== undefined)
        modifications.push({ operation: "replace", attribute, values: next === undefined ? [] : [next] });
    entries.push({
      ...audit,
      action: `setting ${name}`,
      ...(old !== undefined ? { oldValue: old } : {}),
      ...(next !== undefined ? { newValue: next } : {}),
    });
  }
  const classes = (entry.attributes.objectclass ?? []).map((c) => c.toLowerCase());
  if (modifications.some((m) => m.values.length > 0) && !classes.includes(settingsClass.toLowerCase()))
    modifications.unshift({ operation: "add", attribute: "objectClass", values: [settingsClass] });
  return { modifications, audit: entries };
}

/** A new reseller settings entry (`ou=settings,<reseller>`) holding these values. */
export function newSettingsEntry(rdn: string, values: SettingValues, names: AttributeNames): EntryChange {
  const [type = "ou", ...rest] = rdn.split("=");
  const attributes: Record<string, string[]> = {
    objectClass: [
      "top",
      type.toLowerCase() === "ou" ? "organizationalUnit" : "extensibleObject",
      settingsClass,
    ],
    [type]: [rest.join("=")],
  };
  for (const [name, value] of Object.entries(values) as [SettingName, boolean | number | null | undefined][])
    if (value !== undefined && value !== null)
      attributes[settingAttribute(name, names, { dn: "", attributes: {} })[0] ?? name] = [
        toDirectoryValue(value),
      ];
  return { add: attributes };
}
