import type { Worker } from "node:worker_threads";
import type { BridgeConfig } from "../config/index.js";
import { startThread } from "../thread.js";
import { createMailer, type Mailer, type OutgoingMail, SendError } from "./transport.js";

export type MailerRequest =
  | { type: "send"; id: number; mail: OutgoingMail }
  | { type: "verify"; id: number }
  | { type: "abort"; id: number };

export type MailerResponse =
  | { id: number; response: string }
  | { id: number; error: { message: string; permanent: boolean; command?: string } };

interface Pending {
  resolve: (response: string) => void;
  reject: (error: SendError) => void;
}

/**
 * The SMTP mailer in a thread of its own (see mailer-thread.ts), behind the same interface. A thread
 * that fails fails the mails it was sending as temporary errors (they are retried) and is started
 * again at the next mail.
 */
export class ThreadedMailer implements Mailer {
  #worker: Worker | undefined;
  #nextId = 0;
  readonly #pending = new Map<number, Pending>();

  constructor(private readonly config: BridgeConfig["smtp"]) {}

  send(mail: OutgoingMail, signal?: AbortSignal): Promise<string> {
    return this.#request({ type: "send", id: this.#nextId++, mail }, signal);
  }

  verify(): Promise<string> {
    return this.#request({ type: "verify", id: this.#nextId++ });
  }

  close(): void {
    const worker = this.#worker;
    this.#worker = undefined;
    this.#failAll("the mailer was closed");
    void worker?.terminate();
  }

  #request(request: Exclude<MailerRequest, { type: "abort" }>, signal?: AbortSignal): Promise<string> {
    if (signal?.aborted) return Promise.reject(new SendError("aborted before sending", false));
    const worker = this.#started();
    const { id } = request;
    const abort = () => worker.postMessage({ type: "abort", id } satisfies MailerRequest);
    signal?.addEventListener("abort", abort, { once: true });
    return new Promise<string>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      // A thread with work keeps the process alive (a command waiting for its answer); an idle one does not.
      if (this.#pending.size === 1) worker.ref();
      worker.postMessage(request);
    }).finally(() => signal?.removeEventListener("abort", abort));
  }

  #settle(id: number): Pending | undefined {
    const pending = this.#pending.get(id);
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#worker?.unref();
    return pending;
  }

  #failAll(reason: string): void {
    for (const id of [...this.#pending.keys()]) this.#settle(id)?.reject(new SendError(reason, false));
  }

  #started(): Worker {
    if (this.#worker) return this.#worker;
    const worker = startThread(import.meta.url, "mailer-thread", { workerData: this.config });
    worker.on("message", (response: MailerResponse) => {
      const pending = this.#settle(response.id);
      if (!pending) return;
      if ("response" in response) pending.resolve(response.response);
      else {
        const { message, permanent, command } = response.error;
        pending.reject(new SendError(message, permanent, command));
      }
    });
    const failed = (why: string) => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      this.#failAll(`the sending thread stopped: ${why}`);
    };
    worker.on("error", (error) => failed(error.message));
    worker.on("exit", (code) => failed(`exited with ${code}`));
    worker.unref();
    this.#worker = worker;
    return worker;
  }
}

/** The pipeline's mailer: SMTP on a thread of its own; a folder of .eml files on the calling thread. */
export const sendingMailer = (config: BridgeConfig["smtp"]): Mailer =>
  config.url.startsWith("file:") ? createMailer(config) : new ThreadedMailer(config);
