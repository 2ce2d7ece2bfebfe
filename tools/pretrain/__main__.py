"""python3 -m tools.pretrain --out DIR [--steps N]: trains the self-pretrained decoder checkpoint."""
import argparse
import os

from tools.export.npm_cache import cache_root

from .train import train


def main():
    parser = argparse.ArgumentParser(prog="python3 -m tools.pretrain", description=__doc__)
    parser.add_argument("--out", required=True, help="checkpoint directory (Hugging Face layout)")
    parser.add_argument("--steps", type=int, default=None, help="override the recipe's step count (smoke tests)")
    parser.add_argument("--cache", default=os.path.join(cache_root(), "pretrain-corpus"), help="tokenized corpus cache")
    args = parser.parse_args()
    train(args.out, args.cache, args.steps, log=lambda m: print(m, flush=True))


if __name__ == "__main__":
    main()
