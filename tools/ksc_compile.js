// Compile a .ksy with the pinned kaitai-struct-compiler (tools/package.json).
// Usage: node tools/ksc_compile.js FILE.ksy [LANG...]   (no LANG: only the parsed .ksy)
// Prints one JSON object: {"ksy": <the parsed .ksy>, "files": {LANG: {filename: source}}}
// so that tools/build_kaitai.py does all file handling in one place.
"use strict";

const fs = require("fs");
const yaml = require("js-yaml");
const compiler = require("kaitai-struct-compiler");

async function main(argv) {
  const [ksyPath, ...langs] = argv;
  if (!ksyPath) {
    throw new Error("usage: node tools/ksc_compile.js FILE.ksy [LANG...]");
  }
  const ksy = yaml.load(fs.readFileSync(ksyPath, "utf8"));
  const files = {};
  for (const lang of langs) {
    // No importer: the grammar is one self-contained file.
    files[lang] = await compiler.compile(lang, ksy, null, false);
  }
  process.stdout.write(JSON.stringify({ ksy, files }));
}

main(process.argv.slice(2)).catch((err) => {
  // The compiler rejects with Scala.js objects whose toString carries the message.
  process.stderr.write(`ksc_compile: ${err && err.stack ? err.stack : String(err)}\n`);
  process.exit(1);
});
