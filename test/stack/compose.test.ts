import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Attribute, Change, Client, InsufficientAccessError } from "ldapts";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadConfig } from "../../src/config/index.js";
import { findBinary, requireBinaries } from "../support/binaries.js";
import { loadCompose } from "./compose.js";
import { freePort, repoRoot, runBinary, waitFor } from "./processes.js";

const compose = loadCompose();
const services = compose.services;

const hostPort = (mapping: string): number => Number(mapping.split(":").at(-2));

describe("docker-compose.yml", () => {
  it("runs the whole stack", () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        "alertmanager-1",
        "alertmanager-2",
        "bridge",
        "exporter",
        "grafana",
        "mailpit",
        "openldap",
        "prometheus",
        "selfcare",
      ].sort(),
    );
  });

  it("publishes each web UI and endpoint on its documented port, on loopback only", () => {
    const published = Object.fromEntries(
      Object.entries(services).map(([name, s]) => [name, (s.ports ?? []).map(hostPort)]),
    );
    expect(published).toMatchObject({
      exporter: [9851],
      bridge: [9852],
      selfcare: [9853],
      prometheus: [9090],
      "alertmanager-1": [9093],
      "alertmanager-2": [9095],
      grafana: [3000],
      mailpit: [8025, 1025],
      openldap: [3389],
    });
    for (const service of Object.values(services))
      for (const port of service.ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:/);
  });

  it("starts each service once what it needs is healthy", () => {
    const needs: Record<string, string[]> = {
      exporter: ["openldap"],
      bridge: ["openldap", "mailpit"],
      selfcare: ["openldap", "exporter", "bridge"],
      "alertmanager-1": ["bridge"],
      "alertmanager-2": ["bridge"],
      prometheus: ["exporter", "bridge", "alertmanager-1", "alertmanager-2"],
      grafana: ["prometheus"],
    };
    for (const [name, deps] of Object.entries(needs))
      expect(Object.keys(services[name]?.depends_on ?? {}), name).toEqual(expect.arrayContaining(deps));
    for (const [name, service] of Object.entries(services))
      for (const [dep, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(services, `${name} needs ${dep}`).toHaveProperty(dep);
        expect(condition, `${name} needs ${dep}`).toBe("service_healthy");
        expect(services[dep]?.healthcheck, `${dep} reports its health`).toBeDefined();
      }
  });

  it("checks each service's health where it says it is ready", () => {
    const readiness: Record<string, string> = {
      exporter: "http://127.0.0.1:9851/readyz",
      bridge: "http://127.0.0.1:9852/readyz",
      selfcare: "http://127.0.0.1:9853/healthz",
      "alertmanager-1": "http://127.0.0.1:9093/-/ready",
      "alertmanager-2": "http://127.0.0.1:9093/-/ready",
      prometheus: "http://127.0.0.1:9090/-/ready",
      grafana: "http://127.0.0.1:3000/api/health",
    };
    for (const [name, service] of Object.entries(services)) {
      const test = service.healthcheck?.test ?? [];
      expect(test[0], name).toBe("CMD");
      if (readiness[name]) expect(test.at(-1), name).toBe(readiness[name]);
    }
    // The image has no curl or wget: the monitor's services use the script the image ships.
    for (const name of ["exporter", "bridge", "selfcare"])
      expect(services[name]?.healthcheck?.test.slice(1, 3)).toEqual(["node", "healthcheck.mjs"]);
  });

  it("runs Alertmanager as a clustered pair to which Prometheus sends every alert", () => {
    const flags = (name: string) => services[name]?.command ?? [];
    expect(flags("alertmanager-1")).toEqual(
      expect.arrayContaining(["--cluster.listen-address=0.0.0.0:9094", "--cluster.peer=alertmanager-2:9094"]),
    );
    expect(flags("alertmanager-2")).toEqual(
      expect.arrayContaining(["--cluster.listen-address=0.0.0.0:9094", "--cluster.peer=alertmanager-1:9094"]),
    );
    const prometheus = parse(readFileSync(path.join(repoRoot, "prometheus/prometheus.yml"), "utf8")) as {
      alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
    };
    expect(
      prometheus.alerting.alertmanagers.flatMap((a) => a.static_configs.flatMap((c) => c.targets)),
    ).toEqual(["alertmanager-1:9093", "alertmanager-2:9093"]);
  });

  it("builds the exporter, the bridge and the portal from this repository and runs their subcommands", () => {
    for (const name of ["exporter", "bridge", "selfcare"]) {
      expect(services[name]?.build).toBe(".");
      expect(services[name]?.command?.at(-1)).toBe(name);
    }
    expect(existsSync(path.join(repoRoot, "Dockerfile"))).toBe(true);
    const dockerfile = readFileSync(path.join(repoRoot, "Dockerfile"), "utf8");
    expect(dockerfile).toContain('ENTRYPOINT ["node", "dist/cli.js"]');
    expect(dockerfile).toMatch(/^HEALTHCHECK .* CMD \["node", "healthcheck.mjs"\]$/m);
    expect(dockerfile).toContain("COPY deploy/healthcheck.mjs ./healthcheck.mjs");
    expect(readFileSync(path.join(repoRoot, ".dockerignore"), "utf8")).toMatch(
      /^!deploy\/healthcheck\.mjs$/m,
    );
  });

  it("builds the image on a maintained Node.js LTS line that package.json's engines admit", () => {
    const dockerfile = readFileSync(path.join(repoRoot, "Dockerfile"), "utf8");
    const majors = [...dockerfile.matchAll(/^FROM node:(\d+)-bookworm-slim/gm)].map((m) => Number(m[1]));
    expect(majors).toHaveLength(2);
    // Node 20 left maintenance in April 2026, Node 22 leaves it in April 2027; 24 is LTS until April 2028.
    for (const major of majors) expect(major).toBeGreaterThanOrEqual(24);
    expect(new Set(majors).size).toBe(1);
    const { engines } = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
      engines: { node: string };
    };
    const minimum = Number(/^>=(\d+)$/.exec(engines.node)?.[1]);
    // The minimum is what CI runs the whole suite on (this process), the image a newer line.
    expect(Number(process.versions.node.split(".")[0])).toBeGreaterThanOrEqual(minimum);
    expect(majors[0]).toBeGreaterThanOrEqual(minimum);
  });

  it("mounts only files and folders that exist in the repository, and declares its named volumes", () => {
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const [source = ""] = volume.split(":");
        if (source.startsWith("."))
          expect(existsSync(path.join(repoRoot, source)), `${name}: ${source}`).toBe(true);
        else expect(compose.volumes, `${name}: ${source}`).toHaveProperty(source);
      }
      const build = typeof service.build === "string" ? service.build : service.build?.context;
      if (build) expect(existsSync(path.join(repoRoot, build, "Dockerfile")), `${name}: ${build}`).toBe(true);
    }
  });

  it("gives the monitor a configuration that validates, reaching the compose services", () => {
    const config = loadConfig(path.join(repoRoot, "deploy/config.yaml"), {});
    expect(config.directory.url).toBe("ldap://openldap:389");
    expect(config.bridge.smtp.url).toBe("smtp://mailpit:1025");
    expect(config.backup.root).toBe("/var/backup");
    // Alertmanager authenticates with the same token the bridge expects.
    const token = readFileSync(path.join(repoRoot, "deploy/secrets/bridge-token"), "utf8").trim();
    expect(config.bridge.auth?.bearerToken).toBe(token);
    for (const name of ["alertmanager-1", "alertmanager-2"])
      expect(services[name]?.volumes).toContain(
        "./deploy/secrets/bridge-token:/etc/alertmanager/secrets/bridge-token:ro",
      );
    const accounts = readFileSync(path.join(repoRoot, "deploy/ldap/monitor.ldif"), "utf8");
    expect(accounts).toContain(`userPassword: ${config.directory.bindPassword}`);
    // The portal writes settings with an account of its own, reads the exporter's state from its service
    // and links the mails to the published port.
    expect(accounts).toContain(`dn: ${config.selfcare.bindDN}`);
    expect(accounts).toContain(`userPassword: ${config.selfcare.bindPassword}`);
    expect(config.selfcare.exporterUrl).toBe("http://exporter:9851");
    expect(config.selfcare.baseUrl).toBe("http://localhost:9853");
  });

  it("points Prometheus and the Grafana datasource at the compose services", () => {
    const prometheus = readFileSync(path.join(repoRoot, "prometheus/prometheus.yml"), "utf8");
    for (const target of ["exporter:9851", "bridge:9852", "alertmanager-1:9093", "alertmanager-2:9093"])
      expect(prometheus).toContain(target);
    const alertmanager = readFileSync(path.join(repoRoot, "alertmanager/alertmanager.yml"), "utf8");
    expect(alertmanager).toContain("http://bridge:9852/webhook");
    const datasource = parse(
      readFileSync(path.join(repoRoot, "grafana/provisioning/datasources/prometheus.yml"), "utf8"),
    ) as { datasources: { uid: string; url: string }[] };
    expect(datasource.datasources[0]).toMatchObject({ uid: "prometheus", url: "http://prometheus:9090" });
  });

  it("ships the stoney schema with the LDAP service", () => {
    const shipped = readFileSync(path.join(repoRoot, "deploy/ldap/sst.schema"), "utf8");
    expect(shipped).toContain("sstBackup");
  });
});

