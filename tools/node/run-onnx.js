// An independent ONNX Runtime consumer for Bszo's export tests: loads a model with
// onnxruntime-node (the npm build of ONNX Runtime, not the .NET one Bszo trains with), feeds
// it the tensors described in a JSON file, and prints every output as JSON.
//
//   node run-onnx.js model.onnx inputs.json
//
// inputs.json: { "<input name>": { "type": "float32" | "int64" | "int32" | "uint8" | "bool", "dims": [..], "data": [..] } }
// stdout:      { "<output name>": { "type": "...", "dims": [..], "data": [..] } }
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

function typedArray(type, data) {
    switch (type) {
        case 'float32': return Float32Array.from(data);
        case 'int64': return BigInt64Array.from(data.map(BigInt));
        case 'int32': return Int32Array.from(data);
        case 'uint8': return Uint8Array.from(data);
        case 'bool': return Uint8Array.from(data.map(v => (v ? 1 : 0)));
        default: throw new Error(`unsupported input type ${type}`);
    }
}

async function main() {
    const [modelPath, inputsPath] = process.argv.slice(2);
    if (!modelPath || !inputsPath) throw new Error('usage: node run-onnx.js model.onnx inputs.json');
    const spec = JSON.parse(fs.readFileSync(inputsPath, 'utf8'));
    const session = await ort.InferenceSession.create(modelPath);
    const feeds = {};
    for (const [name, t] of Object.entries(spec)) feeds[name] = new ort.Tensor(t.type, typedArray(t.type, t.data), t.dims);
    const results = await session.run(feeds);
    const out = {};
    for (const [name, t] of Object.entries(results)) out[name] = { type: t.type, dims: t.dims, data: Array.from(t.data, Number) };
    process.stdout.write(JSON.stringify(out));
}

main().catch(e => {
    process.stderr.write(`run-onnx: ${e.message}\n`);
    process.exit(1);
});
