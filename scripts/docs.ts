// `npm run docs`: regenerate the configuration reference and the JSON Schema of the config file from
// the zod schema in src/config (test/config/reference.test.ts fails when they are out of date).
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { generatedDocs } from "../src/config/index.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
for (const [file, content] of Object.entries(generatedDocs())) {
  writeFileSync(path.join(root, file), content);
  console.log(`wrote ${file}`);
}
