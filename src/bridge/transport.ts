import { constants, readFileSync } from "node:fs";
import { access, mkdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import nodemailer from "nodemailer";
import type { BridgeConfig } from "../config/index.js";
import { quotedPrintablePart } from "./quoted-printable.js";

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Stable per outbox row, so a resend after a crash carries the same id. */
  messageId: string;
  /** Threading and list headers, beside the ones every mail carries. */
  headers?: Record<string, string>;
}

/** The sending stage: resolves with the server's answer, rejects with a classified SendError. */
export interface Mailer {
  /** An aborted signal ends the mail's SMTP transaction (its connection is closed), not the others'. */
  send(mail: OutgoingMail, signal?: AbortSignal): Promise<string>;
  /** Connect (and authenticate) or check the folder, for check-config; rejects with the reason. */
  verify(): Promise<string>;
  close(): void;
}

export class SendError extends Error {
  constructor(
    message: string,
    /** The server answered 5xx. */
    readonly permanent: boolean,
    /** The SMTP command the server answered (`MAIL FROM`, `RCPT TO`, `DATA`, …), when known. */
    readonly command?: string,
  ) {
    super(message);
    this.name = "SendError";
  }

  /**
   * A 5xx to RCPT TO: this recipient is refused, if the relay takes other recipients meanwhile. Any
   * other 5xx (to MAIL FROM, DATA, the greeting, AUTH) is the relay's, and passes when it is fixed.
   */
  get refusedRecipient(): boolean {
    return this.permanent && this.command === "RCPT TO";
  }
}

/** Keep the server's code and the command it answered, so the send stage can tell whose fault it is. */
export function classifySendError(error: unknown): SendError {
  if (error instanceof SendError) return error;
  const e = error as {
    responseCode?: number;
    code?: string;
    command?: string;
    response?: string;
    message?: string;
  };
  const code = typeof e.responseCode === "number" ? e.responseCode : undefined;
  const text = e.response ?? e.message ?? String(error);
  const message = [e.code, e.command, code, text].filter((p) => p !== undefined).join(" ");
  return new SendError(message, code !== undefined && code >= 500 && code < 600, e.command);
}

/** What nodemailer composes of a mail: its headers, and its parts encoded already (see quoted-printable.ts). */
export const composedMail = (from: string, mail: OutgoingMail) => ({
  from,
  to: mail.to,
  subject: mail.subject,
  messageId: mail.messageId,
  headers: { ...autoHeaders, ...mail.headers },
  text: { raw: quotedPrintablePart("text/plain", mail.text) },
  html: { raw: quotedPrintablePart("text/html", mail.html) },
});

export const autoHeaders = {
  // RFC 3834: no vacation replies or auto-forward loops; the Microsoft header says the same to Exchange.
  "Auto-Submitted": "auto-generated",
  "X-Auto-Response-Suppress": "All",
};

function smtpMailer(config: BridgeConfig["smtp"]): Mailer {
  const url = new URL(config.url);
  const secure = url.protocol === "smtps:";
  const user = config.username ?? (url.username ? decodeURIComponent(url.username) : undefined);
  const pass = config.password ?? (url.password ? decodeURIComponent(url.password) : undefined);
  const transport = nodemailer.createTransport({
    pool: true,
    host: url.hostname,
    port: url.port ? Number(url.port) : secure ? 465 : 25,
    secure,
    requireTLS: config.requireTLS,
    ...(user ? { auth: { user, pass: pass ?? "" } } : {}),
    tls: {
      rejectUnauthorized: config.tls.rejectUnauthorized,
      ...(config.tls.caFile ? { ca: readFileSync(config.tls.caFile) } : {}),
    },
    maxConnections: config.maxConnections,
    maxMessages: 1000,
    connectionTimeout: config.timeoutMs,
    greetingTimeout: config.timeoutMs,
    socketTimeout: config.timeoutMs,
  });
  return {
    async send(mail, signal) {
      try {
        const info = await transport.sendMail({
          ...composedMail(config.from, mail),
          ...(signal ? { signal } : {}),
        });
        return String(info.response ?? "");
      } catch (error) {
        throw classifySendError(error);
      }
    },
    async verify() {
      await transport.verify();
      return `connected to ${url.hostname}:${url.port || (secure ? 465 : 25)}${user ? ` as ${user}` : ""}`;
    },
    close: () => transport.close({ force: true }),
  };
}

/** `file:` URL: each mail becomes one .eml file, written to a temporary name and renamed (atomic). */
function fileMailer(config: BridgeConfig["smtp"]): Mailer {
  const dir = config.url.startsWith("file://") ? fileURLToPath(config.url) : config.url.slice("file:".length);
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "unix" });
  return {
    async send(mail) {
      try {
        const info = await transport.sendMail(composedMail(config.from, mail));
        const name = mail.messageId.replace(/[<>]/g, "").replace(/[^A-Za-z0-9._-]/g, "_");
        await mkdir(dir, { recursive: true });
        const target = path.join(dir, `${name}.eml`);
        const temporary = path.join(dir, `.${name}.eml.tmp`);
        await writeFile(temporary, info.message as Buffer);
        await rename(temporary, target);
        return `written to ${target}`;
      } catch (error) {
        throw new SendError(String((error as Error).message ?? error), false);
      }
    },
    async verify() {
      await mkdir(dir, { recursive: true });
      await access(dir, constants.W_OK);
      return `mails are written to ${dir}`;
    },
    close: () => transport.close(),
  };
}

/** The mailer of `smtp.url`, on the calling thread (check-config; the sending thread itself). */
export const createMailer = (config: BridgeConfig["smtp"]): Mailer =>
  config.url.startsWith("file:") ? fileMailer(config) : smtpMailer(config);
