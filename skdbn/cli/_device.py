"""``--device``: training on a PyTorch device through scikit-learn's Array API."""

import contextlib
import os
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
    os.execve(sys.executable, [sys.executable, "-m", "skdbn", *sys.argv[1:]], env)


def device_data(device, X):
    """``(X, context)``: X as a PyTorch tensor on ``device`` and scikit-learn's
    array API dispatch to train in, or X itself and no context (``device``
    None). A UsageError says what is missing: PyTorch, the device, or SciPy's
    Array API switch."""
    if device is None:
        return X, contextlib.nullcontext()
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
    import sklearn

    dtype = torch.float32 if device == "mps" else None  # MPS has no float64
    tensor = torch.asarray(np.ascontiguousarray(X), dtype=dtype, device=device)
    return tensor, sklearn.config_context(array_api_dispatch=True)
