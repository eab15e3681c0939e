import { parentPort, workerData } from "node:worker_threads";
import { AccountObserver, type ObserverSettings } from "./observer.js";
import type { ObserverRequest, ObserverResponse } from "./observer-pool.js";

/** A reader thread: one AccountObserver for its share of the accounts (see observer-pool.ts). */
const observer = new AccountObserver(workerData as ObserverSettings);
const port = parentPort;
port?.on("message", (request: ObserverRequest) => {
  if (request.type === "collection") observer.nextCollection(request.recall);
  else
    port.postMessage(
      request.accounts.map(
        ({ id, uid, home, now }): ObserverResponse => ({
          id,
          observation: observer.observe(uid, home, new Date(now)),
        }),
      ),
    );
});
