"""``--device``: training on a PyTorch device through scikit-learn's Array API."""

import contextlib
import os

import numpy as np

from ._messages import UsageError


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
            "when it starts: run SCIPY_ARRAY_API=1 skdbn fit ..."
        )
    import sklearn

    dtype = torch.float32 if device == "mps" else None  # MPS has no float64
    tensor = torch.asarray(np.ascontiguousarray(X), dtype=dtype, device=device)
    return tensor, sklearn.config_context(array_api_dispatch=True)
