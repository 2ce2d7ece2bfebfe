"""Tensor models for the tests of Bszo's .npz path: small PyTorch networks whose inputs are not token
ids, exported to ONNX, each pre-trained briefly in torch on one distribution and given data from a
shifted one to fine-tune on, as a user would bring them.

  cnn/     model.onnx: image [4, 1, 8, 8] uint8 -> logits [4, 3], the batch fixed at 4 by the export.
           Classes: where a bright 3x3 square sits (top left, centre, bottom right); the fine-tuning
           data draws the squares one pixel lower and right, and darker.
           train.npz, test.npz: image (uint8), label (int64)
  mlp/     model.onnx: numeric [batch, 4] float32 + category [batch] int64 -> prediction [batch, 2].
           Targets are a fixed function of the inputs; the fine-tuning data shifts them.
           train.npz: numeric (float64), category (int32), target (float64)
  arrays.npz, arrays.json, v2.npy   arrays of every dtype, Fortran-ordered and big-endian ones, and
           their values in C order, for the reader's tests
"""
import json
import os

import numpy as np
import onnx
import torch
from torch import nn

from . import export


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(4 * 4 * 4, 3)

    def forward(self, image):
        x = image.float() / 255.0
        x = self.pool(torch.relu(self.conv(x)))
        return self.fc(x.reshape(x.shape[0], -1))


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(3, 2)
        self.hidden = nn.Linear(6, 16)
        self.out = nn.Linear(16, 2)

    def forward(self, numeric, category):
        x = torch.cat([numeric, self.embedding(category)], dim=1)
        return self.out(torch.relu(self.hidden(x)))


def squares(n, rng, shift, brightness):
    labels = rng.integers(0, 3, n)
    images = rng.normal(40, 25, (n, 1, 8, 8))
    for i, c in enumerate(labels):
        r = c * 2 + shift
        images[i, 0, r:r + 3, r:r + 3] += brightness
    return np.clip(images, 0, 255).astype(np.uint8), labels.astype(np.int64)


def tabular(n, rng, shift):
    numeric = rng.normal(0, 1, (n, 4))
    category = rng.integers(0, 3, n)
    target = np.stack([numeric[:, 0] + 0.5 * numeric[:, 1] + 0.3 * category, numeric[:, 2] - numeric[:, 3]], axis=1)
    target[:, 0] += shift
    return numeric, category.astype(np.int32), target


def fit(model, inputs, target, loss, steps=300):
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(steps):
        optimizer.zero_grad()
        loss(model(*inputs), target).backward()
        optimizer.step()
    model.eval()


def write_tensor_models(out):
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    cnn_dir = os.path.join(out, "cnn")
    os.makedirs(cnn_dir, exist_ok=True)
    cnn = Cnn()
    images, labels = squares(600, rng, shift=0, brightness=180)
    fit(cnn, (torch.from_numpy(images),), torch.from_numpy(labels), nn.functional.cross_entropy)
    for name, n in (("train", 400), ("test", 200)):
        x, y = squares(n, rng, shift=1, brightness=90)
        np.savez(os.path.join(cnn_dir, f"{name}.npz"), image=x, label=y)
    _export(cnn, os.path.join(cnn_dir, "model.onnx"), (torch.zeros(4, 1, 8, 8, dtype=torch.uint8),), ["image"], ["logits"], dynamic=False)

    mlp_dir = os.path.join(out, "mlp")
    os.makedirs(mlp_dir, exist_ok=True)
    mlp = Mlp()
    numeric, category, target = tabular(800, rng, shift=0.0)
    fit(mlp, (torch.from_numpy(numeric).float(), torch.from_numpy(category).long()), torch.from_numpy(target).float(), nn.functional.mse_loss)
    numeric, category, target = tabular(600, rng, shift=1.0)
    np.savez(os.path.join(mlp_dir, "train.npz"), numeric=numeric, category=category, target=target)
    _export(mlp, os.path.join(mlp_dir, "model.onnx"), (torch.zeros(2, 4), torch.zeros(2, dtype=torch.int64)), ["numeric", "category"], ["prediction"], dynamic=True)

    write_arrays(out)


def _export(model, path, sample, inputs, outputs, dynamic):
    """Traced with the parameters as inputs, then attached as external data, as tools/export writes every model."""
    axes = {n: {0: "batch"} for n in inputs + outputs} if dynamic else None
    model.train()
    torch.onnx.export(model, sample, path, input_names=inputs, output_names=outputs, dynamic_axes=axes, opset_version=export.OPSET,
                      do_constant_folding=False, export_params=False, training=torch.onnx.TrainingMode.PRESERVE)
    model.eval()
    graph = onnx.load(path)
    export.attach_parameters(graph, export.unique_parameters(model), os.path.basename(path) + ".data", os.path.dirname(path), "fp32")
    onnx.save(graph, path)
    onnx.checker.check_model(path)


def write_arrays(out):
    base = np.arange(6).reshape(2, 3)
    arrays = {code: (base - 2 if code[0] == "i" or code == "f8" else base).astype(code) for code in
              ("i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8", "f2", "f4", "f8")}
    arrays["b1"] = base % 2 == 1
    arrays["f4_fraction"] = (base / 8).astype(np.float32)
    arrays["fortran"] = np.asfortranarray(np.arange(12, dtype=np.float32).reshape(3, 4))
    arrays["fortran3"] = np.asfortranarray(np.arange(24, dtype=np.int64).reshape(2, 3, 4))
    arrays["big_endian"] = np.arange(5, dtype=">f4") * 1.5
    np.savez_compressed(os.path.join(out, "arrays.npz"), **arrays)
    expected = {k: {"shape": list(v.shape), "values": np.ascontiguousarray(v).astype(np.float64).ravel().tolist()} for k, v in arrays.items()}
    with open(os.path.join(out, "arrays.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f)
    with open(os.path.join(out, "v2.npy"), "wb") as f:
        np.lib.format.write_array(f, np.arange(4, dtype=np.int16), version=(2, 0))
    np.save(os.path.join(out, "strings.npy"), np.array(["a", "b"]))
