import type { Language } from "../../config/index.js";
import type { ServerFreshness } from "../../exporter/index.js";
import { formatDate, formatGiB, formatPercent, locales } from "../templates/format.js";
import { accountPage, builtinCatalogs, type TemplateKey } from "../templates/index.js";
import { type HtmlCard, mailHtml, stackingTable, type Tone } from "../templates/layout.js";
import { escapeHtml, fill } from "../templates/message.js";
import type { RenderedMail } from "../templates/render.js";
import type { AccountLine, Condition, Digest } from "./content.js";
import type { Period } from "./period.js";

type DigestText = {
  subject: string;
  intro: string;
  /** What the storage change column compares with. */
  change: string;
  counts: string;
  outdated: string;
  columns: readonly [string, string, string, string, string, string, string, string];
  /** The column of the runs counted over the period, when the run journal counted them, and its cells. */
  runsColumn: string;
  runs: string;
  conditions: Record<Condition, string>;
  /** What the reseller can do about the accounts in each condition but healthy, said when there are some. */
  advice: Record<Exclude<Condition, "healthy">, string>;
  footer: string;
  never: string;
  /** A backup server whose exporter did not answer: its accounts are missing from the digest. */
  staleServer: string;
  /** The same, when there never was data of it. */
  staleServerNever: string;
};

interface DigestCatalog {
  reseller: DigestText;
  customer: Omit<
    DigestText,
    "counts" | "outdated" | "columns" | "runsColumn" | "runs" | "change" | "advice"
  > & {
    /** The runs counted since the previous digest, saying since when. */
    summarySince: string;
    summary: string;
    /** The failed runs of the period, when the run journal counted them. */
    failed: string;
    lastOnly: string;
    account: string;
    storage: string;
  };
}

/** What a digest says of a backup server it lacks, in both audiences' digests. */
const enStale = {
  staleServer:
    "The backup server {{server}} did not answer when this report was written (its last data is from {{collected}}): its accounts are not in this report. This does not mean that their backups are missing.",
  staleServerNever:
    "The backup server {{server}} did not answer when this report was written: its accounts are not in this report. This does not mean that their backups are missing.",
};

const en: DigestCatalog = {
  reseller: {
    ...enStale,
    subject:
      "Weekly backup report {{period}}: {{accounts, plural, one {# account} other {# accounts}}}, {{failing, plural, other {# failing}}}",
    intro: "Your customers' backups in the week of {{period}}, as of {{asOf}}.",
    change: "“Change” compares the storage used with the previous report, as of {{since}}.",
    counts:
      "{{healthy, plural, other {# healthy}}}, {{warning, plural, other {# with a warning}}}, {{failing, plural, other {# failing}}}, {{never, plural, other {# never used}}}.",
    outdated:
      "{{outdated, plural, one {# computer runs} other {# computers run}}} an outdated backup client; please have them updated.",
    columns: [
      "Account",
      "Customer",
      "Computers",
      "Last backup",
      "State",
      "Storage used",
      "Change",
      "Outdated client",
    ],
    runsColumn: "Backups this week",
    runs: "{{succeeded}} completed, {{failed}} failed",
    conditions: { healthy: "OK", warning: "warning", failing: "failing", never: "never used" },
    advice: {
      failing:
        "Failing: backups failed several times, did not run as planned, or have not succeeded for days. The customers were told by mail what to do; if an account stays failing, please call them: often the computer is switched off at the planned time, or the backup program needs attention.",
      warning:
        "Warning: the storage is nearly full, or the backup program is outdated. The customer can delete data no longer needed from the backup, or you can give the account more space; an outdated program should be updated.",
      never:
        "Never used: no backup was ever received. Help the customer set up the backup program, or cancel the account if it is not needed.",
    },
    footer: "You receive this weekly report as the reseller of these accounts.",
    never: "none",
  },
  customer: {
    ...enStale,
    subject: "Your online backup in {{month}}",
    intro: "Here is how your online backup did in {{month}}, as of {{asOf}}.",
    summarySince:
      "Since the previous report ({{since}}), {{computers, plural, one {your computer was} other {your # computers were}}} backed up {{runs, plural, one {# time} other {# times}}}, last on {{lastSuccess}}.",
    summary:
      "{{computers, plural, one {Your computer was} other {Your # computers were}}} backed up {{runs, plural, one {# time} other {# times}}}, last on {{lastSuccess}}.",
    failed:
      "{{failed, plural, one {One backup} other {# backups}}} did not complete in this period; the messages we sent about it say what to do.",
    lastOnly:
      "{{computers, plural, one {Your computer was} other {Your # computers were}}} last backed up on {{lastSuccess}}.",
    never: "No backup has been received yet.",
    account: "Account {{account}}: {{condition}}.",
    storage: "Storage used: {{usedGiB}} GiB of {{quotaGiB}} GiB ({{usedPercent}}).",
    conditions: {
      healthy: "all backups fine",
      warning: "please look at the warning we sent",
      failing: "backups are failing",
      never: "never used",
    },
    footer:
      "You receive this monthly report because you asked for it. You can switch it off at {{settingsUrl}}",
  },
};

