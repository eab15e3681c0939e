/**
 * One RFC 5322 addr-spec (`local@domain`) and nothing else: a dot-atom local part and a dot-atom
 * domain of letters, digits and hyphens (UTF-8 letters allowed, RFC 6531). A directory `mail` value
 * with a comma, a line break, a display name or a second address would make the mail go somewhere
 * other than the address recorded, so such a value is no address at all.
 */
const atext = "[\\p{L}\\p{N}!#$%&'*+/=?^_`{|}~-]+";
const label = "[\\p{L}\\p{N}](?:[\\p{L}\\p{N}-]{0,61}[\\p{L}\\p{N}])?";
const addrSpec = new RegExp(`^${atext}(?:\\.${atext})*@${label}(?:\\.${label})*$`, "u");

export const isSingleAddress = (value: string): boolean => value.length <= 254 && addrSpec.test(value);
