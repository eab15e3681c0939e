import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { repoRoot } from "./processes.js";

export interface ComposeService {
  build?: string | { context: string };
  image?: string;
  command?: string[];
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[]; interval?: string; start_period?: string };
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
}

/** docker-compose.yml with its YAML merge keys (`<<: *monitor`) resolved, as Compose reads it. */
export const loadCompose = (): ComposeFile =>
  parse(readFileSync(path.join(repoRoot, "docker-compose.yml"), "utf8"), { merge: true }) as ComposeFile;

export const composeServices = (): Record<string, ComposeService> => loadCompose().services;
