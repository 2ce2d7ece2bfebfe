"""Exports a trained checkpoint into models/ through tools/export, with fp16 storage, a card that
says what the model is, and the training report beside it."""
import json
import os
import shutil

from tools.export.hf import export_checkpoint


def publish(checkpoint, out):
    with open(os.path.join(checkpoint, "training.json"), encoding="utf-8") as f:
        report = json.load(f)
    r = report["recipe"]
    description = (
        f"Self-pretrained decoder, trained from scratch by tools/pretrain (not a released model): "
        f"{r['n_layer']} layers, width {r['n_embd']}, {r['n_head']} heads, context {r['n_positions']}, "
        f"gpt2-family architecture with the GPT-2 BPE tokenizer; {report['steps_run']} steps, "
        f"{report['train_tokens_seen']:,} tokens of the Brown corpus, Moby-Dick and State of the Union addresses. "
        f"Validation perplexity {report['validation_perplexity']:.0f} (unigram baseline "
        f"{report['unigram_validation_perplexity']:.0f}); zero-shot '<sentence> It was' great/terrible accuracy "
        f"{100 * report['sentiment_zero_shot']['accuracy']:.1f}% on {report['sentiment_zero_shot']['examples']} UCI sentences."
    )
    export_checkpoint(checkpoint, out, storage="fp16", description=description)
    shutil.copyfile(os.path.join(checkpoint, "training.json"), os.path.join(out, "training.json"))
    return out