/** What a digest says of a backup server it lacks, in both audiences' digests. */
const deStale = {
  staleServer:
    "Der Sicherungsserver {{server}} hat beim Erstellen dieses Berichts nicht geantwortet (seine letzten Daten sind vom {{collected}}): Seine Konten fehlen in diesem Bericht. Das bedeutet nicht, dass ihre Sicherungen fehlen.",
  staleServerNever:
    "Der Sicherungsserver {{server}} hat beim Erstellen dieses Berichts nicht geantwortet: Seine Konten fehlen in diesem Bericht. Das bedeutet nicht, dass ihre Sicherungen fehlen.",
};

const de: DigestCatalog = {
  reseller: {
    ...deStale,
    subject:
      "Wöchentlicher Backup-Bericht {{period}}: {{accounts, plural, one {# Konto} other {# Konten}}}, {{failing, plural, other {# mit Fehlern}}}",
    intro:
      "so standen die Sicherungen der Konten Ihrer Kundinnen und Kunden in der Woche vom {{period}}, Stand {{asOf}}.",
    change: "„Änderung“ vergleicht den belegten Speicher mit dem vorigen Bericht, Stand {{since}}.",
    counts:
      "{{healthy, plural, other {# in Ordnung}}}, {{warning, plural, other {# mit Warnung}}}, {{failing, plural, other {# mit Fehlern}}}, {{never, plural, other {# nie benutzt}}}.",
    outdated:
      "Auf {{outdated, plural, one {# Computer läuft} other {# Computern läuft}}} ein veraltetes Backup-Programm; bitte lassen Sie es aktualisieren.",
    columns: [
      "Konto",
      "Kunde",
      "Computer",
      "Letzte Sicherung",
      "Zustand",
      "Belegter Speicher",
      "Änderung",
      "Veraltetes Programm",
    ],
    runsColumn: "Sicherungen der Woche",
    runs: "{{succeeded}} abgeschlossen, {{failed}} fehlgeschlagen",
    conditions: { healthy: "in Ordnung", warning: "Warnung", failing: "Fehler", never: "nie benutzt" },
    advice: {
      failing:
        "Fehler: Sicherungen sind mehrmals fehlgeschlagen, liefen nicht wie geplant oder sind seit Tagen nicht gelungen. Ihre Kundinnen und Kunden haben per E-Mail erfahren, was zu tun ist; bleibt ein Konto im Fehler, rufen Sie sie bitte an: Oft ist der Computer zur geplanten Zeit ausgeschaltet, oder das Backup-Programm braucht Aufmerksamkeit.",
      warning:
        "Warnung: Der Speicher ist fast voll, oder das Backup-Programm ist veraltet. Die Kundin oder der Kunde kann nicht mehr benötigte Daten aus der Sicherung löschen, oder Sie geben dem Konto mehr Speicher; ein veraltetes Programm sollte aktualisiert werden.",
      never:
        "Nie benutzt: Es ist noch nie eine Sicherung eingegangen. Helfen Sie beim Einrichten des Backup-Programms, oder kündigen Sie das Konto, wenn es nicht gebraucht wird.",
    },
    footer: "Sie erhalten diesen Wochenbericht als Wiederverkäufer dieser Konten.",
    never: "keine",
  },
  customer: {
    ...deStale,
    subject: "Ihr Online-Backup im {{month}}",
    intro: "so lief Ihr Online-Backup im {{month}}, Stand {{asOf}}.",
    summarySince:
      "Seit dem vorigen Bericht ({{since}}) {{computers, plural, one {wurde Ihr Computer} other {wurden Ihre # Computer}}} {{runs, plural, one {# Mal} other {# Mal}}} gesichert, zuletzt am {{lastSuccess}}.",
    summary:
      "{{computers, plural, one {Ihr Computer wurde} other {Ihre # Computer wurden}}} {{runs, plural, one {# Mal} other {# Mal}}} gesichert, zuletzt am {{lastSuccess}}.",
    failed:
      "{{failed, plural, one {Eine Sicherung wurde} other {# Sicherungen wurden}}} in diesem Zeitraum nicht abgeschlossen; was zu tun ist, steht in den Nachrichten, die wir Ihnen dazu geschickt haben.",
    lastOnly:
      "{{computers, plural, one {Ihr Computer wurde} other {Ihre # Computer wurden}}} zuletzt am {{lastSuccess}} gesichert.",
    never: "Es ist noch keine Sicherung eingegangen.",
    account: "Konto {{account}}: {{condition}}.",
    storage: "Belegter Speicher: {{usedGiB}} GiB von {{quotaGiB}} GiB ({{usedPercent}}).",
    conditions: {
      healthy: "alle Sicherungen in Ordnung",
      warning: "bitte beachten Sie unsere Warnung",
      failing: "Sicherungen schlagen fehl",
      never: "nie benutzt",
    },
    footer:
      "Sie erhalten diesen Monatsbericht, weil Sie ihn bestellt haben. Abbestellen können Sie ihn unter {{settingsUrl}}",
  },
};

