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
    with open(os.path.join(out, "README.md"), "w", encoding="utf-8") as f:
        f.write(readme(report, description))
    return out


def readme(report, description):
    s = report["sentiment_zero_shot"]
    return f"""# Self-pretrained decoder

{description}

Trained and exported by `tools/pretrain` (see tools/pretrain/README.md for the recipe):

| measure | value |
|---|---|
| training steps / tokens seen | {report['steps_run']} / {report['train_tokens_seen']:,} |
| validation perplexity ({report['validation_tokens']:,} held-out tokens) | {report['validation_perplexity']:.1f} |
| unigram baseline on the same tokens | {report['unigram_validation_perplexity']:.1f} |
| zero-shot "{s['prompt']}" {'/'.join(c.strip() for c in s['candidates'])} accuracy ({s['examples']} sentences) | {100 * s['accuracy']:.1f}% (predicts positive {100 * s['predicted_positive']:.1f}%) |
| training wall time (one thread, nice 15, shared 2-core machine) | {report['train_seconds'] / 60:.0f} min |

Weights are stored as fp16 (`model.onnx.data`); the graph computes in fp32 and Bszo keeps fp32
master weights while training. `reference.json` holds torch's logits for a fixed batch.
"""
