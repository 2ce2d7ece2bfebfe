"""Reads and writes the few fields of SentencePiece's ModelProto (tokenizer.model) that matter here.

The file is a protocol buffer: field 1 repeats the pieces (piece, score, type), field 2 is the
TrainerSpec (model type, special ids), field 3 the NormalizerSpec. Only the wire format is needed,
so this avoids depending on the sentencepiece or protobuf packages.
"""
import struct

from .errors import ExportError

NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6
UNIGRAM, BPE = 1, 2


def _varint(value):
    value &= (1 << 64) - 1  # negative int32 fields are encoded as 10-byte two's complement
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number, wire, payload):
    return _varint(number << 3 | wire) + payload


def _bytes(number, data):
    return _field(number, 2, _varint(len(data)) + data)


def _int(number, value):
    return _field(number, 0, _varint(value))


def write(path, pieces, model_type=BPE, unk_id=0, bos_id=1, eos_id=2, pad_id=-1, byte_fallback=False):
    """Writes a model with `pieces` = [(piece, score, type)], no precompiled normalization."""
    body = b"".join(_bytes(1, _bytes(1, p.encode("utf-8")) + _field(2, 5, struct.pack("<f", s)) + _int(3, t)) for p, s, t in pieces)
    trainer = (_int(3, model_type) + _int(4, len(pieces)) + _int(35, int(byte_fallback))
               + _int(40, unk_id) + _int(41, bos_id) + _int(42, eos_id) + _int(43, pad_id))
    normalizer = _bytes(1, b"identity") + _int(3, 1) + _int(4, 1) + _int(5, 1)
    with open(path, "wb") as f:
        f.write(body + _bytes(2, trainer) + _bytes(3, normalizer))


def _fields(data):
    """Yields (field number, wire type, value) of one message level."""
    i = 0
    while i < len(data):
        key, i = _read_varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _read_varint(data, i)
        elif wire == 1:
            value, i = data[i:i + 8], i + 8
        elif wire == 2:
            length, i = _read_varint(data, i)
            value, i = data[i:i + length], i + length
        elif wire == 5:
            value, i = data[i:i + 4], i + 4
        else:
            raise ValueError(f"wire type {wire}")
        yield number, wire, value


def _read_varint(data, i):
    shift = value = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, i


def _signed32(value):
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def read(path):
    """Returns {"pieces": [(piece, score, type)], "model_type", "unk_id", "bos_id", "eos_id", "pad_id"}."""
    with open(path, "rb") as f:
        data = f.read()
    info = {"pieces": [], "model_type": UNIGRAM, "unk_id": 0, "bos_id": 1, "eos_id": 2, "pad_id": -1}
    names = {3: "model_type", 40: "unk_id", 41: "bos_id", 42: "eos_id", 43: "pad_id"}
    try:
        for number, _, value in _fields(data):
            if number == 1:
                piece, score, kind = "", 0.0, NORMAL
                for n, _, v in _fields(value):
                    if n == 1:
                        piece = v.decode("utf-8")
                    elif n == 2:
                        score = struct.unpack("<f", v)[0]
                    elif n == 3:
                        kind = v
                info["pieces"].append((piece, score, kind))
            elif number == 2:
                for n, _, v in _fields(value):
                    if n in names:
                        info[names[n]] = _signed32(v)
    except (ValueError, IndexError, UnicodeDecodeError) as e:
        raise ExportError(f"'{path}' is not a SentencePiece model.", "a serialized sentencepiece ModelProto", str(e)) from e
    if not info["pieces"]:
        raise ExportError(f"'{path}' has no pieces.", "a SentencePiece model with a vocabulary", "an empty model")
    return info
