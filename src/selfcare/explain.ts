import type { Writable } from "node:stream";
import { accountStreams, streamText } from "../bridge/unsubscribe.js";
import type { Config } from "../config/index.js";
import type { AccountRecipients } from "../directory/index.js";
import { DirectoryError, LdapDirectory } from "../directory/index.js";
import { createLogger } from "../log.js";
import { type Grant, PortalAccess, type PortalPerson, type Scope } from "./access.js";
import { openEntrySource } from "./directory.js";
import { resubscribe } from "./portal.js";
import type { SelfcareStore } from "./store.js";

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

const iso = (at: number): string => new Date(at).toISOString().replace(/\.000Z$/, "Z");

/**
 * `explain`'s lines about an account's recipients who unsubscribed (through the link in a mail) from
 * mails about it or from digests; none when nobody did.
 */
export const explainUnsubscriptions =
  (store: Pick<SelfcareStore, "activeUnsubscriptions">) =>
  async (found: AccountRecipients): Promise<string[]> => {
    const streams: readonly string[] = accountStreams(found.account.uid);
    const active = (
      await store.activeUnsubscriptions(found.resolution.recipients.map((r) => r.address))
    ).filter((u) => streams.includes(u.stream));
    if (active.length === 0) return [];
    return [
      "unsubscribed (undo: the account's page in the portal, or `resubscribe <id>`)",
      ...active.map(
        (u) =>
          `  ${u.address}  from ${streamText(u.stream)}  since ${iso(u.createdAt)} by ${u.createdBy}  (id ${u.id})`,
      ),
    ];
  };

/** `resubscribe <id>`: undo an unsubscription as the operator, audited; 0 when one was undone, 1 otherwise. */
export async function resubscribeCommand(
  store: Pick<SelfcareStore, "endUnsubscription" | "appendAudit">,
  id: number,
  output: Output = { stdout: process.stdout, stderr: process.stderr },
  now = Date.now(),
): Promise<number> {
  const ended = Number.isSafeInteger(id) ? await resubscribe(store, id, "operator", now) : undefined;
  if (!ended) {
    output.stderr.write(`resubscribe: no unsubscription ${id} in force\n`);
    return 1;
  }
  output.stdout.write(`${ended.address} receives ${streamText(ended.stream)} again\n`);
  return 0;
}
