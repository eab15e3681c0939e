/** The long-running parts of the monitor; `start` runs all three. */
export const roles = ["exporter", "bridge", "selfcare"] as const;
export type Role = (typeof roles)[number];

/** The top-level sections only one role reads (both read `directory` and `logging`). */
const sectionsOfRole: Record<Role, readonly string[]> = {
  exporter: ["exporter", "backup", "history"],
  bridge: ["bridge"],
  selfcare: ["selfcare"],
};

/**
 * The roles a configuration file is written for: those whose sections it sets. A file that sets none of
 * them (only the directory, say) could run the exporter or the bridge, so it is for both.
 */
export function configuredRoles(sections: Iterable<string>): Role[] {
  const present = new Set(sections);
  const configured = roles.filter((role) => sectionsOfRole[role].some((section) => present.has(section)));
  return configured.length > 0 ? configured : ["exporter", "bridge"];
}
