"""PyTorch references for Bszo's benchmarks: MeZO and first-order Adam on the weights and batch Bszo uses.

Run with Debian's Python (torch 1.13 with OpenBLAS) from anywhere:

  /usr/bin/python3 bench/pytorch/reference.py --model DIR --batch DIR --method mezo|adam
      [--shape opt-125m] [--steps 3] [--warmup 1] [--threads 2] [--out result.json]

--model is a Bszo model directory (bszo-model.json, model.onnx, model.onnx.data). Decoders exported
by `tools.export random-decoder` are built as tools/export's OPT module (--shape names their
configuration); other models run their ONNX graph op by op (onnx_module.py). Either way the
weights are read from the model's external data file, so PyTorch and Bszo start from the same bytes.

--batch is a directory written by the C# harness: batch.json and raw little-endian int64 files.

MeZO follows the reference implementation (princeton-nlp/MeZO, large_models/trainer.py:
zo_perturb_parameters, zo_forward, zo_step, zo_update): one seed per step; before every use of z
the generator is reset to that seed and z is drawn again with torch.normal, parameter by parameter;
θ+εz, loss, θ−εz (a −2εz move), loss, θ restored, then θ ← θ − η·g·z with g = (L₊ − L₋)/2ε.
Moves are in place (p.add_(z, alpha=...)) and forward passes run under inference_mode.

Adam is the first-order contrast: forward, backward, torch.optim.Adam step.

The decoder loss is the mean next-token cross-entropy over all positions but the last; the
classifier loss is the cross-entropy of the logits against the labels. The result is one JSON
object: peak and phase memory from /proc/self/status, times per step and per forward pass, losses.
"""
import argparse
import json
import os
import platform
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(1, ROOT)

import onnx  # noqa: E402

from onnx_module import OnnxModule, external_info  # noqa: E402

CHUNK = 1 << 22  # elements copied at a time while loading, so loading adds no tensor-sized peak


def memory():
    """Resident and peak resident bytes, and their anonymous and file-backed parts."""
    values = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                values[key] = int(rest.split()[0]) * 1024
    return {"rss": values["VmRSS"], "peak": values["VmHWM"], "anon": values.get("RssAnon", 0), "file": values.get("RssFile", 0)}


def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def load_batch(directory):
    with open(os.path.join(directory, "batch.json")) as f:
        spec = json.load(f)
    shape = (spec["batch"], spec["sequence"])
    inputs = {name: torch.from_numpy(np.fromfile(os.path.join(directory, file), dtype="<i8").reshape(shape))
              for name, file in spec["inputs"].items()}
    labels = None
    if spec.get("labels"):
        labels = torch.from_numpy(np.fromfile(os.path.join(directory, spec["labels"]), dtype="<i8"))
    return spec, inputs, labels


def copy_external_into(target, tensor_proto, directory):
    """Reads one external-data initializer into `target` in chunks of CHUNK elements."""
    location, offset, _ = external_info(tensor_proto)
    flat = target.data.view(-1)
    path = os.path.join(directory, location)
    for start in range(0, flat.numel(), CHUNK):
        count = min(CHUNK, flat.numel() - start)
        chunk = np.fromfile(path, dtype="<f4", count=count, offset=offset + 4 * start)
        flat[start:start + count].copy_(torch.from_numpy(chunk))


