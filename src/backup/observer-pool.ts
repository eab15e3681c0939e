import type { Worker } from "node:worker_threads";
import { startThread } from "../thread.js";
import { shareValues } from "./host.js";
import { type AccountObservation, AccountObserver, type ObserverSettings, timedOut } from "./observer.js";

/** Reads and parses homes for the collections, in reader threads or on the calling thread. */
export interface AccountObservers {
  /** Start a collection in every reader; with `recall` false every file is looked at again. */
  nextCollection(recall: boolean): void;
  /** Never rejects: a reader that fails or takes longer than `timeoutMs` gives an error of the home. */
  observe(uid: string, home: string, now: Date): Promise<AccountObservation>;
  close(): Promise<void>;
}

export type ObserverRequest =
  | { type: "collection"; recall: boolean }
  | { type: "observe"; accounts: { id: number; uid: string; home: string; now: number }[] };

export interface ObserverResponse {
  id: number;
  observation: AccountObservation;
}

/** FNV-1a: an account always goes to the same reader, which holds what it parsed of that account. */
function shardOf(uid: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < uid.length; i++) hash = Math.imul(hash ^ uid.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % shards;
}

/**
 * A reader's garbage is a parsed document per file, dropped at once: a small young generation is enough.
 * The default (tens of MiB per thread) showed as 50 MiB more peak RSS with two readers at 50,000 accounts;
 * 4 MiB made the first collection slower (scavenges took 14 % of a reader's time), 8 did not.
 */
const resourceLimits = { maxYoungGenerationSizeMb: 8 };

const startReader = (settings: ObserverSettings): Worker =>
  startThread(import.meta.url, "observer-thread", { workerData: settings, resourceLimits });

const stopping = (home: string): AccountObservation => ({
  hosts: [],
  errors: [`reading ${home} stopped: the exporter is stopping`],
});

interface Pending {
  resolve: (observation: AccountObservation) => void;
  home: string;
  timer: NodeJS.Timeout;
}

/** One reader thread and the requests it has not answered; restarted (with nothing parsed) after a failure. */
class ReaderThread {
  #worker: Worker | undefined;
  #closed = false;
  readonly #pending = new Map<number, Pending>();
  /**
   * Requests of this event-loop turn, sent as one message: a message costs the sender tens of
   * microseconds (it wakes the other thread), more than reading an unchanged account.
   */
  #batch: Extract<ObserverRequest, { type: "observe" }>["accounts"] = [];

  constructor(private readonly settings: ObserverSettings) {}

  #started(): Worker {
    if (this.#worker) return this.#worker;
    const worker = startReader(this.settings);
    worker.on("message", (responses: ObserverResponse[]) => {
      for (const response of responses) {
        const pending = this.#pending.get(response.id);
        if (!pending) continue;
        this.#pending.delete(response.id);
        clearTimeout(pending.timer);
        response.observation.hosts.forEach(shareValues);
        pending.resolve(response.observation);
      }
    });
    const failed = (reason: string) => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      this.#answerAll((home) => ({
        hosts: [],
        errors: [`reading ${home} failed (reader thread ${reason})`],
      }));
    };
    worker.on("error", (error) => failed(error.message));
    worker.on("exit", (code) => failed(`exited with ${code}`));
    // Idle between collections, a reader must not keep the process alive.
    worker.unref();
    this.#worker = worker;
    return worker;
  }

  #answerAll(answer: (home: string) => AccountObservation): void {
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id);
      clearTimeout(pending.timer);
      pending.resolve(answer(pending.home));
    }
  }

  nextCollection(recall: boolean): void {
    this.#flush();
    this.#worker?.postMessage({ type: "collection", recall } satisfies ObserverRequest);
  }

  readonly #flush = () => {
    if (this.#batch.length === 0) return;
    const accounts = this.#batch;
    this.#batch = [];
    this.#worker?.postMessage({ type: "observe", accounts } satisfies ObserverRequest);
  };

  observe(id: number, uid: string, home: string, now: Date): Promise<AccountObservation> {
    if (this.#closed) return Promise.resolve(stopping(home));
    this.#started();
    return new Promise((resolve) => {
      // The thread stops an account at its deadline between two steps; this answers for one stuck in a call.
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        resolve(timedOut(home, this.settings.timeoutMs));
      }, this.settings.timeoutMs);
      this.#pending.set(id, { resolve, home, timer });
      if (this.#batch.length === 0) setImmediate(this.#flush);
      this.#batch.push({ id, uid, home, now: now.getTime() });
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#batch = [];
    const worker = this.#worker;
    this.#worker = undefined;
    this.#answerAll(stopping);
    await worker?.terminate();
  }
}

/**
 * `threads` reader threads (none: on the calling thread). Each account is read by the same thread at every
 * collection, so what that thread parsed of it is reused.
 */
export function createObservers(settings: ObserverSettings, threads: number): AccountObservers {
  if (threads === 0) {
    const observer = new AccountObserver(settings);
    return {
      nextCollection: (recall) => observer.nextCollection(recall),
      observe: async (uid, home, now) => observer.observe(uid, home, now),
      close: async () => {},
    };
  }
  const readers = Array.from({ length: threads }, () => new ReaderThread(settings));
  let nextId = 0;
  return {
    nextCollection(recall) {
      for (const reader of readers) reader.nextCollection(recall);
    },
    observe(uid, home, now) {
      nextId += 1;
      return (readers[shardOf(uid, threads)] as ReaderThread).observe(nextId, uid, home, now);
    },
    async close() {
      await Promise.all(readers.map((reader) => reader.close()));
    },
  };
}
