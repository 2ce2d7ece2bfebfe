"""References for Bszo's tests (run with Debian's /usr/bin/python3 from the repository root).

  python3 -m tools.reference sentence-embeddings --model model.onnx --vocab vocab.txt --texts texts.json --out out.json

writes {"ids": [[...]], "embeddings": [[...]]}: each text's WordPiece ids ([CLS] ... [SEP], cut to
--max-length) and its sentence embedding, the mean of the encoder's token states (the first rank-3
output) over the text's tokens, L2-normalised, computed in float64 by the NumPy evaluator, one text
at a time (no padding).
"""
import argparse
import json
import sys

import numpy as np

from .onnx_numpy import Evaluator
from .wordpiece import WordPiece


def sentence_embeddings(model, vocab, texts, max_length, lower_case):
    evaluator = Evaluator(model)
    tokenizer = WordPiece(vocab, lower_case=lower_case)
    states = next(o.name for o in evaluator.model.graph.output if len(o.type.tensor_type.shape.dim) == 3)
    cls, sep = tokenizer.ids["[CLS]"], tokenizer.ids["[SEP]"]
    ids_out = [[cls] + tokenizer.encode(text)[: max_length - 2] + [sep] for text in texts]
    embeddings = [None] * len(texts)
    for length in sorted({len(ids) for ids in ids_out}):
        rows = [i for i, ids in enumerate(ids_out) if len(ids) == length]
        batch = np.array([ids_out[i] for i in rows], dtype=np.int64)
        feeds = {"input_ids": batch, "attention_mask": np.ones_like(batch), "token_type_ids": np.zeros_like(batch)}
        hidden, = evaluator.run({k: v for k, v in feeds.items() if k in evaluator.input_names}, [states])
        for row, i in enumerate(rows):
            mean = hidden[row].mean(axis=0)
            embeddings[i] = (mean / max(np.linalg.norm(mean), 1e-12)).tolist()
    return {"ids": ids_out, "embeddings": embeddings}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m tools.reference", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    emb = commands.add_parser("sentence-embeddings", help="WordPiece ids and mean-pooled embeddings of a BERT-family encoder")
    emb.add_argument("--model", required=True)
    emb.add_argument("--vocab", required=True)
    emb.add_argument("--texts", required=True, help="a JSON array of strings")
    emb.add_argument("--out", required=True)
    emb.add_argument("--max-length", type=int, default=512)
    emb.add_argument("--cased", action="store_true", help="keep case and accents (cased vocabularies)")
    args = parser.parse_args(argv)
    with open(args.texts, encoding="utf-8") as f:
        texts = json.load(f)
    result = sentence_embeddings(args.model, args.vocab, texts, args.max_length, not args.cased)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
