import { parentPort, workerData } from "node:worker_threads";
import type { BridgeConfig } from "../config/index.js";
import type { MailerRequest, MailerResponse } from "./threaded-mailer.js";
import { classifySendError, createMailer } from "./transport.js";

/**
 * The SMTP connections of the bridge, on a thread of their own: building a mail's MIME body and
 * writing it out costs about as much as everything else the bridge does in a burst, and here it
 * runs beside the webhooks, the routing and the coalescing instead of between them.
 */
const port = parentPort;
if (!port) throw new Error("mailer-thread runs as a worker thread");
const mailer = createMailer(workerData as BridgeConfig["smtp"]);
const aborts = new Map<number, AbortController>();

const answer = async (id: number, work: (signal: AbortSignal) => Promise<string>) => {
  const controller = new AbortController();
  aborts.set(id, controller);
  let response: MailerResponse;
  try {
    response = { id, response: await work(controller.signal) };
  } catch (error) {
    const { message, permanent, command } = classifySendError(error);
    response = { id, error: { message, permanent, ...(command === undefined ? {} : { command }) } };
  } finally {
    aborts.delete(id);
  }
  port.postMessage(response);
};

port.on("message", (request: MailerRequest) => {
  if (request.type === "abort") aborts.get(request.id)?.abort();
  else if (request.type === "send") void answer(request.id, (signal) => mailer.send(request.mail, signal));
  else void answer(request.id, () => mailer.verify());
});