/** What a digest says of a backup server it lacks, in both audiences' digests. */
const frStale = {
  staleServer:
    "Le serveur de sauvegarde {{server}} n’a pas répondu lors de la rédaction de ce rapport (ses dernières données datent du {{collected}}) : ses comptes ne figurent pas dans ce rapport. Cela ne veut pas dire que leurs sauvegardes manquent.",
  staleServerNever:
    "Le serveur de sauvegarde {{server}} n’a pas répondu lors de la rédaction de ce rapport : ses comptes ne figurent pas dans ce rapport. Cela ne veut pas dire que leurs sauvegardes manquent.",
};

const fr: DigestCatalog = {
  reseller: {
    ...frStale,
    subject:
      "Rapport hebdomadaire des sauvegardes {{period}} : {{accounts, plural, one {# compte} other {# comptes}}}, {{failing, plural, one {# en échec} other {# en échec}}}",
    intro:
      "Voici l’état des sauvegardes des comptes de vos clients pendant la semaine du {{period}}, état au {{asOf}}.",
    change: "« Évolution » compare l’espace occupé avec le rapport précédent, état au {{since}}.",
    counts:
      "{{healthy, plural, one {# en ordre} other {# en ordre}}}, {{warning, plural, one {# avec un avertissement} other {# avec un avertissement}}}, {{failing, plural, one {# en échec} other {# en échec}}}, {{never, plural, one {# jamais utilisé} other {# jamais utilisés}}}.",
    outdated:
      "{{outdated, plural, one {# ordinateur utilise} other {# ordinateurs utilisent}}} un logiciel de sauvegarde trop ancien ; veuillez le faire mettre à jour.",
    columns: [
      "Compte",
      "Client",
      "Ordinateurs",
      "Dernière sauvegarde",
      "État",
      "Espace occupé",
      "Évolution",
      "Logiciel trop ancien",
    ],
    runsColumn: "Sauvegardes de la semaine",
    runs: "{{succeeded, plural, one {# réussie} other {# réussies}}}, {{failed, plural, one {# en échec} other {# en échec}}}",
    conditions: {
      healthy: "en ordre",
      warning: "avertissement",
      failing: "en échec",
      never: "jamais utilisé",
    },
    advice: {
      failing:
        "En échec : des sauvegardes ont échoué plusieurs fois, n’ont pas eu lieu comme prévu ou n’ont pas réussi depuis des jours. Vos clients ont reçu un message leur indiquant que faire ; si un compte reste en échec, appelez-les : souvent l’ordinateur est éteint à l’heure prévue, ou le logiciel de sauvegarde demande une intervention.",
      warning:
        "Avertissement : l’espace est presque plein, ou le logiciel de sauvegarde est trop ancien. Le client peut supprimer de la sauvegarde les données dont il n’a plus besoin, ou vous pouvez attribuer plus d’espace au compte ; un logiciel trop ancien doit être mis à jour.",
      never:
        "Jamais utilisé : aucune sauvegarde n’a jamais été reçue. Aidez le client à installer le logiciel de sauvegarde, ou résiliez le compte s’il n’est pas utilisé.",
    },
    footer: "Vous recevez ce rapport hebdomadaire en tant que revendeur de ces comptes.",
    never: "aucune",
  },
  customer: {
    ...frStale,
    subject: "Votre sauvegarde en ligne en {{month}}",
    intro: "Voici le bilan de votre sauvegarde en ligne en {{month}}, état au {{asOf}}.",
    summarySince:
      "Depuis le rapport précédent ({{since}}), {{computers, plural, one {votre ordinateur a été sauvegardé} other {vos # ordinateurs ont été sauvegardés}}} {{runs, plural, one {# fois} other {# fois}}}, la dernière fois le {{lastSuccess}}.",
    summary:
      "{{computers, plural, one {Votre ordinateur a été sauvegardé} other {Vos # ordinateurs ont été sauvegardés}}} {{runs, plural, one {# fois} other {# fois}}}, la dernière fois le {{lastSuccess}}.",
    failed:
      "{{failed, plural, one {Une sauvegarde n’a} other {# sauvegardes n’ont}}} pas abouti pendant cette période ; les messages que nous vous avons envoyés à ce sujet indiquent que faire.",
    lastOnly:
      "{{computers, plural, one {Votre ordinateur a été sauvegardé} other {Vos # ordinateurs ont été sauvegardés}}} pour la dernière fois le {{lastSuccess}}.",
    never: "Aucune sauvegarde n’a encore été reçue.",
    account: "Compte {{account}} : {{condition}}.",
    storage: "Espace occupé : {{usedGiB}} Gio sur {{quotaGiB}} Gio ({{usedPercent}}).",
    conditions: {
      healthy: "toutes les sauvegardes en ordre",
      warning: "veuillez consulter notre avertissement",
      failing: "les sauvegardes échouent",
      never: "jamais utilisé",
    },
    footer:
      "Vous recevez ce rapport mensuel parce que vous l’avez demandé. Vous pouvez le désactiver sur {{settingsUrl}}",
  },
};

