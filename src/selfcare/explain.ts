import type { Writable } from "node:stream";
import type { Config } from "../config/index.js";
import { DirectoryError, LdapDirectory } from "../directory/index.js";
import { createLogger } from "../log.js";
import { type Grant, PortalAccess, type PortalPerson, type Scope } from "./access.js";
import { openEntrySource } from "./directory.js";

const grantText = (grant: Grant): string =>
  grant.kind === "owner"
    ? `owner (${grant.attribute})`
    : grant.kind === "allowed"
      ? `allowed (${grant.attribute})`
      : `reseller ${grant.resellerUid}'s contact (${grant.attributes.join(", ")})`;

/** What `explain --person` prints: who the person is, whether they may log in, and every account they may see and why. */
export function formatPersonScope(person: PortalPerson, scope: Scope | undefined): string {
  const lines = [`person ${person.uid}`];
  const field = (label: string, value: string) => lines.push(`  ${label.padEnd(20)} ${value}`);
  field("dn", person.dn);
  field("name", person.name ?? "(not set)");
  field("preferred language", person.preferredLanguage ?? "(not set)");
  field("time zone", person.timeZone);
  field("active", person.active ? "yes" : "no: cannot log in");
  field("self-care", person.useSelfcare ? "allowed" : "no (sstUseSelfcare FALSE): cannot log in");
  if (!scope) return lines.join("\n");
  lines.push(`resellers (${scope.resellers.size}): may edit their defaults and see all their accounts`);
  for (const [uid, attributes] of scope.resellers) lines.push(`  ${uid}  named in ${attributes.join(", ")}`);
  lines.push(`accounts (${scope.accounts.size})`);
  const sorted = [...scope.accounts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [uid, grants] of sorted) lines.push(`  ${uid.padEnd(10)} ${grants.map(grantText).join("; ")}`);
  return lines.join("\n");
}

interface Output {
  stdout: Pick<Writable, "write">;
  stderr: Pick<Writable, "write">;
}

/** `explain --person <uid>`: 0 when the person was found, 1 otherwise. */
export async function explainPersonCommand(
  config: Config,
  uid: string,
  output: Output = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const logger = createLogger(config.logging.level);
  const directory = config.directory.url.startsWith("file:")
    ? undefined
    : new LdapDirectory(config.directory, logger);
  const source = openEntrySource(config.directory, () => directory as LdapDirectory, {});
  const access = new PortalAccess(source, config.directory, 0);
  try {
    const person = await access.person(uid);
    if (person === undefined || person === "ambiguous") {
      output.stderr.write(
        `explain: ${person === "ambiguous" ? "more than one person" : "no person"} with uid ${uid} in ${config.directory.people.base}\n`,
      );
      return 1;
    }
    const scope = person.active && person.useSelfcare ? await access.scope(person.uid) : undefined;
    output.stdout.write(`${formatPersonScope(person, scope)}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof DirectoryError)) throw error;
    output.stderr.write(`${error.message}\n`);
    return 1;
  } finally {
    await directory?.close();
  }
}
