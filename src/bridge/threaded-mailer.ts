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
 * One thread running mailer-thread.ts with its own connections. A thread that fails fails the mails it
 * was sending as temporary errors (they are retried) and is started again at the next mail.
 */
class MailerThread {
  #worker: Worker | undefined;
  readonly #pending = new Map<number, Pending>();

  /** `smtp.maxConnections` is this thread's share of the connections. */
  constructor(readonly smtp: BridgeConfig["smtp"]) {}

  get busy(): number {
    return this.#pending.size;
  }

  request(request: Exclude<MailerRequest, { type: "abort" }>, signal?: AbortSignal): Promise<string> {
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

  close(): void {
    const worker = this.#worker;
    this.#worker = undefined;
    this.#failAll("the mailer was closed");
    void worker?.terminate();
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
    const worker = startThread(import.meta.url, "mailer-thread", { workerData: this.smtp });
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

/**
 * The SMTP mailer on `smtp.threads` threads of their own (see mailer-thread.ts), behind the same
 * interface. The connections are shared out, so that all threads together open at most
 * `maxConnections`; each mail goes to the thread with the most of its share free.
 */
export class ThreadedMailer implements Mailer {
  readonly #threads: MailerThread[];
  #nextId = 0;

  constructor(smtp: BridgeConfig["smtp"]) {
    const count = Math.min(smtp.threads, smtp.maxConnections);
    this.#threads = Array.from(
      { length: count },
      (_, i) =>
        new MailerThread({
          ...smtp,
          maxConnections: Math.floor(smtp.maxConnections / count) + (i < smtp.maxConnections % count ? 1 : 0),
        }),
    );
  }

  send(mail: OutgoingMail, signal?: AbortSignal): Promise<string> {
    if (signal?.aborted) return Promise.reject(new SendError("aborted before sending", false));
    return this.#leastBusy().request({ type: "send", id: this.#nextId++, mail }, signal);
  }

  verify(): Promise<string> {
    return this.#leastBusy().request({ type: "verify", id: this.#nextId++ });
  }

  close(): void {
    for (const thread of this.#threads) thread.close();
  }

  #leastBusy(): MailerThread {
    const free = (thread: MailerThread) => thread.smtp.maxConnections - thread.busy;
    return this.#threads.reduce((best, thread) => (free(thread) > free(best) ? thread : best));
  }
}

/** The pipeline's mailer: SMTP on threads of their own; a folder of .eml files on the calling thread. */
export const sendingMailer = (config: BridgeConfig["smtp"]): Mailer =>
  config.url.startsWith("file:") ? createMailer(config) : new ThreadedMailer(config);
