"""The `test-fixtures` command: everything Bszo's C# tests need from the exporter, in one process
(one torch start-up) so the Python side of the test suite stays a few seconds of CPU.

  <out>/checkpoints/<family>   tiny random Hugging Face checkpoints (tiny.py)
  <out>/models/<family>        their exports (bszo layout: card, reference, tokenizer files)
  <out>/optimum/<family>       Optimum-style exports of bert and gpt2 (no card; gpt2 with tokenizer.json only)
  <out>/encoders/{bare,st}     the tiny BERT's body as a sentence encoder (encoder.py), with reference.json
  <out>/errors.json            the exporter's message for each broken checkpoint
"""
import json
import os
import shutil

import torch

from . import safetensors
from .encoder import write_encoders
from .errors import ExportError
from .hf import export_checkpoint
from .tiny import BUILDERS, write_tiny


def write_fixtures(out, log=print):
    quiet = lambda _: None  # noqa: E731
    for family in BUILDERS:
        checkpoint = write_tiny(family, os.path.join(out, "checkpoints", family))
        export_checkpoint(checkpoint, os.path.join(out, "models", family), log=quiet)
    for family in ("bert", "gpt2"):
        export_checkpoint(os.path.join(out, "checkpoints", family), os.path.join(out, "optimum", family), layout="optimum", log=quiet)
    gpt2 = os.path.join(out, "optimum", "gpt2")
    for name in ("vocab.json", "merges.txt"):
        os.remove(os.path.join(gpt2, name))
    shutil.copyfile(os.path.join(out, "checkpoints", "qwen2", "tokenizer.json"), os.path.join(gpt2, "tokenizer.json"))
    with open(os.path.join(out, "checkpoints", "bert", "expected_tokens.json"), encoding="utf-8") as f:
        expected = json.load(f)
    write_encoders(os.path.join(out, "checkpoints", "bert"), os.path.join(out, "encoders"), expected["texts"], expected["ids"])
    with open(os.path.join(out, "errors.json"), "w", encoding="utf-8") as f:
        json.dump(broken_checkpoints(out), f, indent=1)
    log(out)
    return out


def broken_checkpoints(out):
    """Exports deliberately broken copies of the tiny GPT-2 and returns each error message."""
    source = os.path.join(out, "checkpoints", "gpt2")
    messages = {}

    def attempt(case, edit):
        directory = os.path.join(out, "broken", case)
        shutil.copytree(source, directory)
        edit(directory)
        try:
            export_checkpoint(directory, os.path.join(out, "broken-out", case), log=lambda _: None)
            messages[case] = None
        except ExportError as e:
            messages[case] = str(e)

    def unknown_family(d):
        edit_config(d, model_type="t5", architectures=["T5ForConditionalGeneration"])

    def vocabulary_mismatch(d):
        shutil.copyfile(os.path.join(out, "checkpoints", "roberta", "vocab.json"), os.path.join(d, "vocab.json"))

    def missing_tokenizer(d):
        os.remove(os.path.join(d, "vocab.json"))
        os.remove(os.path.join(d, "merges.txt"))

    def integer_weights(d):
        path = os.path.join(d, "model.safetensors")
        state, _ = safetensors.load(path)
        state["transformer.h.0.mlp.c_fc.weight"] = (state["transformer.h.0.mlp.c_fc.weight"] * 100).to(torch.int8)
        safetensors.save(path, state)

    for case, edit in (("unknown_family", unknown_family), ("vocabulary_mismatch", vocabulary_mismatch),
                       ("missing_tokenizer", missing_tokenizer), ("integer_weights", integer_weights)):
        attempt(case, edit)
    return messages


def edit_config(directory, **changes):
    path = os.path.join(directory, "config.json")
    with open(path, encoding="utf-8") as f:
        config = json.load(f)
    config.update(changes)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(config, f)
