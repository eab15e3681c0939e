/**
 * The longest uid: `uid`'s syntax in core.schema, and that of sst.schema's `sst…UID` attributes, is
 * Directory String{256}.
 */
export const uidMaxCharacters = 256;

const hex = (char: string) => `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;

/**
 * Why `value` cannot be the uid of a directory entry, or undefined when it can. A Directory String is
 * non-empty UTF-8 (a lone surrogate has no UTF-8 form) of at most {@link uidMaxCharacters}; control
 * characters are refused too: no account's uid has one, and as a home folder's name and in mails they
 * would only hide what the label really says.
 */
export function uidProblem(value: string): string | undefined {
  if (value === "") return "is empty";
  let characters = 0;
  for (const _ of value) characters++;
  if (characters > uidMaxCharacters)
    return `is ${characters} characters long (a directory uid has at most ${uidMaxCharacters})`;
  if (/\p{Surrogate}/u.test(value)) return "is no valid Unicode text (a lone surrogate)";
  const control = /\p{Cc}/u.exec(value)?.[0];
  if (control !== undefined) return `contains the control character ${hex(control)}`;
  return undefined;
}
