"""Command line of tools/export (run with Debian's /usr/bin/python3 from the repository root).

  python3 -m tools.export hf --checkpoint DIR --out DIR [--storage fp16] [--layout optimum] [--description TEXT]
  python3 -m tools.export cached --checkpoint DIR --out DIR   (GPT-2 with past key/values: OUT/with-past, OUT/merged)
  python3 -m tools.export tiny --family gpt2|opt|llama|qwen2|bert|roberta --out DIR
  python3 -m tools.export random-decoder --shape opt-125m|opt-350m|opt-1.3b|opt-tiny [--out DIR]
  python3 -m tools.export test-fixtures --out DIR      (what the C# tests use)
"""
import argparse
import sys

from .errors import ExportError


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m tools.export", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    hf = commands.add_parser("hf", help="export a local Hugging Face checkpoint directory")
    hf.add_argument("--checkpoint", required=True, help="directory with config.json, weights and tokenizer files")
    hf.add_argument("--out", required=True, help="output directory (model.onnx, model.onnx.data, bszo-model.json, ...)")
    hf.add_argument("--storage", choices=("fp32", "fp16"), default="fp32", help="weight storage type (compute is always fp32)")
    hf.add_argument("--layout", choices=("bszo", "optimum"), default="bszo", help="optimum: model.onnx_data and no card")
    hf.add_argument("--description", help="the card's description (say where the weights come from)")
    cached = commands.add_parser("cached", help="export a GPT-2 checkpoint as Optimum does for generation (past key/values), plain and merged")
    cached.add_argument("--checkpoint", required=True, help="a GPT-2 checkpoint directory (config.json, weights, vocab.json, merges.txt)")
    cached.add_argument("--out", required=True, help="output directory; gets with-past/ and merged/")
    tiny = commands.add_parser("tiny", help="write a small random checkpoint of a family (for tests)")
    tiny.add_argument("--family", required=True, choices=("gpt2", "opt", "llama", "qwen2", "bert", "roberta"))
    tiny.add_argument("--out", required=True)
    tiny.add_argument("--seed", type=int, default=0)
    rnd = commands.add_parser("random-decoder", help="write a full-size decoder with random weights (benchmarks)")
    rnd.add_argument("--shape", required=True, help="opt-125m, opt-350m, opt-1.3b, or opt-tiny (two narrow layers, for smoke runs)")
    rnd.add_argument("--out", help="output directory (default: the Bszo cache, models/random-<shape>)")
    rnd.add_argument("--seed", type=int, default=0)
    fixtures = commands.add_parser("test-fixtures", help="tiny checkpoints, their exports and error cases for the C# tests")
    fixtures.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    try:
        if args.command == "hf":
            from .hf import export_checkpoint
            export_checkpoint(args.checkpoint, args.out, args.storage, args.layout, args.description)
        elif args.command == "cached":
            from .cached import write_cached_decoders
            print(write_cached_decoders(args.checkpoint, args.out))
        elif args.command == "tiny":
            from .tiny import write_tiny
            print(write_tiny(args.family, args.out, args.seed))
        elif args.command == "test-fixtures":
            from .fixtures import write_fixtures
            write_fixtures(args.out)
        else:
            from .random_decoder import write_random_decoder
            print(write_random_decoder(args.shape, args.out, args.seed))
    except ExportError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
