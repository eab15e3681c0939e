import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { parseConfig } from "../../src/config/index.js";
import { runCli } from "../directory/runCli.js";

const dir = mkdtempSync(path.join(tmpdir(), "stoney-secrets-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(path.join(dir, "token"), "from-file\n");
writeFileSync(path.join(dir, "empty"), "");
writeFileSync(path.join(dir, "blank"), " \t\n\n");

const parse = (raw: object, env: NodeJS.ProcessEnv = {}) =>
  parseConfig(stringify(raw), "test.yaml", dir, env);
const base = { directory: { url: "ldap://127.0.0.1", bindDN: "cn=monitor", bindPassword: "inline" } };

describe("secrets: environment, else file (relative to the config file), else inline", () => {
  it("reads every secret from its file", () => {
    const config = parse({
      directory: { ...base.directory, bindPasswordFile: "./token" },
      exporter: { basicAuth: { username: "prometheus", passwordFile: "./token" } },
      bridge: {
        auth: { bearerTokenFile: "./token", basic: { username: "am", passwordFile: "./token" } },
        smtp: { url: "smtp://127.0.0.1:25", passwordFile: "./token" },
      },
    });
    expect(config.directory.bindPassword).toBe("from-file");
    expect(config.exporter.basicAuth?.password).toBe("from-file");
    expect(config.bridge.auth?.bearerToken).toBe("from-file");
    expect(config.bridge.auth?.basic?.password).toBe("from-file");
    expect(config.bridge.smtp.password).toBe("from-file");
  });

  it("prefers the environment over the file and the inline value", () => {
    const config = parse(
      {
        directory: { ...base.directory, bindPasswordFile: "./token" },
        bridge: { auth: { bearerToken: "inline" }, smtp: { password: "inline" } },
      },
      {
        STONEY_LDAP_BIND_PASSWORD: "env-ldap",
        STONEY_SMTP_PASSWORD: "env-smtp",
        STONEY_BRIDGE_TOKEN: "env-token",
      },
    );
    expect(config.directory.bindPassword).toBe("env-ldap");
    expect(config.bridge.smtp.password).toBe("env-smtp");
    expect(config.bridge.auth?.bearerToken).toBe("env-token");
  });

  it("reads the key of the unsubscribe links from its file or the environment, and refuses a short one", () => {
    const key = "k".repeat(48);
    writeFileSync(path.join(dir, "unsubscribe.key"), `${key}\n`);
    const fromFile = parse({ ...base, bridge: { unsubscribe: { secretFile: "./unsubscribe.key" } } });
    expect(fromFile.bridge.unsubscribe.secret).toBe(key);
    const fromEnvironment = parse(
      { ...base, bridge: { unsubscribe: { secretFile: "./unsubscribe.key" } } },
      { STONEY_UNSUBSCRIBE_SECRET: `env-${key}` },
    );
    expect(fromEnvironment.bridge.unsubscribe.secret).toBe(`env-${key}`);
    expect(parse(base).bridge.unsubscribe.secret).toBeUndefined();
    expect(() => parse({ ...base, bridge: { unsubscribe: { secret: "short" } } })).toThrow(
      "bridge.unsubscribe.secret: at least 32 characters",
    );
    expect(() => parse(base, { STONEY_UNSUBSCRIBE_SECRET: "" })).toThrow(
      /STONEY_UNSUBSCRIBE_SECRET[^\n]* is empty/,
    );
  });

  it("keeps the inline value when there is neither", () => {
    expect(parse(base).directory.bindPassword).toBe("inline");
  });

  it("names the key of a secret file that cannot be read", () => {
    expect(() =>
      parse({ directory: { url: "file:x.ldif" }, bridge: { smtp: { passwordFile: "./missing" } } }),
    ).toThrow(`bridge.smtp.passwordFile: cannot read ${path.join(dir, "missing")} (ENOENT)`);
  });

  // An empty secret must never read as "no authentication configured".
  it.each([
    [{ bridge: { auth: { bearerTokenFile: "./empty" } } }, {}, "bridge.auth.bearerTokenFile"],
    [{ bridge: { auth: { bearerTokenFile: "./blank" } } }, {}, "bridge.auth.bearerTokenFile"],
    [{ bridge: { auth: { bearerToken: "  " } } }, {}, "bridge.auth.bearerToken"],
    [{ bridge: { auth: { bearerToken: "inline" } } }, { STONEY_BRIDGE_TOKEN: "" }, "STONEY_BRIDGE_TOKEN"],
    [
      { bridge: { auth: { basic: { username: "am", passwordFile: "./blank" } } } },
      {},
      "bridge.auth.basic.passwordFile",
    ],
    [{ bridge: { auth: { basic: { username: "am", password: "" } } } }, {}, "bridge.auth.basic.password"],
    [
      { exporter: { basicAuth: { username: "prometheus", passwordFile: "./empty" } } },
      {},
      "exporter.basicAuth.passwordFile",
    ],
    [
      { exporter: { basicAuth: { username: "prometheus", password: "\n" } } },
      {},
      "exporter.basicAuth.password",
    ],
    [{ bridge: { smtp: { passwordFile: "./blank" } } }, {}, "bridge.smtp.passwordFile"],
    [{ directory: { ...base.directory, bindPassword: " " } }, {}, "directory.bindPassword"],
    [base, { STONEY_LDAP_BIND_PASSWORD: " " }, "STONEY_LDAP_BIND_PASSWORD"],
  ])("rejects an empty or blank secret: %j %j", (raw, env, source) => {
    expect(() => parse({ directory: { url: "file:x.ldif" }, ...raw }, env)).toThrow(
      new RegExp(`${source}[^\n]* is empty`),
    );
  });

  it("makes the CLI exit 2 with one line for an empty token file, never serving without auth", async () => {
    const file = path.join(dir, "empty-token.yaml");
    writeFileSync(
      file,
      stringify({ directory: { url: "file:x.ldif" }, bridge: { auth: { bearerTokenFile: "./empty" } } }),
    );
    const { code, stderr } = await runCli(["--config", file, "bridge"]);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `${file}: invalid configuration\n  bridge.auth.bearerTokenFile: ${path.join(dir, "empty")} is empty; an empty secret would switch authentication off\n`,
    );
  });
});
