import { readdirSync, readFileSync } from "node:fs";
import { XMLParser, XMLValidator } from "fast-xml-parser";

const parser = new XMLParser({
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: false,
  parseTagValue: false,
  trimValues: true,
  isArray: () => true,
  jPath: false,
});
const root = "/tmp/exporter-trees/accounts-50000/backup";
const texts: string[] = [];
for (const h of readdirSync(root).slice(0, 3000)) {
  let hosts: string[] = [];
  try {
    hosts = readdirSync(`${root}/${h}/incoming`);
  } catch {
    continue;
  }
  for (const host of hosts)
    for (const f of ["backupStarted.xml", "backupEnded.xml"]) {
      try {
        texts.push(readFileSync(`${root}/${h}/incoming/${host}/.sepiola_backup/${f}`, "utf8"));
      } catch {}
    }
}
const direct = (t: string) => {
  const v = XMLValidator.validate(t);
  if (v !== true) return v;
  return parser.parse(t);
};
const TOKEN = />([0-9A-Za-z:+.-]{1,64})</g;
const memo = new Map<string, unknown>();
const fill = (node: unknown, values: string[]): unknown => {
  if (typeof node === "string")
    return node.includes("\uE000")
      ? node.replace(/\uE000(\d+)\uE001/g, (_, i) => values[Number(i)] ?? "")
      : node;
  if (Array.isArray(node)) return node.map((n) => fill(n, values));
  if (node && typeof node === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(node)) out[k] = fill((node as Record<string, unknown>)[k], values);
    return out;
  }
  return node;
};
const masked = (t: string) => {
  const values: string[] = [];
  const skeleton = t.replace(TOKEN, (_, v: string) => `>\uE000${values.push(v) - 1}\uE001<`);
  let tree = memo.get(skeleton);
  if (tree === undefined) {
    tree = direct(skeleton);
    memo.set(skeleton, tree);
  }
  return fill(tree, values);
};
console.log(texts.length, "texts");
let same = 0;
for (const t of texts) if (JSON.stringify(masked(t)) === JSON.stringify(direct(t))) same++;
console.log("equal", same, "distinct skeletons", memo.size);
for (let r = 0; r < 3; r++) {
  let s = performance.now();
  for (const t of texts) direct(t);
  const a = performance.now() - s;
  s = performance.now();
  for (const t of texts) masked(t);
  const b = performance.now() - s;
  console.log(
    "direct µs/file",
    ((a / texts.length) * 1000).toFixed(1),
    "masked",
    ((b / texts.length) * 1000).toFixed(1),
  );
}
