import { SMTPServer } from "smtp-server";
import { afterEach, describe, expect, it } from "vitest";
import { ThreadedMailer } from "../../src/bridge/threaded-mailer.js";
import { SendError } from "../../src/bridge/transport.js";
import { bridgeSchema } from "../../src/config/bridge.js";
import { type SmtpSink, smtpSink } from "./support.js";

/** The SMTP mailer on its own thread, against a real SMTP server: what the pipeline relies on. */
describe("the sending thread", () => {
  let sink: SmtpSink | undefined;
  let mailer: ThreadedMailer | undefined;
  afterEach(async () => {
    mailer?.close();
    await sink?.stop();
  });
  const start = async () => {
    sink = await smtpSink();
    const smtp = bridgeSchema.parse({ smtp: { url: sink.url, from: "backup@stoney.example" } }).smtp;
    mailer = new ThreadedMailer(smtp);
    return { sink, mailer };
  };
  const mail = (to: string, subject = "Backup") => ({
    to,
    subject,
    text: "Grüße aus dem Thread",
    html: "<p>Grüße aus dem Thread</p>",
    messageId: `<${subject.replaceAll(" ", "-")}@stoney.example>`,
    headers: { "X-Test": "1" },
  });

  it("sends mails with their headers and answers with the server's response", async () => {
    const { sink, mailer } = await start();
    const responses = await Promise.all([
      mailer.send(mail("a@customer.example", "one")),
      mailer.send(mail("b@customer.example", "two")),
    ]);
    for (const response of responses) expect(response).toMatch(/^250/);
    expect(sink.mails.map((m) => m.parsed.subject).sort()).toEqual(["one", "two"]);
    const [first] = sink.to("a@customer.example");
    expect(first?.parsed.text?.trim()).toBe("Grüße aus dem Thread");
    expect(first?.parsed.headers.get("x-test")).toBe("1");
    expect(first?.parsed.headers.get("auto-submitted")).toBe("auto-generated");
    expect(first?.parsed.messageId).toBe("<one@stoney.example>");
    await expect(mailer.verify()).resolves.toMatch(/^connected to 127\.0\.0\.1:/);
  });

  it("gives back the server's refusal as a SendError that names the command, and a refused recipient alone", async () => {
    const { sink, mailer } = await start();
    sink.rejected.add("gone@customer.example");
    const refusal = await mailer.send(mail("gone@customer.example")).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(SendError);
    expect((refusal as SendError).permanent).toBe(true);
    expect((refusal as SendError).refusedRecipient).toBe(true);
    expect((refusal as SendError).message).toMatch(/550/);
    await expect(mailer.send(mail("here@customer.example"))).resolves.toMatch(/^250/);
  });

  it("ends a mail whose signal aborts, and the other mails go on", async () => {
    const { sink, mailer } = await start();
    const release = sink.hold("slow@customer.example");
    const controller = new AbortController();
    const slow = mailer
      .send(mail("slow@customer.example", "slow"), controller.signal)
      .catch((e: unknown) => e);
    await expect(mailer.send(mail("fast@customer.example", "fast"))).resolves.toMatch(/^250/);
    controller.abort();
    const outcome = await slow;
    release();
    expect(outcome).toBeInstanceOf(SendError);
    expect((outcome as SendError).permanent).toBe(false);
    await expect(mailer.send(mail("after@customer.example", "after"))).resolves.toMatch(/^250/);
  });

  it("fails the mails in flight as temporary when closed, and sends again afterwards from a new thread", async () => {
    const { sink, mailer } = await start();
    const release = sink.hold("held@customer.example");
    const held = mailer.send(mail("held@customer.example", "held")).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 200));
    mailer.close();
    const outcome = await held;
    release();
    expect(outcome).toBeInstanceOf(SendError);
    expect((outcome as SendError).permanent).toBe(false);
    expect((outcome as SendError).message).toMatch(/closed/);
    await expect(mailer.send(mail("next@customer.example", "next"))).resolves.toMatch(/^250/);
    expect(sink.to("next@customer.example")).toHaveLength(1);
  });

  it("shares maxConnections out among its threads: never more connections open than that in all", async () => {
    let open = 0;
    let mostOpen = 0;
    let delivered = 0;
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS", "AUTH"],
      logger: false,
      onConnect(_session, callback) {
        open++;
        mostOpen = Math.max(mostOpen, open);
        callback();
      },
      onClose() {
        open--;
      },
      onData(stream, _session, callback) {
        stream.resume();
        // Slow enough that every mail given at once waits for a connection.
        stream.on("end", () =>
          setTimeout(() => {
            delivered++;
            callback();
          }, 100),
        );
      },
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    try {
      const port = (server.server.address() as { port: number }).port;
      const smtp = bridgeSchema.parse({
        smtp: { url: `smtp://127.0.0.1:${port}`, maxConnections: 3, threads: 2 },
      }).smtp;
      mailer = new ThreadedMailer(smtp);
      const sent = mailer;
      const responses = await Promise.all(
        Array.from({ length: 12 }, (_, i) => sent.send(mail(`c${i}@customer.example`, `mail ${i}`))),
      );
      expect(responses.every((response) => response.startsWith("250"))).toBe(true);
      expect(delivered).toBe(12);
      expect(mostOpen).toBeGreaterThan(1);
      expect(mostOpen).toBeLessThanOrEqual(3);
    } finally {
      mailer?.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("refuses a mail whose signal aborted before it was handed to the thread", async () => {
    const { sink, mailer } = await start();
    const outcome = await mailer
      .send(mail("never@customer.example"), AbortSignal.abort())
      .catch((e: unknown) => e);
    expect(outcome).toBeInstanceOf(SendError);
    expect(sink.mails).toHaveLength(0);
  });
});