export const digestCatalogs: Record<Language, DigestCatalog> = { en, de, fr };

/** A digest's period, with the times its facts are from. */
export interface DigestPeriod extends Period {
  /** When the exporter's state the digest tells was collected: its conditions and storage are as of then. */
  asOfMs: number;
  /** When the previous digest's state was collected: runs and storage changes are counted since then. */
  sinceMs?: number | undefined;
  /** Runs are counted over the period's days (the run journal), not since the previous digest. */
  runsInPeriod?: boolean;
  /** Backup servers whose exporter did not answer: the digest lacks their accounts and says so. */
  staleServers?: readonly ServerFreshness[] | undefined;
}

export interface DigestContext {
  language: Language;
  timeZone: string;
  period: DigestPeriod;
  /** Greeting name (customer digests). */
  recipientName?: string;
  /** Where a customer switches the digest off. */
  settingsUrl?: string;
  /** The self-care portal: each account links to `<selfCareUrl>/accounts/<uid>`. */
  selfCareUrl?: string;
}

type Values = Record<string, string | undefined>;

const text = (template: string, values: Values, language: Language) =>
  fill(template, values, false, language);
const html = (template: string, values: Values, language: Language) => fill(template, values, true, language);

const signedGiB = (bytes: number, language: Language) =>
  `${bytes > 0 ? "+" : bytes < 0 ? "−" : "±"}${formatGiB(Math.abs(bytes), language)} GiB`;

/** The first alternative of a key of the alert mails' catalog that has its values: the same words in digests. */
function builtin(language: Language, key: TemplateKey, values: Values): string {
  for (const line of builtinCatalogs[language][key]) {
    const filled = text(line, values, language);
    if (filled !== undefined) return filled;
  }
  return "";
}

const DAY_MS = 86_400_000;

/** The week's days, "23–29 November 2026", "23.–29. November 2026", or the month's name: "novembre 2026". */
const periodName = (period: Period, language: Language): string =>
  period.kind === "week"
    ? new Intl.DateTimeFormat(locales[language], {
        day: "numeric",
        month: "long",
        year: "numeric",
        timeZone: "UTC",
      }).formatRange(new Date(period.startMs), new Date(period.endMs - DAY_MS))
    : new Intl.DateTimeFormat(locales[language], { month: "long", year: "numeric", timeZone: "UTC" }).format(
        new Date(period.startMs),
      );

