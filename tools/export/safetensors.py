"""A minimal reader and writer for the safetensors format.

A file is an 8-byte little-endian header length N, N bytes of JSON header
(name -> dtype, shape, [begin, end) byte offsets into the data that follows; optional
"__metadata__"), then the raw little-endian tensor bytes.
"""
import json
import struct

import numpy as np
import torch

from .errors import ExportError

# safetensors dtype -> numpy dtype of the stored bytes. BF16 has no numpy type: it is read as
# uint16 and widened to float32 by shifting into the high half.
_NUMPY = {
    "F64": np.float64, "F32": np.float32, "F16": np.float16, "BF16": np.uint16,
    "I64": np.int64, "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_,
}
_TORCH_NAME = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
               torch.int64: "I64", torch.int32: "I32", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL"}


def read_header(path):
    """Returns (header dict without metadata, metadata dict, byte offset of the data section)."""
    with open(path, "rb") as f:
        raw = f.read(8)
        if len(raw) != 8:
            raise ExportError(f"'{path}' is too short to be a safetensors file.", "an 8-byte header length", f"{len(raw)} bytes")
        (length,) = struct.unpack("<Q", raw)
        if length > 100_000_000:
            raise ExportError(f"'{path}' declares a {length}-byte header.", "a safetensors file", "not one",
                              "the file may be a pytorch_model.bin renamed, or corrupted.")
        try:
            header = json.loads(f.read(length))
        except ValueError as e:
            raise ExportError(f"'{path}' has an unreadable safetensors header.", "JSON", str(e)) from e
    metadata = header.pop("__metadata__", {}) or {}
    return header, metadata, 8 + length


def load(path):
    """Reads every tensor as a torch tensor (BF16 widened to float32; other types as stored)."""
    header, _, start = read_header(path)
    data = np.memmap(path, dtype=np.uint8, mode="r")
    tensors = {}
    for name, info in header.items():
        dtype = info.get("dtype")
        if dtype not in _NUMPY:
            raise ExportError(f"Tensor '{name}' in '{path}' has dtype {dtype}.", ", ".join(_NUMPY), dtype,
                              "convert the checkpoint to F32, F16 or BF16 first.")
        begin, end = info["data_offsets"]
        array = np.frombuffer(data[start + begin:start + end], dtype=_NUMPY[dtype]).reshape(info["shape"])
        if dtype == "BF16":
            array = (array.astype(np.uint32) << 16).view(np.float32)
        tensors[name] = torch.from_numpy(np.array(array))  # copy out of the memory map
    return tensors, dtype_summary(header)


def dtype_summary(header):
    """The set of safetensors dtypes used by float-looking tensors, for error messages."""
    return sorted({info["dtype"] for info in header.values()})


def save(path, tensors, metadata=None):
    """Writes a dict of torch tensors (contiguous, little-endian) as one safetensors file."""
    header, blobs, offset = {}, [], 0
    for name, tensor in tensors.items():
        tensor = tensor.detach().contiguous().cpu()
        blob = tensor.view(torch.int16).numpy().tobytes() if tensor.dtype == torch.bfloat16 else tensor.numpy().tobytes()
        header[name] = {"dtype": _TORCH_NAME[tensor.dtype], "shape": list(tensor.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * ((8 - len(encoded) % 8) % 8)  # keep the data section 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for blob in blobs:
            f.write(blob)
