// Tokenizes documents with the GPT-2 byte-level BPE of npm gpt-3-encoder (the reference
// implementation of that tokenizer). Input on stdin: one JSON string per line. Output on stdout:
// one line of space-separated token ids per document.
//   node bpe_reference.js <path of the gpt-3-encoder package>
const path = require('path');
const readline = require('readline');
const { encode } = require(path.resolve(process.argv[2]));

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
const out = [];
lines.on('line', line => { if (line.length > 0) out.push(encode(JSON.parse(line)).join(' ')); });
lines.on('close', () => { process.stdout.write(out.join('\n') + '\n'); });