/** When the digest's facts are from, and since when it counts: in the recipient's time zone. */
const periodTimes = (context: DigestContext): Values => ({
  asOf: formatDate(new Date(context.period.asOfMs), context.language, context.timeZone, true),
  since:
    context.period.sinceMs === undefined
      ? undefined
      : formatDate(new Date(context.period.sinceMs), context.language, context.timeZone, true),
});

/** One paragraph per backup server the digest lacks, plain and HTML. */
const staleParagraphs = (t: Pick<DigestText, "staleServer" | "staleServerNever">, context: DigestContext) =>
  (context.period.staleServers ?? []).map((server) => {
    const values: Values = {
      server: server.name,
      collected: server.collectedAt
        ? formatDate(server.collectedAt, context.language, context.timeZone, true)
        : undefined,
    };
    const line = server.collectedAt ? t.staleServer : t.staleServerNever;
    return {
      plain: text(line, values, context.language) ?? "",
      html: html(line, values, context.language) ?? "",
    };
  });

const conditionTone: Record<Condition, Tone> = {
  healthy: "solved",
  warning: "warning",
  failing: "failing",
  never: "info",
};

/** The weekly reseller digest: counts, outdated clients, and one table row per account. */
export function renderResellerDigest(digest: Digest, context: DigestContext): RenderedMail {
  const { language, timeZone } = context;
  const t = digestCatalogs[language].reseller;
  const outdated = digest.accounts.reduce((n, a) => n + a.outdated.length, 0);
  const values: Values = {
    period: periodName(context.period, language),
    ...periodTimes(context),
    accounts: String(digest.accounts.length),
    outdated: String(outdated),
    ...Object.fromEntries(Object.entries(digest.counts).map(([k, v]) => [k, String(v)])),
  };
  // Only runs counted over the period (the run journal) have a column: the counters' span is not the week.
  const counted = context.period.runsInPeriod === true;
  const columns = counted ? [...t.columns.slice(0, 4), t.runsColumn, ...t.columns.slice(4)] : t.columns;
  const runs = (a: AccountLine): string[] =>
    counted
      ? [text(t.runs, { succeeded: String(a.runs ?? 0), failed: String(a.failedRuns ?? 0) }, language) ?? ""]
      : [];
  const cells = (a: AccountLine): string[] => [
    a.uid,
    a.customer ?? "",
    String(a.computers),
    a.lastSuccessMs === undefined
      ? t.never
      : formatDate(new Date(a.lastSuccessMs), language, timeZone, false),
    ...runs(a),
    t.conditions[a.condition],
    a.usedBytes === undefined
      ? ""
      : `${formatGiB(a.usedBytes, language)} GiB${a.usedRatio === undefined ? "" : ` (${formatPercent(a.usedRatio, language)})`}`,
    a.trendBytes === undefined ? "" : signedGiB(a.trendBytes, language),
    a.outdated.join(", "),
  ];
  const rows = [columns.slice(), ...digest.accounts.map(cells)];
  const widths = columns.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  const table = rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd(),
  );
  const advice = (["failing", "warning", "never"] as const)
    .filter((condition) => digest.counts[condition] > 0)
    .map((condition) => t.advice[condition]);
  const paragraphs = [
    t.intro,
    t.counts,
    ...(outdated > 0 ? [t.outdated] : []),
    ...advice,
    ...(values.since === undefined ? [] : [t.change]),
  ];
  const stale = staleParagraphs(t, context);
  const hello = builtin(language, "greeting.reseller", {});
  const plain = [
    hello,
    "",
    ...paragraphs.flatMap((p) => [text(p, values, language) ?? "", ""]),
    ...stale.flatMap((p) => [p.plain, ""]),
    ...table,
    "",
    "-- ",
    t.footer,
    "",
  ].join("\n");
  const subject = text(t.subject, values, language) ?? "";
  const [intro, ...rest] = paragraphs.map((p) => html(p, values, language) ?? "");
  const body = mailHtml({
    language,
    title: subject,
    preheader: text(t.counts, values, language) ?? "",
    greeting: escapeHtml(hello),
    intro: intro === undefined ? [] : [intro],
    cards: [],
    after: [
      ...[...rest, ...stale.map((p) => p.html)].map((p) => `<p style="margin:0 0 14px">${p}</p>`),
      stackingTable(
        columns,
        digest.accounts.map((a) => ({
          cells: cells(a),
          tone: conditionTone[a.condition],
          ...(context.selfCareUrl ? { link: accountPage(context.selfCareUrl, a.uid) } : {}),
        })),
        language,
      ),
    ],
    footer: [escapeHtml(t.footer)],
    wide: true,
  });
  return { subject, text: plain, html: body };
}

