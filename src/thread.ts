import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * A worker thread running the module `name` beside `from` (an `import.meta.url`). Run from the
 * TypeScript sources (tests, the benchmark), the thread loads them through tsx as the parent does.
 */
export function startThread(from: string, name: string, options: WorkerOptions): Worker {
  const fromSources = from.endsWith(".ts");
  const url = new URL(`./${name}.${fromSources ? "ts" : "js"}`, from);
  if (!fromSources) return new Worker(url, options);
  const tsx = import.meta.resolve("tsx/esm/api");
  const bootstrap = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}
