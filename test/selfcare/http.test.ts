import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log.js";
import { startSelfcare } from "../../src/selfcare/index.js";
import { hashToken } from "../../src/selfcare/portal.js";
import { throttleKeys } from "../../src/selfcare/throttle.js";
import { dayIn } from "../../src/selfcare/time.js";
import { requireBinaries } from "../support/binaries.js";
import { exampleLdif, type Slapd, startSlapd } from "../support/slapd.js";
import {
  accountsBase,
  demo,
  type Harness,
  login,
  readAttribute,
  resellersBase,
  slapdDirectory,
  slapdSelfcare,
  startPortal,
  testPersons,
} from "./support.js";

const enabled = requireBinaries(["slapd", "slapadd"]);

/** A first wait of a minute: no test here runs long enough for a wait to pass by itself. */
const throttle = {
  freeFailures: 3,
  initialDelaySeconds: 60,
  maxDelaySeconds: 900,
  uidMaxFailures: 8,
  addressMaxFailures: 5,
  windowSeconds: 3600,
};

describe.runIf(enabled)("self-care JSON API against slapd", () => {
  let slapd: Slapd;
  let harness: Harness;
  let url: string;

  beforeAll(async () => {
    slapd = await startSlapd({ ldif: [exampleLdif, testPersons] });
    harness = await startPortal(slapdDirectory(slapd), {
      selfcare: { ...slapdSelfcare(slapd), throttle },
    });
    url = harness.portal.url;
  });
  afterAll(async () => {
    await harness?.close();
    await slapd?.dispose();
  });

  const post = (credentials: unknown, headers: Record<string, string> = {}) =>
    fetch(`${url}/api/v1/session`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(credentials),
    });

  describe("login", () => {
    it("answers a good login with an HttpOnly SameSite=Lax cookie and a CSRF token", async () => {
      const response = await post(demo.customer);
      expect(response.status).toBe(200);
      const cookie = response.headers.get("set-cookie") ?? "";
      expect(cookie).toMatch(/^stoney_selfcare=[A-Za-z0-9_-]{40,};/);
      expect(cookie).toContain("HttpOnly");
      expect(cookie).toContain("SameSite=Lax");
      expect(cookie).not.toContain("Secure");
      const body = (await response.json()) as { csrfToken: string; language: string };
      expect(body.csrfToken.length).toBeGreaterThan(20);
      expect(body.language).toBe("de");
    });

    it("says the same generic 401 for a wrong password, an unknown uid, an inactive person and self-care off", async () => {
      const answers = await Promise.all(
        [
          { uid: demo.customer.uid, password: "wrong" },
          { uid: "9999999", password: "whatever" },
          { uid: "5000020", password: "inactive-secret" },
          { uid: "5000021", password: "selfcare-off" },
          { uid: demo.customer.uid, password: "" },
        ].map(async (credentials, index) => {
          const response = await post(credentials, { "x-forwarded-for": `192.0.2.${100 + index}` });
          return {
            status: response.status,
            body: await response.text(),
            cookie: response.headers.get("set-cookie"),
          };
        }),
      );
      for (const answer of answers) {
        expect(answer.status).toBe(401);
        expect(answer.body).toBe(JSON.stringify({ error: "uid or password wrong" }));
        expect(answer.cookie).toBeNull();
      }
    });

    it("escapes LDAP filter characters in the uid, so a wildcard cannot log anyone in", async () => {
      for (const [index, uid] of ["5000001*", "*", "5000001)(uid=*", "50000*1", "\\2a"].entries()) {
        const response = await post(
          { uid, password: demo.customer.password },
          { "x-forwarded-for": `192.0.2.${110 + index}` },
        );
        expect(response.status, uid).toBe(401);
      }
    });

    const from = (address: string) => ({ "x-forwarded-for": address });

    it("slows a guesser from one address, while the person logs in from another", async () => {
      for (let failure = 0; failure < throttle.freeFailures; failure++)
        expect((await post({ uid: "5000022", password: "guess" }, from("192.0.2.21"))).status).toBe(401);
      const slowed = await post({ uid: "5000022", password: "throttle-secret" }, from("192.0.2.21"));
      expect(slowed.status).toBe(429);
      expect(await slowed.json()).toEqual({ error: "too many failed logins; try again later" });
      const wait = Number(slowed.headers.get("retry-after"));
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(throttle.initialDelaySeconds);
      expect((await post({ uid: "5000022", password: "throttle-secret" }, from("192.0.2.22"))).status).toBe(
        200,
      );
      // The person's login does not free the guesser.
      expect((await post({ uid: "5000022", password: "guess" }, from("192.0.2.21"))).status).toBe(429);
    });

    it("tells a person on the login form how long to wait, in their language", async () => {
      const form = await fetch(`${url}/login`, { headers: { "accept-language": "de" } });
      const cookie = (form.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
      const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? "";
      const submit = () =>
        fetch(`${url}/login`, {
          method: "POST",
          redirect: "manual",
          headers: {
            cookie,
            "accept-language": "de",
            "content-type": "application/x-www-form-urlencoded",
            ...from("192.0.2.31"),
          },
          body: new URLSearchParams({ _csrf: csrf, uid: "5000023", password: "guess" }).toString(),
        });
      for (let failure = 0; failure < throttle.freeFailures; failure++)
        expect((await submit()).status).toBe(401);
      const slowed = await submit();
      expect(slowed.status).toBe(429);
      const wait = Number(slowed.headers.get("retry-after"));
      const inWords = wait < 60 ? `${wait} Sek.` : `${Math.floor(wait / 60)} Min. ${wait % 60} Sek.`;
      expect(await slowed.text()).toContain(`Bitte warten Sie ${inWords}, bevor Sie es wieder versuchen.`);
    });

    it("doubles the guesser's wait with each failure, up to the longest wait", async () => {
      const waitAfter = async (failures: number, address: string) => {
        const keys = throttleKeys("7000100", address);
        const last = Date.now();
        for (let failure = 0; failure < failures; failure++)
          await harness.store.addLoginFailure([keys.pair], last);
        const response = await post({ uid: "7000100", password: "guess" }, from(address));
        expect(response.status).toBe(429);
        return Number(response.headers.get("retry-after"));
      };
      const first = await waitAfter(throttle.freeFailures, "192.0.2.51");
      const third = await waitAfter(throttle.freeFailures + 2, "192.0.2.52");
      const capped = await waitAfter(throttle.freeFailures + 10, "192.0.2.53");
      // Seconds, rounded up, counted from failures that happened a moment ago.
      expect(first).toBeGreaterThan(throttle.initialDelaySeconds - 5);
      expect(first).toBeLessThanOrEqual(throttle.initialDelaySeconds);
      expect(third).toBeGreaterThan(4 * throttle.initialDelaySeconds - 5);
      expect(third).toBeLessThanOrEqual(4 * throttle.initialDelaySeconds);
      expect(capped).toBeGreaterThan(throttle.maxDelaySeconds - 5);
      expect(capped).toBeLessThanOrEqual(throttle.maxDelaySeconds);
    });

    it("refuses a uid from everywhere only past the far higher ceiling of failures from all addresses", async () => {
      const person = { uid: "5000022", password: "throttle-secret" };
      const spread = async (failures: number, network: number) => {
        for (let failure = 0; failure < failures; failure++)
          expect(
            (await post({ uid: person.uid, password: "guess" }, from(`198.51.${network}.${failure + 1}`)))
              .status,
          ).toBe(401);
      };
      await spread(throttle.uidMaxFailures - 1, 100);
      expect((await post(person, from("203.0.113.1"))).status).toBe(200);
      await spread(throttle.uidMaxFailures, 101);
      expect((await post(person, from("203.0.113.2"))).status).toBe(429);
      await harness.store.clearLoginFailures([throttleKeys(person.uid, "").uid]);
    });

    it("refuses an address that failed for many uids, and only that address", async () => {
      const address = from("192.0.2.30");
      for (let uid = 7000001; uid < 7000001 + throttle.addressMaxFailures; uid++)
        expect((await post({ uid: String(uid), password: "no" }, address)).status).toBe(401);
      expect((await post(demo.reseller, address)).status).toBe(429);
      expect((await post(demo.reseller, from("192.0.2.31"))).status).toBe(200);
    });

    it("counts failures together with another portal on the same store", async () => {
      const other = await startSelfcare(harness.config, createLogger("fatal"), {
        store: harness.store,
        status: harness.exporter.status,
      });
      try {
        const postTo = (base: string, credentials: unknown, address: string) =>
          fetch(`${base}/api/v1/session`, {
            method: "POST",
            headers: { "content-type": "application/json", ...from(address) },
            body: JSON.stringify(credentials),
          });
        const person = { uid: "5000023", password: "shared-throttle-secret" };
        const wrong = { uid: person.uid, password: "no" };
        expect((await postTo(url, wrong, "192.0.2.41")).status).toBe(401);
        expect((await postTo(other.url, wrong, "192.0.2.41")).status).toBe(401);
        expect((await postTo(url, wrong, "192.0.2.41")).status).toBe(401);
        expect((await postTo(other.url, person, "192.0.2.41")).status).toBe(429);
        expect((await postTo(url, person, "192.0.2.41")).status).toBe(429);
        expect((await postTo(other.url, person, "192.0.2.44")).status).toBe(200);
      } finally {
        await other.close();
      }
    });

    it("ends an idle session: the next request is 401 and the session is gone from the store", async () => {
      const client = await login(url, demo.customer);
      expect((await client.call("GET", "/api/v1/accounts")).status).toBe(200);
      const token = client.cookie.split("=")[1] ?? "";
      await harness.store.touchSession(hashToken(token), Date.now() - 31 * 60_000);
      expect((await client.call("GET", "/api/v1/accounts")).status).toBe(401);
      expect(await harness.store.session(hashToken(token))).toBeUndefined();
    });

    it("logs out", async () => {
      const client = await login(url, demo.customer);
      expect((await client.call("DELETE", "/api/v1/session")).status).toBe(204);
      expect((await client.call("GET", "/api/v1/accounts")).status).toBe(401);
    });
  });

  describe("scope", () => {
    it("shows a customer the accounts they own, a colleague the one they are allowed on", async () => {
      const customer = await login(url, demo.customer);
      const mine = (await (await customer.call("GET", "/api/v1/accounts")).json()) as {
        accounts: { uid: string }[];
      };
      expect(mine.accounts.map((a) => a.uid).sort()).toEqual(["3723701", "3723702", "3723709"]);
      const colleague = await login(url, demo.colleague);
      const theirs = (await (await colleague.call("GET", "/api/v1/accounts")).json()) as {
        accounts: { uid: string }[];
      };
      expect(theirs.accounts.map((a) => a.uid)).toEqual(["3723701"]);
    });

    it("shows a reseller contact every account of its reseller, problems first, paged", async () => {
      const reseller = await login(url, demo.reseller);
      const all = (await (await reseller.call("GET", "/api/v1/accounts?pageSize=2")).json()) as {
        total: number;
        pages: number;
        accounts: { uid: string; problems: string[] }[];
      };
      expect(all.total).toBe(4);
      expect(all.pages).toBe(2);
      const second = (await (
        await reseller.call("GET", "/api/v1/accounts?pageSize=2&page=2")
      ).json()) as typeof all;
      expect([...all.accounts, ...second.accounts].map((a) => a.uid).sort()).toEqual([
        "3723704",
        "3723705",
        "3723709",
        "3723710",
      ]);
      const counts = [...all.accounts, ...second.accounts].map((a) => a.problems.length);
      expect(counts).toEqual([...counts].sort((a, b) => b - a));
      const searched = (await (
        await reseller.call("GET", "/api/v1/accounts?q=3723710")
      ).json()) as typeof all;
      expect(searched.accounts.map((a) => a.uid)).toEqual(["3723710"]);
    });

    it("refuses a page or page size that is not a whole number in range, saying which, instead of a default", async () => {
      const reseller = await login(url, demo.reseller);
      const cases: [string, string][] = [
        ["pageSize=0", "pageSize must be a whole number from 1 to 1000"],
        ["pageSize=1001", "pageSize must be a whole number from 1 to 1000"],
        ["pageSize=2.5", "pageSize must be a whole number from 1 to 1000"],
        ["page=abc", "page must be a whole number from 1"],
        ["page=0", "page must be a whole number from 1"],
        ["page=-1", "page must be a whole number from 1"],
      ];
      for (const [query, reason] of cases) {
        const response = await reseller.call("GET", `/api/v1/accounts?${query}`);
        expect(response.status, query).toBe(400);
        expect(((await response.json()) as { error: string }).error, query).toContain(reason);
      }
      expect((await reseller.call("GET", "/api/v1/accounts?page=1&pageSize=1000")).status).toBe(200);
    });

    it("shows an account with its state, settings and their sources, recipients and why", async () => {
      const customer = await login(url, demo.customer);
      const response = await customer.call("GET", "/api/v1/accounts/3723702");
      expect(response.status).toBe(200);
      const body = (await response.json()) as {
        grants: { kind: string }[];
        settings: { quotaWarningPercent: { value: number; source: string; resellerUid?: string } };
        recipients: { address: string; audience: string }[];
        state: { quota: { usedRatio: number } };
      };
      expect(body.grants).toEqual([{ kind: "owner", attribute: "sstBelongsToPersonUID" }]);
      expect(body.settings.quotaWarningPercent).toEqual({
        value: 90,
        source: "reseller",
        resellerUid: "4000001",
      });
      expect(body.recipients.map((r) => `${r.audience} ${r.address}`).sort()).toEqual([
        "customer juerg.mueller@example.ch",
        "reseller support@muster-reseller.example",
      ]);
      expect(body.state.quota.usedRatio).toBeGreaterThan(0.9);
    });

    it("calls a planned backup whose time has passed due, not a time ago, with the time in its title", async () => {
      // The exporter collected at its fixed NOW, days before the portal's clock: every planned time has passed.
      const customer = await login(url, demo.customer);
      const page = await (await customer.call("GET", "/accounts/3723701")).text();
      expect(page).toMatch(
        /data-label="Nächste geplante Sicherung"\s*><time datetime="2026-[^"]+" title="[^"]+">jetzt fällig<\/time>/,
      );
    });
  });

  describe("another person's account in every route", () => {
    const foreign = "3723702";
    const routes: Array<[string, string, unknown?]> = [
      ["GET", `/api/v1/accounts/${foreign}`],
      ["PUT", `/api/v1/accounts/${foreign}/settings`, { quotaWarningPercent: 60 }],
      ["PUT", `/api/v1/accounts/${foreign}/settings`, { quotaWarningPercent: 5000 }],
      ["GET", `/api/v1/accounts/${foreign}/pauses`],
      ["POST", `/api/v1/accounts/${foreign}/pauses`, { until: "2099-01-01" }],
      ["DELETE", `/api/v1/accounts/${foreign}/pauses/1`],
      ["DELETE", `/api/v1/accounts/${foreign}/unsubscriptions/1`],
      ["GET", "/api/v1/resellers/4000001/settings"],
      ["PUT", "/api/v1/resellers/4000001/settings", { quotaWarningPercent: 60 }],
      ["GET", "/api/v1/accounts/9999999"],
    ];
    for (const [method, route, body] of routes)
      it(`${method} ${route} is 403 and reads and writes nothing`, async () => {
        const colleague = await login(url, demo.colleague);
        const response = await colleague.call(method, route, body);
        expect(response.status).toBe(403);
        const text = await response.text();
        expect(text).not.toMatch(/juerg|quota|usedRatio|sstNotification/i);
        expect(
          await readAttribute(slapd, `uid=${foreign},${accountsBase}`, "sstNotificationWarningLevel"),
        ).toEqual([]);
        expect(await harness.store.pauses(foreign, 10)).toEqual([]);
        expect(await harness.store.audit(foreign, 10)).toEqual([]);
        expect(await harness.store.audit("reseller:4000001", 10)).toEqual([]);
      });

    it("pages of another person's account are 403 too", async () => {
      const colleague = await login(url, demo.colleague);
      for (const page of [
        `/accounts/${foreign}`,
        `/accounts/${foreign}/settings`,
        `/accounts/${foreign}/pause`,
      ]) {
        const response = await colleague.call("GET", page);
        expect(response.status, page).toBe(403);
      }
    });
  });

  describe("one-click unsubscribe links", () => {
    it("are not there without a key to check them", async () => {
      for (const method of ["GET", "POST"])
        expect((await fetch(`${url}/unsubscribe/e30.c2lnbmF0dXJl`, { method })).status, method).toBe(404);
    });
  });

  describe("settings", () => {
    it("refuses a write without the CSRF token", async () => {
      const customer = await login(url, demo.customer);
      const response = await customer.call(
        "PUT",
        "/api/v1/accounts/3723701/settings",
        { quotaWarningPercent: 70 },
        {
          "x-csrf-token": "",
        },
      );
      expect(response.status).toBe(403);
      expect(
        await readAttribute(slapd, `uid=3723701,${accountsBase}`, "sstNotificationWarningLevel"),
      ).toEqual([]);
    });

    it("refuses values out of the configured bounds", async () => {
      const customer = await login(url, demo.customer);
      for (const body of [
        { quotaWarningPercent: 49 },
        { quotaWarningPercent: 100 },
        { missedBackupsThreshold: -1 },
        { failuresThreshold: 1.5 },
        { quotaWarningPercent: "80" },
        { unknownSetting: 1 },
      ]) {
        const response = await customer.call("PUT", "/api/v1/accounts/3723701/settings", body);
        expect(response.status, JSON.stringify(body)).toBe(400);
      }
      expect(
        await readAttribute(slapd, `uid=3723701,${accountsBase}`, "sstNotificationWarningLevel"),
      ).toEqual([]);
    });

    it("writes a threshold with the portal's own account, audits it, and the exporter's next collection exports it", async () => {
      const customer = await login(url, demo.customer);
      const response = await customer.call("PUT", "/api/v1/accounts/3723701/settings", {
        quotaWarningPercent: 80,
      });
      expect(response.status).toBe(200);
      expect(
        await readAttribute(slapd, `uid=3723701,${accountsBase}`, "sstNotificationWarningLevel"),
      ).toEqual(["80"]);
      const account = (await (await customer.call("GET", "/api/v1/accounts/3723701")).json()) as {
        settings: { quotaWarningPercent: { value: number; source: string } };
        audit: { personUid: string; action: string; oldValue?: string; newValue?: string }[];
      };
      expect(account.settings.quotaWarningPercent).toEqual({ value: 80, source: "account" });
      expect(account.audit[0]).toMatchObject({
        personUid: "5000001",
        action: "setting quotaWarningPercent",
        newValue: "80",
      });
      expect(account.audit[0]?.oldValue).toBeUndefined();
      await harness.exporter.collect();
      const exported = (await harness.exporter.status.accounts(["3723701"])).get("3723701");
      expect(exported?.settings.quotaWarningPercent).toEqual({ value: 80, source: "account" });
      const back = await customer.call("PUT", "/api/v1/accounts/3723701/settings", {
        quotaWarningPercent: null,
      });
      expect(((await back.json()) as { changes: unknown[] }).changes).toHaveLength(1);
      expect(
        await readAttribute(slapd, `uid=3723701,${accountsBase}`, "sstNotificationWarningLevel"),
      ).toEqual([]);
    });

    it("lets a reseller contact edit the reseller's defaults, and no other reseller's", async () => {
      const reseller = await login(url, demo.reseller);
      const ok = await reseller.call("PUT", "/api/v1/resellers/4000002/settings", {
        missedBackupsThreshold: 3,
      });
      expect(ok.status).toBe(200);
      expect(
        await readAttribute(slapd, `ou=settings,uid=4000002,${resellersBase}`, "sstBackupWarningNumbers"),
      ).toEqual(["3"]);
      const audit = (await (await reseller.call("GET", "/api/v1/resellers/4000002/settings")).json()) as {
        audit: { oldValue: string; newValue: string }[];
      };
      expect(audit.audit[0]).toMatchObject({ oldValue: "2", newValue: "3" });
      expect(
        (await reseller.call("PUT", "/api/v1/resellers/4000001/settings", { missedBackupsThreshold: 3 }))
          .status,
      ).toBe(403);
    });
  });

  describe("pauses", () => {
    it("pauses an account until the end of a day in the person's zone, in RFC 3339, and ends the pause early", async () => {
      const customer = await login(url, demo.customer);
      const until = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
      const created = await customer.call("POST", "/api/v1/accounts/3723709/pauses", {
        until,
        comment: "holidays",
      });
      expect(created.status).toBe(201);
      const pause = (await created.json()) as {
        id: number;
        createdBy: string;
        until: string;
        createdAt: string;
      };
      expect(pause.createdBy).toBe("5000001");
      // Jürg Müller's sstTimeZoneOffset is +01:00: his day ends at 22:59:59 UTC.
      const end = `${until}T22:59:59.000Z`;
      expect(pause.until).toBe(end);
      expect(pause.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      const list = (await (await customer.call("GET", "/api/v1/accounts")).json()) as {
        accounts: { uid: string; pausedUntil?: string }[];
      };
      expect(list.accounts.find((a) => a.uid === "3723709")?.pausedUntil).toBe(end);
      const listed = (await (await customer.call("GET", "/api/v1/accounts/3723709/pauses")).json()) as {
        pauses: { id: number; until: string }[];
      };
      expect(listed.pauses.find((p) => p.id === pause.id)?.until).toBe(end);
      expect((await harness.store.activePauses(["3723709"], Date.now())).has("3723709")).toBe(true);
      expect((await customer.call("DELETE", `/api/v1/accounts/3723709/pauses/${pause.id}`)).status).toBe(200);
      expect((await harness.store.activePauses(["3723709"], Date.now())).has("3723709")).toBe(false);
    });

    it("offers the days of the person's zone in the pause form, and refuses a day too far in their words", async () => {
      const customer = await login(url, demo.customer);
      const now = Date.now();
      const form = await (await customer.call("GET", "/accounts/3723709/pause")).text();
      expect(form).toContain(`min="${dayIn(now, "+01:00")}"`);
      expect(form).toContain(`max="${dayIn(now + 89 * 86_400_000, "+01:00")}"`);
      const refused = await fetch(`${url}/accounts/3723709/pauses`, {
        method: "POST",
        headers: { cookie: customer.cookie, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ _csrf: customer.csrfToken, until: "2999-01-01" }).toString(),
        redirect: "manual",
      });
      expect(refused.status).toBe(400);
      const page = await refused.text();
      expect(page).toContain("Bitte wählen Sie einen Tag von heute bis in 90 Tagen.");
      expect(page).not.toContain("pause lasts");
    });

    it("refuses a pause in the past or longer than allowed", async () => {
      const customer = await login(url, demo.customer);
      for (const until of ["2020-01-01", "2999-01-01", "not a date"])
        expect(
          (await customer.call("POST", "/api/v1/accounts/3723709/pauses", { until })).status,
          until,
        ).toBe(400);
    });
  });
});