/** The monthly customer digest: how often the computers were backed up, and each account's state. */
export function renderCustomerDigest(digest: Digest, context: DigestContext): RenderedMail {
  const { language, timeZone } = context;
  const t = digestCatalogs[language].customer;
  const values: Values = {
    month: periodName(context.period, language),
    ...periodTimes(context),
    computers: String(digest.computers),
    ...(digest.runs === undefined ? {} : { runs: String(digest.runs) }),
    ...(digest.lastSuccessMs === undefined
      ? {}
      : { lastSuccess: formatDate(new Date(digest.lastSuccessMs), language, timeZone, false) }),
    ...(digest.failedRuns ? { failed: String(digest.failedRuns) } : {}),
    settingsUrl: context.settingsUrl,
  };
  // Runs counted over the period need no "since": the intro names the period.
  const found = [...(context.period.runsInPeriod ? [] : [t.summarySince]), t.summary, t.lastOnly, t.never]
    .map((s) => [text(s, values, language), html(s, values, language)])
    .find(([plain]) => plain !== undefined) ?? ["", ""];
  const failed = [text(t.failed, values, language), html(t.failed, values, language)];
  const summary = failed[0] === undefined ? found : found.map((s, i) => `${s} ${failed[i]}`);
  const accountLines = digest.accounts.map((a) => {
    const v: Values = {
      account: a.uid,
      condition: t.conditions[a.condition],
      ...(a.usedBytes === undefined ? {} : { usedGiB: formatGiB(a.usedBytes, language) }),
      ...(a.quotaBytes === undefined ? {} : { quotaGiB: formatGiB(a.quotaBytes, language) }),
      ...(a.usedRatio === undefined ? {} : { usedPercent: formatPercent(a.usedRatio, language) }),
    };
    return [t.account, t.storage].flatMap((line) => {
      const plain = text(line, v, language);
      return plain === undefined ? [] : [{ plain, html: html(line, v, language) ?? "" }];
    });
  });
  const stale = staleParagraphs(t, context);
  const footer = text(t.footer, values, language);
  const hello = builtin(language, "greeting.customer", { name: context.recipientName });
  const plain = [
    hello,
    "",
    text(t.intro, values, language) ?? "",
    "",
    summary[0] ?? "",
    "",
    ...stale.flatMap((p) => [p.plain, ""]),
    ...accountLines.flatMap((lines, i) => {
      const uid = digest.accounts[i]?.uid ?? "";
      const link = context.selfCareUrl
        ? builtin(language, "link.account", {
            account: uid,
            accountUrl: accountPage(context.selfCareUrl, uid),
          })
        : "";
      return [
        ...lines.map((l, n) => (n === 0 ? `* ${l.plain}` : `  ${l.plain}`)),
        ...(link ? [`  ${link}`] : []),
        "",
      ];
    }),
    "-- ",
    ...(footer ? [footer] : []),
    "",
  ].join("\n");
  const subject = text(t.subject, values, language) ?? "";
  const cards: HtmlCard[] = digest.accounts.map((a, i) => {
    const [heading, ...lines] = accountLines[i] ?? [];
    return {
      sections: [
        { tone: conditionTone[a.condition], heading: heading?.html ?? "", lines: lines.map((l) => l.html) },
      ],
      ...(context.selfCareUrl
        ? {
            button: {
              href: accountPage(context.selfCareUrl, a.uid),
              label: escapeHtml(builtin(language, "button.account", { account: a.uid })),
            },
          }
        : {}),
    };
  });
  const body = mailHtml({
    language,
    title: subject,
    preheader: summary[0] ?? "",
    greeting: escapeHtml(hello),
    intro: [
      html(t.intro, values, language) ?? "",
      `<strong>${summary[1] ?? ""}</strong>`,
      ...stale.map((p) => p.html),
    ],
    cards,
    footer: footer ? [html(t.footer, values, language) ?? ""] : [],
  });
  return { subject, text: plain, html: body };
}
