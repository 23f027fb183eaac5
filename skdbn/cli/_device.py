"""``--device``: training on a PyTorch device through scikit-learn's Array API."""

import contextlib
import os
import subprocess
import sys

import numpy as np

from ._messages import UsageError


def restart_with_array_api(args):
    """Run this command line again, in a new Python with ``SCIPY_ARRAY_API=1``,
    when ``--device`` needs it and it is not set: SciPy reads the switch once,
    when it is first imported, so this process cannot turn it on. Returns only
    when there is nothing to do; otherwise the new process replaces this one."""
    if getattr(args, "device", None) is None:
        return
    if os.environ.get("SCIPY_ARRAY_API") == "1":
        return
    env = {**os.environ, "SCIPY_ARRAY_API": "1"}
    sys.stdout.flush()
    sys.stderr.flush()
    command = [sys.executable, "-m", "skdbn", *sys.argv[1:]]
    if os.name != "posix":  # Windows' execve returns at once: keep the exit code
        raise SystemExit(subprocess.run(command, env=env).returncode)
    os.execve(sys.executable, command, env)


def check_device(device):
    """The ``torch`` module when ``device`` can be trained on (None without
    ``--device``); otherwise a UsageError saying what is missing: PyTorch, the
    device, or SciPy's Array API switch. Called before the data are read."""
    if device is None:
        return None
    try:
        import torch
    except ImportError:
        raise UsageError(
            f"--device {device} needs PyTorch, which is not installed: install "
            "the build for your hardware (pip install torch), or leave out "
            "--device to train with NumPy."
        ) from None
    available = {"cpu": True, "cuda": torch.cuda.is_available()}
    available["mps"] = torch.backends.mps.is_available()
    if not available[device]:
        raise UsageError(
            f"--device {device}: PyTorch sees no {device.upper()} device here; "
            "use --device cpu or leave out --device."
        )
    if os.environ.get("SCIPY_ARRAY_API") != "1":
        raise UsageError(
            f"--device {device} needs SciPy's Array API support, which SciPy reads "
            "when it starts: set SCIPY_ARRAY_API=1 before importing SciPy (the "
            "skdbn command does so itself)."
        )
    return torch


def device_data(device, X):
    """``(X, context)``: X as a PyTorch tensor on ``device`` and scikit-learn's
    array API dispatch to train in, or X itself and no context (``device``
    None). The whole table moves to the device: one that does not fit there is
    a UsageError."""
    torch = check_device(device)
    if torch is None:
        return X, contextlib.nullcontext()
    import sklearn

    dtype = torch.float32 if device == "mps" else None  # MPS has no float64
    try:
        tensor = torch.asarray(np.ascontiguousarray(X), dtype=dtype, device=device)
    except (getattr(torch, "OutOfMemoryError", MemoryError), MemoryError):
        raise UsageError(
            f"--device {device}: the data ({X.nbytes / 2**30:.1f} GiB) do not fit "
            "in its memory; leave out --device to train from the file with NumPy."
        ) from None
    return tensor, sklearn.config_context(array_api_dispatch=True)
