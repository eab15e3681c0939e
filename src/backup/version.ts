/** Numeric parts of a dotted version; a part's leading digits count (`2.6.1-beta` → 2, 6, 1). */
const parts = (version: string) =>
  version
    .trim()
    .split(".")
    .map((part) => Number(/^\d+/.exec(part)?.[0] ?? 0));

/** Compare dotted versions numerically (`2.10.0` > `2.6.1`; missing parts count as 0): -1, 0 or 1. */
export function compareVersions(a: string, b: string): number {
  const left = parts(a);
  const right = parts(b);
  for (let i = 0; i < Math.max(left.length, right.length); i += 1) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}

/**
 * Whether a client is older than the configured minimum for its identifier. Clients without a configured
 * minimum, and versions that do not start with a number, are not flagged: an upgrade mail must be certain.
 */
export function isClientOutdated(
  client: { identifier: string; version: string } | undefined,
  minimumVersions: Readonly<Record<string, string>>,
): boolean {
  if (!client || !Object.hasOwn(minimumVersions, client.identifier)) return false;
  const minimum = minimumVersions[client.identifier];
  if (minimum === undefined || !/^\d/.test(client.version.trim())) return false;
  return compareVersions(client.version, minimum) < 0;
}