def build_decoder(model_dir, shape):
    from tools.export.opt import Opt
    from tools.export.random_decoder import SHAPES
    if shape not in SHAPES:
        raise SystemExit(f"unknown --shape {shape}; known: {', '.join(SHAPES)}")
    module = Opt(SHAPES[shape])
    graph = onnx.load(os.path.join(model_dir, "model.onnx"), load_external_data=False)
    params = module.all_parameters()
    loaded = set()
    for t in graph.graph.initializer:
        if t.data_location != onnx.TensorProto.EXTERNAL or t.data_type != onnx.TensorProto.FLOAT:
            continue
        name = module.canonical_key(t.name)
        if name not in params:
            raise SystemExit(f"initializer {t.name} has no parameter in the OPT module")
        if tuple(params[name].shape) != tuple(t.dims):
            raise SystemExit(f"initializer {t.name} has shape {list(t.dims)}, the module {list(params[name].shape)}")
        with torch.no_grad():
            copy_external_into(params[name], t, model_dir)
        loaded.add(name)
    missing = [n for n in params if n not in loaded and n != "lm_head.weight"]
    if missing:
        raise SystemExit(f"the ONNX model lacks {missing[:5]}")
    return module, [p for p in {id(p): p for p in module.parameters()}.values()]


def build(model_dir, shape):
    with open(os.path.join(model_dir, "bszo-model.json")) as f:
        card = json.load(f)
    if card["kind"] == "decoder-lm":
        module, params = build_decoder(model_dir, shape)
        return card, module, params
    module = OnnxModule(os.path.join(model_dir, card.get("model", "model.onnx")))
    return card, module, list(module.weights)


def loss_function(card, module, inputs, labels):
    if card["kind"] == "decoder-lm":
        ids = inputs["input_ids"]
        ignore = torch.full((ids.shape[0], 1), -100, dtype=torch.int64)
        targets = torch.cat([ids[:, 1:], ignore], dim=1).reshape(-1)

        def loss():
            logits = module(ids, inputs["attention_mask"])
            return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets, ignore_index=-100)
        return loss

    def classifier_loss():
        logits = module(**inputs)["logits"]
        return F.cross_entropy(logits, labels)
    return classifier_loss


class Mezo:
    """MeZO's step: perturb, two forward passes, restore, update; z regenerated from the step's seed."""

    forwards_per_step = 2

    def __init__(self, params, loss, lr, eps):
        self.params, self.loss, self.lr, self.eps = params, loss, lr, eps
        for p in params:
            p.requires_grad_(False)
        self.forward_seconds = []   # per step
        self.sweep_seconds = []     # per step: three perturbations and the update

    def move(self, seed, alpha):
        """θ ← θ + alpha·z(seed), z drawn again parameter by parameter (MeZO's zo_perturb_parameters / zo_update)."""
        torch.manual_seed(seed)
        for p in self.params:
            z = torch.normal(mean=0.0, std=1.0, size=p.size(), dtype=p.dtype)
            p.add_(z, alpha=alpha)

    def forward(self):
        with torch.inference_mode():
            return float(self.loss())

    def step(self, seed):
        clock, forward, sweep = time.perf_counter, 0.0, 0.0
        t = clock()
        self.move(seed, self.eps)
        sweep += clock() - t
        t = clock()
        plus = self.forward()
        forward += clock() - t
        t = clock()
        self.move(seed, -2 * self.eps)
        sweep += clock() - t
        t = clock()
        minus = self.forward()
        forward += clock() - t
        t = clock()
        self.move(seed, self.eps)
        g = (plus - minus) / (2 * self.eps)
        self.move(seed, -self.lr * g)
        sweep += clock() - t
        self.forward_seconds.append(forward)
        self.sweep_seconds.append(sweep)
        return 0.5 * (plus + minus)


class Adam:
    """First-order fine-tuning: forward, backward, Adam."""

    forwards_per_step = 1

    def __init__(self, params, loss, lr):
        self.params, self.loss = params, loss
        for p in params:
            p.requires_grad_(True)
        self.optimizer = torch.optim.Adam(params, lr=lr)
        self.forward_seconds = []
        self.backward_seconds = []
        self.sweep_seconds = []

    def forward(self):
        with torch.inference_mode():
            return float(self.loss())

    def step(self, seed):
        self.optimizer.zero_grad(set_to_none=True)
        start = time.perf_counter()
        value = self.loss()
        middle = time.perf_counter()
        value.backward()
        self.backward_seconds.append(time.perf_counter() - middle)
        self.forward_seconds.append(middle - start)
        self.optimizer.step()
        return float(value)


