"""python3 -m tools.pretrain --out DIR [--steps N]: trains the self-pretrained decoder checkpoint.
python3 -m tools.pretrain --evaluate DIR [--tokens N]: re-measures a saved checkpoint.
python3 -m tools.pretrain --publish DIR --out MODEL_DIR: exports it (fp16 storage) with its card and report."""
import argparse
import json
import os

from tools.export.npm_cache import cache_root

from .train import train


def main():
    parser = argparse.ArgumentParser(prog="python3 -m tools.pretrain", description=__doc__)
    parser.add_argument("--out", help="checkpoint directory (Hugging Face layout)")
    parser.add_argument("--evaluate", metavar="DIR", help="evaluate an existing checkpoint instead of training")
    parser.add_argument("--publish", metavar="DIR", help="export a trained checkpoint into --out")
    parser.add_argument("--tokens", type=int, default=65536, help="validation tokens for --evaluate")
    parser.add_argument("--steps", type=int, default=None, help="override the recipe's step count (smoke tests)")
    parser.add_argument("--stop-after", type=int, default=None, help="stop after this many steps of the recipe's schedule")
    parser.add_argument("--cache", default=os.path.join(cache_root(), "pretrain-corpus"), help="tokenized corpus cache")
    args = parser.parse_args()
    if args.evaluate:
        from .evaluate import evaluate_checkpoint
        print(json.dumps(evaluate_checkpoint(args.evaluate, args.cache, args.tokens), indent=1))
        return
    if not args.out:
        parser.error("--out is required for training and publishing")
    if args.publish:
        from .publish import publish
        print(publish(args.publish, args.out))
        return
    train(args.out, args.cache, args.steps, log=lambda m: print(m, flush=True), stop_after=args.stop_after)


if __name__ == "__main__":
    main()
