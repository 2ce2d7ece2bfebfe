"""Exports Hugging Face checkpoints (GPT-2, OPT, Llama, Qwen2, BERT, RoBERTa) to ONNX for Bszo.

Each architecture is a small PyTorch module whose parameter names match the Hugging Face state
dict, so checkpoints load unchanged; `export.py` turns it into an opset-17 ONNX graph with all
weights in one external data file, and `card.py` writes the `bszo-model.json` card.
"""