const composeCommand = (): string[] | undefined => {
  const docker = findBinary("docker");
  if (docker) {
    try {
      execFileSync(docker, ["compose", "version"], { stdio: "ignore" });
      return [docker, "compose"];
    } catch {}
  }
  const legacy = findBinary("docker-compose");
  return legacy ? [legacy] : undefined;
};

const dockerCompose = composeCommand();
// Optional: the structure checks above run everywhere; the Compose CLI itself is rarely installed in CI.
if (dockerCompose === undefined)
  console.warn(
    "\n*** SKIPPING docker compose config: neither `docker compose` nor docker-compose is installed (Debian: apt-get install docker-compose, 1.29) ***\n",
  );

describe.skipIf(dockerCompose === undefined)("docker compose config", () => {
  it("accepts docker-compose.yml", async () => {
    const [binary = "", ...args] = dockerCompose ?? [];
    const result = await runBinary(binary, [...args, "config", "-q"]);
    expect(result.code, result.stderr).toBe(0);
  });
});

describe("the image's health check script", () => {
  const script = path.join(repoRoot, "deploy/healthcheck.mjs");
  const serve = async (status: number) => {
    const server = http.createServer((request, response) => {
      response.statusCode = request.url === "/readyz" ? status : 404;
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}/readyz`, close: () => new Promise((r) => server.close(r)) };
  };

  it("is healthy when one of its URLs answers 200, unhealthy on 503 or a closed port", async () => {
    const ready = await serve(200);
    const starting = await serve(503);
    const closed = `http://127.0.0.1:${await freePort()}/readyz`;
    try {
      expect((await runBinary(process.execPath, [script, ready.url])).code).toBe(0);
      expect((await runBinary(process.execPath, [script, closed, ready.url])).code).toBe(0);
      const notReady = await runBinary(process.execPath, [script, starting.url, closed]);
      expect(notReady.code).toBe(1);
      expect(notReady.stderr).toMatch(/^not ready: .*503/);
    } finally {
      await ready.close();
      await starting.close();
    }
  });
});

