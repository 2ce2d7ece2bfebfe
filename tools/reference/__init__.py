"""Independent references for Bszo's tests: a NumPy evaluator of ONNX graphs and a BERT WordPiece tokenizer."""
