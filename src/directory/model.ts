/** The read-only directory model: what the monitor needs of accounts, persons and resellers. */

/** The per-account settings that follow the chain account → reseller settings → configuration. */
export interface AccountSettings {
  warnings?: boolean;
  quotaWarningPercent?: number;
  missedBackupsThreshold?: number;
  missedDaysThreshold?: number;
  failuresThreshold?: number;
  quotaFullDays?: number;
}

export type SettingName = keyof AccountSettings;

export interface Account {
  uid: string;
  dn: string;
  /** homeDirectory, when the entry has one. */
  home?: string;
  /** sstIsActive; an entry without the attribute counts as active. */
  active: boolean;
  /** Settings read from the account entry itself (absent attributes stay undefined). */
  settings: AccountSettings;
  /** Which attribute the warnings flag was read from, when present. */
  warningsFlagAttribute?: string;
  mail: string[];
  /** `mail` values that are not exactly one address (a comma, a line break, two addresses): never mailed. */
  ignoredMail?: string[];
  /** sstNotificationWarning values, lower case (`quota`, `schedule`, `digest`, …). */
  notices?: string[];
  preferredLanguage?: string;
  personUid?: string;
  resellerUids: string[];
  customerUid?: string;
  quotaBytes?: number;
  backupSizeBytes?: number;
  incrementSizeBytes?: number;
  /** sstBackupLastSuccessfulBackup by host name (UTC instants); `0` values are dropped. */
  lastSuccessfulBackup: Map<string, Date>;
  createdAt?: Date;
  /** Values that were present but malformed and therefore ignored, for operators (explain, logs). */
  notes?: string[];
}

export interface Person {
  uid: string;
  dn: string;
  givenName?: string;
  surname?: string;
  mail: string[];
  /** `mail` values that are not exactly one address: never mailed. */
  ignoredMail?: string[];
  preferredLanguage?: string;
  /** sstTimeZoneOffset as written, e.g. `+01:00` or `Europe/Zurich`. */
  timeZoneOffset?: string;
  /** Malformed values that were ignored. */
  notes?: string[];
}

export interface Reseller {
  uid: string;
  dn: string;
  name?: string;
  mail: string[];
  /** `mail` values that are not exactly one address: never mailed. */
  ignoredMail?: string[];
  preferredLanguage?: string;
  informPersonUids: string[];
  personUids: string[];
  /** Settings of the reseller's settings entry (and the warnings flag of the reseller entry). */
  settings: AccountSettings;
  /** DN of the settings entry, when the reseller has one. */
  settingsDn?: string;
  /** Malformed values that were ignored. */
  notes?: string[];
}

/** One directory backend (LDAP or LDIF file); every method may reject with a DirectoryError. */
export interface Directory {
  /**
   * Every account, a page at a time as the directory sends them: the next page is asked for once `onPage`
   * of this one has resolved, so a caller that reads accounts holds a page or two, not all of them.
   * `signal` ends a search in flight.
   */
  eachAccountPage(onPage: (accounts: Account[]) => Promise<void>, signal?: AbortSignal): Promise<void>;
  /** Accounts by uid (batched on LDAP); unknown uids are absent from the map. */
  getAccounts(uids: readonly string[]): Promise<Map<string, Account>>;
  /** Persons by uid; unknown uids are absent from the map. */
  getPersons(uids: readonly string[]): Promise<Map<string, Person>>;
  getResellers(uids: readonly string[]): Promise<Map<string, Reseller>>;
  /** Connect/bind and run one search; used by check-config. */
  check(): Promise<string>;
  close(): Promise<void>;
}

/** The directory could not answer (unreachable, bad credentials, bad data); the message is for operators. */
export class DirectoryError extends Error {
  /**
   * The directory itself failed (cannot be reached, refused the bind or TLS, too slow, busy): no
   * look-up can succeed now, whatever it asks for. Otherwise the failure may belong to the request,
   * and a smaller one (fewer uids) may succeed.
   */
  readonly unavailable: boolean;

  constructor(message: string, options?: { cause?: unknown; unavailable?: boolean }) {
    super(message, options);
    this.name = "DirectoryError";
    this.unavailable = options?.unavailable ?? false;
  }
}

export type Audience = "customer" | "reseller";

/** One address that gets mail about an account, and how to talk to it. */
export interface Recipient {
  address: string;
  audience: Audience;
  /** Language code as found (e.g. `de-CH`) or the configured default; templates reduce it to en/de/fr. */
  language: string;
  /** IANA zone or fixed offset (`+01:00`) for dates in the mail. */
  timeZone: string;
  /** Whose address it is: the account, a person uid or a reseller uid. */
  source: { kind: "account" | "person" | "reseller"; uid: string };
  /** For reseller mails: which reseller this is. */
  resellerUid?: string;
}

/** Someone who is not informed, and why (e.g. "warnings off", "no address", "person 42 not found"). */
export interface NotInformed {
  audience: Audience;
  uid: string;
  reason: string;
}

export interface RecipientResolution {
  accountUid: string;
  recipients: Recipient[];
  notInformed: NotInformed[];
}