describe.skipIf(!requireBinaries(["slapd", "slapadd"]))("the compose OpenLDAP service's files", () => {
  it("load the schemas and the example directory, let the monitor read, the portal write settings and people log in", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "stoney-compose-ldap-"));
    let slapd: ChildProcess | undefined;
    try {
      const openldap = services.openldap?.volumes ?? [];
      // Where compose mounts each repository file inside the container, to map the container paths back.
      const mounts = new Map(
        openldap
          .map((v) => v.split(":"))
          .filter(([source]) => source?.startsWith("."))
          .map(([source = "", target = ""]) => [target, path.join(repoRoot, source)]),
      );
      const dataDir = path.join(dir, "data");
      mkdirSync(dataDir);
      const conf = readFileSync(path.join(repoRoot, "deploy/ldap/slapd.conf"), "utf8")
        .replace(
          /^include (\/etc\/ldap\/stoney\/\S+)$/gm,
          (_, file: string) => `include ${mounts.get(file) ?? file}`,
        )
        .replace(/^pidfile .*$/m, `pidfile ${path.join(dir, "slapd.pid")}`)
        .replace(/^directory .*$/m, `directory ${dataDir}`);
      const confFile = path.join(dir, "slapd.conf");
      writeFileSync(confFile, conf);
      const ldifs = [...mounts.entries()]
        .filter(([target]) => target.startsWith("/etc/ldap/stoney/ldif/"))
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([, source]) => source);
      expect(ldifs).toHaveLength(2);
      for (const ldif of ldifs) {
        const result = await runBinary("slapadd", ["-q", "-f", confFile, "-l", ldif]);
        expect(result.code, `${ldif}: ${result.stderr}`).toBe(0);
      }
      const port = await freePort();
      slapd = spawn(
        findBinary("slapd") ?? "slapd",
        ["-d", "0", "-f", confFile, "-h", `ldap://127.0.0.1:${port}/`],
        {
          stdio: "ignore",
        },
      );
      const config = loadConfig(path.join(repoRoot, "deploy/config.yaml"), {});
      const client = new Client({ url: `ldap://127.0.0.1:${port}` });
      const entries = await waitFor(
        "slapd of the compose files",
        async () => {
          await client.bind(config.directory.bindDN ?? "", config.directory.bindPassword ?? "");
          const { searchEntries } = await client.search(config.directory.accounts.base, {
            filter: config.directory.accounts.filter,
            attributes: ["uid"],
          });
          await client.unbind();
          return searchEntries;
        },
        15_000,
      );
      expect(entries.map((e) => e.uid).sort()).toContain("3723701");
      expect(entries.length).toBeGreaterThanOrEqual(10);

      // The portal's account changes a setting; the monitor's may not; a customer logs in with the demo password.
      const account = `uid=3723701,${config.directory.accounts.base}`;
      const setting = new Attribute({ type: "sstNotificationWarningLevel", values: ["80"] });
      const modify = async (dn: string, password: string) => {
        const writer = new Client({ url: `ldap://127.0.0.1:${port}` });
        try {
          await writer.bind(dn, password);
          await writer.modify(account, new Change({ operation: "replace", modification: setting }));
        } finally {
          await writer.unbind();
        }
      };
      await expect(
        modify(config.directory.bindDN ?? "", config.directory.bindPassword ?? ""),
      ).rejects.toBeInstanceOf(InsufficientAccessError);
      await modify(config.selfcare.bindDN ?? "", config.selfcare.bindPassword ?? "");
      const reader = new Client({ url: `ldap://127.0.0.1:${port}` });
      try {
        await reader.bind(config.directory.bindDN ?? "", config.directory.bindPassword ?? "");
        const { searchEntries } = await reader.search(account, {
          scope: "base",
          attributes: ["sstNotificationWarningLevel"],
        });
        expect(searchEntries[0]?.sstNotificationWarningLevel).toBe("80");
        await reader.unbind();
        await reader.bind(`uid=5000001,ou=people,dc=stoney-cloud,dc=org`, "demo-customer");
      } finally {
        await reader.unbind();
      }
    } finally {
      if (slapd && slapd.exitCode === null) {
        const exited = once(slapd, "exit");
        slapd.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
