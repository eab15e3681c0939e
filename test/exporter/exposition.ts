import { execFile } from "node:child_process";

export interface Series {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const unescapeLabel = (value: string): string =>
  value.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));

/** Parse the text exposition format (as much of it as the exporter writes) into series. */
export function parseExposition(text: string): Series[] {
  const series: Series[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`unparsable line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/g))
      labels[pair[1] as string] = unescapeLabel(pair[2] as string);
    series.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return series;
}

/** The series of `name` whose labels include `labels`. */
export const select = (all: Series[], name: string, labels: Record<string, string> = {}): Series[] =>
  all.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

/** The single value of `name` with `labels`, undefined when absent; throws when ambiguous. */
export const seriesValue = (
  all: Series[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined => {
  const found = select(all, name, labels);
  if (found.length > 1) throw new Error(`${found.length} series for ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value;
};

/** promtool's findings, one a line (exit code 3 means lint findings only; 1 is a parse error). */
export const promtoolProblems = async (text: string): Promise<string[]> => {
  const { code, output } = await promtoolCheck(text);
  if (code !== 0 && code !== 3) return [`promtool exited ${code}: ${output}`];
  return output.split("\n").filter((line) => line !== "");
};

/** Run `promtool check metrics` on the text; resolves with its combined output and exit code. */
export const promtoolCheck = (text: string): Promise<{ code: number; output: string }> =>
  new Promise((resolve) => {
    const child = execFile("promtool", ["check", "metrics"], (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
    child.stdin?.end(text);
  });
