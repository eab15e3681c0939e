import type { AccountRecipients, EffectiveSettings } from "../../src/directory/index.js";

/** Who gets mail for each example account (examples/directory.ldif), as `audience address language timeZone`. */
export const exampleRecipients: Record<string, { mailed: string[]; notMailed: string[] }> = {
  "3723701": {
    mailed: [
      "customer backup@alpenblick.example de-CH Europe/Zurich",
      "customer it@alpenblick.example de-CH Europe/Zurich",
      "reseller support@muster-reseller.example de-CH Europe/Zurich",
    ],
    notMailed: [],
  },
  "3723702": {
    mailed: [
      "customer juerg.mueller@example.ch de-CH Europe/Zurich",
      "reseller support@muster-reseller.example de-CH Europe/Zurich",
    ],
    notMailed: [],
  },
  "3723703": {
    mailed: ["reseller support@muster-reseller.example de-CH Europe/Zurich"],
    notMailed: ["customer 3723703: warnings off (account)"],
  },
  "3723704": {
    mailed: [
      "customer zoe.lefevre@example.fr fr-CH Europe/Zurich",
      "reseller support@eclair.example fr-CH Europe/Zurich",
    ],
    notMailed: [],
  },
  "3723705": {
    mailed: ["reseller support@eclair.example fr-CH Europe/Zurich"],
    notMailed: ["customer 3723705: person 5999999 not found"],
  },
  "3723706": {
    mailed: ["reseller support@muster-reseller.example de-CH Europe/Zurich"],
    notMailed: ["customer 3723706: no address"],
  },
  "3723707": {
    mailed: ["customer anna@example.co.uk en +00:00", "customer anna.smith@example.org en +00:00"],
    notMailed: [],
  },
  "3723708": {
    mailed: ["reseller support@muster-reseller.example de-CH Europe/Zurich"],
    notMailed: ["customer 3723708: no address"],
  },
  "3723709": {
    mailed: [
      "customer ops@bergbau.example fr Europe/Zurich",
      "reseller support@eclair.example fr-CH Europe/Zurich",
    ],
    notMailed: [],
  },
  "3723710": {
    mailed: ["reseller support@eclair.example fr-CH Europe/Zurich"],
    notMailed: ["customer 3723710: warnings off (account)"],
  },
};

export const exampleUids = Object.keys(exampleRecipients);

/** The effective settings of the example accounts: `value source`. */
export const exampleSettings: Record<string, Record<string, string>> = {
  "3723702": { warnings: "true account", quotaWarningPercent: "90 reseller:4000001" },
  "3723704": {
    warnings: "true config",
    missedBackupsThreshold: "2 reseller:4000002",
    quotaWarningPercent: "85 config",
  },
  "3723709": {
    warnings: "true account",
    quotaWarningPercent: "95 account",
    missedBackupsThreshold: "3 account",
    missedDaysThreshold: "5 account",
    failuresThreshold: "0 account",
  },
  "3723710": { warnings: "false account", missedBackupsThreshold: "2 reseller:4000002" },
};

/** Parse the "mailed" and "not mailed" sections of `explain` output per account. */
export function parseExplainOutput(text: string): Record<string, { mailed: string[]; notMailed: string[] }> {
  const result: Record<string, { mailed: string[]; notMailed: string[] }> = {};
  let current: { mailed: string[]; notMailed: string[] } | undefined;
  let section = "";
  for (const line of text.split("\n")) {
    const account = /^account (\S+)$/.exec(line);
    if (account?.[1]) {
      current = { mailed: [], notMailed: [] };
      result[account[1]] = current;
      section = "";
    } else if (line.trim() === "") continue;
    else if (/^\S/.test(line)) section = line;
    else if (current && section === "mailed" && line.trim() !== "nobody") {
      const [audience, address, language, timeZone] = line.trim().split(/\s+/);
      current.mailed.push(`${audience} ${address} ${language} ${timeZone}`);
    } else if (current && section === "not mailed") current.notMailed.push(line.trim().replace(/\s+/, " "));
  }
  return result;
}

/** The same summary as `exampleRecipients`, computed from lookUpAccounts' result. */
export function summarize(
  found: Map<string, AccountRecipients>,
): Record<string, { mailed: string[]; notMailed: string[] }> {
  return Object.fromEntries(
    [...found].map(([uid, item]) => [
      uid,
      {
        mailed: item.resolution.recipients.map(
          (r) => `${r.audience} ${r.address} ${r.language} ${r.timeZone}`,
        ),
        notMailed: item.resolution.notInformed.map((n) => `${n.audience} ${n.uid}: ${n.reason}`),
      },
    ]),
  );
}

/** Effective settings of the accounts in `exampleSettings`, in its notation. */
export function summarizeSettings(
  found: Map<string, AccountRecipients>,
): Record<string, Record<string, string>> {
  return Object.fromEntries(
    Object.entries(exampleSettings).map(([uid, expected]) => [
      uid,
      Object.fromEntries(
        Object.keys(expected).map((name) => {
          const setting = found.get(uid)?.settings[name as keyof EffectiveSettings];
          const source = setting?.source === "reseller" ? `reseller:${setting.resellerUid}` : setting?.source;
          return [name, `${setting?.value} ${source}`];
        }),
      ),
    ]),
  );
}