def blas_gflops():
    """Throughput of a 1024² fp32 matmul: about 7 GFLOP/s means the reference BLAS, not OpenBLAS."""
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    torch.matmul(a, b)
    start = time.perf_counter()
    for _ in range(5):
        torch.matmul(a, b)
    return 5 * 2 * 1024 ** 3 / (time.perf_counter() - start) / 1e9


def blas_library():
    path = "/usr/lib/x86_64-linux-gnu/libblas.so.3"
    return os.path.realpath(path) if os.path.exists(path) else "unknown"


# OpenBLAS picks its kernels per CPU at load time (DYNAMIC_ARCH) unless these variables force a core
# type or a cache size; the bench runs the reference with and without them.
OPENBLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def blas_kernel():
    """The core type whose kernels OpenBLAS runs in this process (e.g. Haswell, Zen, SkylakeX), or None."""
    import ctypes
    with open("/proc/self/maps") as maps:
        loaded = sorted({line.split()[-1] for line in maps if "blas" in line and ".so" in line})
    for path in loaded:
        try:
            corename = ctypes.CDLL(path).openblas_get_corename
        except (OSError, AttributeError):
            continue
        corename.restype = ctypes.c_char_p
        return corename().decode()
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--batch", required=True)
    parser.add_argument("--method", choices=("mezo", "adam"), required=True)
    parser.add_argument("--shape", help="decoder configuration (tools/export random_decoder SHAPES)")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--lr", type=float)
    parser.add_argument("--eps", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out")
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    start = memory()
    spec, inputs, labels = load_batch(args.batch)
    clock = time.perf_counter()
    card, module, params = build(args.model, args.shape)
    module.eval()
    load_seconds = time.perf_counter() - clock
    loss = loss_function(card, module, inputs, labels)
    if args.method == "mezo":
        method = Mezo(params, loss, args.lr if args.lr is not None else 1e-6, args.eps)
    else:
        method = Adam(params, loss, args.lr if args.lr is not None else 1e-5)
    loaded = memory()
    initial_loss = method.forward()  # at the loaded weights: compare with Bszo's loss on the same batch
    before_steps = memory()
    peak_reset = reset_peak()

    rng = random.Random(args.seed)
    step_seconds, losses = [], []
    for step in range(args.warmup + args.steps):
        seed = rng.randrange(1 << 31)
        clock = time.perf_counter()
        losses.append(method.step(seed))
        elapsed = time.perf_counter() - clock
        if step >= args.warmup:
            step_seconds.append(elapsed)
    end = memory()

    result = {
        "configuration": f"pytorch-{args.method}",
        "model": os.path.abspath(args.model),
        "batch": spec["batch"],
        "sequence": spec["sequence"],
        "parameters": int(sum(p.numel() for p in params)),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "blas": blas_library(),
        "blas_gflops": blas_gflops(),
        "blas_kernel": blas_kernel(),
        "blas_environment": {name: os.environ.get(name) for name in OPENBLAS_OVERRIDES},
        "load_seconds": load_seconds,
        "memory_start": start,
        "memory_loaded": loaded,
        "memory_end": end,
        "peak_bytes": max(end["peak"], before_steps["peak"]),
        "run_peak_bytes": end["peak"] if peak_reset else None,
        "warmup_steps": args.warmup,
        "step_seconds": step_seconds,
        "forward_seconds": method.forward_seconds[args.warmup:],
        "sweep_seconds": method.sweep_seconds[args.warmup:],
        "forwards_per_step": method.forwards_per_step,
        "initial_loss": initial_loss,
        "losses": losses,
    }
    if args.method == "adam":
        result["backward_seconds"] = method.backward_seconds[args.warmup:]
    text = json.dumps(result, indent=1)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
