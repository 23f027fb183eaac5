"""The array library a fit computes in: NumPy, or another one through the Array API.

The core modules (:mod:`skdbn._cd`, :mod:`skdbn._network`, the optimisers and
the training loop) write their math once, in NumPy's vocabulary: ``xp =
ops(array)`` then ``xp.matmul(A, W, out=buf)``, ``xp.tanh(Z, out=Z)``... For a
NumPy array (or a SciPy sparse matrix, or anything that is not an array of
another library) :func:`ops` returns the ``numpy`` module itself, so the NumPy
path *is* the NumPy code, with its buffers and its generator: same seeds, same
bits, same speed. For a PyTorch tensor (CPU, CUDA, MPS) it returns a
:class:`TorchOps`, the same functions with the same signatures on the tensor's
device, writing into ``out=`` buffers as NumPy does (no per-batch allocation).
Other Array API libraries get :class:`ArrayAPIOps`, the same functions in the
standard's terms, which emulates ``out=`` by assignment (correct, and slower);
CuPy's :class:`CupyOps` adds CuPy's own generator.

Random numbers: the Array API has no generator. :func:`make_generator` draws
one seed from the estimator's ``RandomState`` (as the NumPy path always did)
and seeds a NumPy ``SFC64`` generator for NumPy arrays, or a generator on the
array's own device (``torch.Generator``, CuPy's ``Generator``; a NumPy generator
for libraries without one, such as array-api-strict, whose draws are copied to
the device). A seed therefore reproduces a fit
per backend and device, not across them.

The namespace is found with ``array_api_compat`` (public API only).
"""

import math
import threading

import array_api_compat
import numpy as np
import scipy.sparse as sp


def is_numpy(a):
    """True for NumPy arrays and scalars, sparse matrices, lists and the like:
    everything the NumPy path handles."""
    if isinstance(a, np.ndarray | np.generic) or sp.issparse(a):
        return True
    return not array_api_compat.is_array_api_obj(a)


def ops(a):
    """``numpy`` for NumPy data, else the :class:`TorchOps` or :class:`ArrayAPIOps`
    of ``a``'s namespace and device (made once per namespace and device, and
    found again by the array's type and device: this runs for every operation)."""
    kind = type(a)
    if kind is np.ndarray:
        return np
    key = (kind, getattr(a, "device", None))
    found = _OPS.get(key)
    if found is None:
        found = _OPS[key] = _make_ops(a)
    return found


def _make_ops(a):
    if is_numpy(a):
        return np
    if array_api_compat.is_torch_array(a):
        cls = TorchOps
    elif array_api_compat.is_cupy_array(a):
        cls = CupyOps
    else:
        cls = ArrayAPIOps
    return cls(array_api_compat.array_namespace(a), array_api_compat.device(a))


_OPS: dict = {}


def make_generator(xp, rng):
    """A fresh sampling generator for namespace ``xp``, seeded from ``rng`` (a
    ``RandomState``) with four draws whatever the backend, so the rest of
    ``rng``'s stream (shuffling) is the same on every backend."""
    seed = rng.randint(2**31 - 1, size=4)
    if xp is np:  # SFC64: the fastest of NumPy's bit generators (see _random)
        return np.random.Generator(np.random.SFC64(seed))
    return xp.generator(seed)


def to_namespace(a, like):
    """NumPy array (or None) ``a`` as an array of ``like``'s namespace, device and
    (for floating ``a``) dtype; unchanged for NumPy ``like``."""
    xp = ops(like)
    if a is None or xp is np:
        return a
    dtype = like.dtype if np.asarray(a).dtype.kind == "f" else None
    return xp.asarray(a, dtype=dtype)


def to_numpy(a):
    """``a`` as a NumPy array (a copy from a device); NumPy arrays unchanged."""
    if is_numpy(a):
        return a
    if array_api_compat.is_torch_array(a):
        return a.detach().cpu().numpy()
    if array_api_compat.is_cupy_array(a):
        return a.get()
    try:
        return np.from_dlpack(a)
    except (BufferError, RuntimeError, TypeError, ValueError):  # not on the host
        xp = array_api_compat.array_namespace(a)
        host = xp.__array_namespace_info__().default_device()
        return np.from_dlpack(array_api_compat.to_device(a, host))


def all_finite(a):
    """Every value of ``a`` is finite (a device sync for other backends)."""
    xp = ops(a)
    return bool(np.isfinite(a).all()) if xp is np else xp.all_finite(a)


def astype(a, dtype):
    """``a`` in ``dtype`` (a NumPy dtype or the namespace's), no copy if it is."""
    xp = ops(a)
    if xp is np:
        return a.astype(dtype, copy=False)
    dtype = xp.dtype(dtype)
    return a if a.dtype == dtype else xp.xp.astype(a, dtype)


def host_dtype(a):
    """The NumPy dtype matching ``a``'s (float32 or float64 for device arrays)."""
    if ops(a) is np:
        return a.dtype
    return np.dtype(str(a.dtype).rpartition(".")[2])


def ravel(a):
    """``a.ravel()`` in ``a``'s namespace."""
    xp = ops(a)
    return a.ravel() if xp is np else xp.xp.reshape(a, (-1,))


def any_nonzero(a):
    """A Python bool: some value of ``a`` is not zero."""
    xp = ops(a)
    return bool(a.any()) if xp is np else bool(xp.xp.any(a != 0))


def column_stack(columns):
    """The 1-D arrays ``columns`` side by side, in their namespace."""
    xp = ops(columns[0])
    return np.column_stack(columns) if xp is np else xp.xp.stack(columns, axis=1)


def take_labels(classes, index):
    """``classes[index]`` for NumPy ``classes`` (scikit-learn keeps ``classes_``
    in NumPy) and ``index`` of any namespace: numeric labels come back in the
    namespace and on the device of ``index``, other labels (strings) in NumPy."""
    xp = ops(index)
    if xp is np:
        return classes[index]
    if classes.dtype.kind not in "biuf":
        return classes[to_numpy(index)]
    labels = xp.asarray(classes)
    return xp.xp.take(labels, index, axis=0)


def argmax_index(scores):
    """The predicted class index from decision scores: ``scores > 0`` for 1-D
    (binary) scores, the row-wise argmax otherwise."""
    xp = ops(scores)
    if xp is np:
        return (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
    if scores.ndim == 1:
        return xp.xp.astype(scores > 0, xp.xp.int64)
    return xp.xp.argmax(scores, axis=1)


def mean_float(a):
    """The mean of ``a`` as a Python float (``float(np.mean(a))`` for NumPy)."""
    xp = ops(a)
    return float(np.mean(a)) if xp is np else float(xp.mean(a))


def same_namespace(a, b):
    """``a`` and ``b`` are arrays of one namespace on one device (NumPy data,
    sparse matrices and lists all count as NumPy)."""
    xa, xb = ops(a), ops(b)
    return xa is xb


def namespace_name(a):
    """The name of ``a``'s namespace (``numpy``, ``torch``...) and its device."""
    xp = ops(a)
    if xp is np:
        return "numpy", "cpu"
    return xp.xp.__name__.rpartition(".")[2], str(xp.device)


def copy(a):
    """A copy of ``a`` in its own namespace (NumPy: ``a.copy()``)."""
    xp = ops(a)
    return a.copy() if xp is np else xp.copy(a)


def new_float(z):
    """An empty floating array shaped like ``z``: its dtype if floating, else
    float32 (NumPy: ``result_type(z, float32)``)."""
    xp = ops(z)
    if xp is np:
        return np.empty(np.shape(z), dtype=np.result_type(z, np.float32))
    return xp.empty(tuple(z.shape), dtype=z.dtype)


class ArrayAPIOps:
    """NumPy's functions, as the core modules call them, for an Array API namespace.

    ``out=`` is emulated by assignment into ``out``; dtypes are the namespace's.
    """

    def __init__(self, namespace, device):
        self.xp, self.device = namespace, device
        self.float32, self.float64 = namespace.float32, namespace.float64

    def __repr__(self):
        return f"{type(self).__name__}({self.xp.__name__}, device={self.device!r})"

    # -------------------------------------------------------------- creation
    def dtype(self, dtype):
        """The namespace's dtype for a NumPy dtype (or a namespace dtype)."""
        if dtype is None or not isinstance(dtype, type | np.dtype | str):
            return dtype
        return {"float32": self.float32, "float64": self.float64}.get(
            np.dtype(dtype).name, dtype
        )

    def asarray(self, a, dtype=None):
        return self.xp.asarray(a, dtype=self.dtype(dtype), device=self.device)

    def empty(self, shape, dtype=None, order="C"):
        return self.xp.empty(shape, dtype=self.dtype(dtype), device=self.device)

    def zeros(self, shape, dtype=None, order="C"):
        return self.xp.zeros(shape, dtype=self.dtype(dtype), device=self.device)

    def full(self, shape, value, dtype=None):
        return self.xp.full(shape, value, dtype=self.dtype(dtype), device=self.device)

    def empty_like(self, a):
        return self.xp.empty_like(a)

    def zeros_like(self, a):
        return self.xp.zeros_like(a)

    def copy(self, a):
        return self.xp.asarray(a, copy=True)

    def arange(self, n):
        return self.xp.arange(n, device=self.device)

    def generator(self, seed):
        """A NumPy generator: the namespace has none; see :meth:`uniform`."""
        return np.random.Generator(np.random.SFC64(seed))

    # ---------------------------------------------------------- element-wise
    @staticmethod
    def _into(out, value):
        if out is None:
            return value
        out[...] = value
        return out

    def _scalar(self, a, like):
        if isinstance(a, int | float):
            return self.xp.asarray(a, dtype=like.dtype, device=self.device)
        return a

    def _binary(self, name, a, b, out):
        like = b if isinstance(a, int | float) else a
        a, b = self._scalar(a, like), self._scalar(b, like)
        return self._into(out, getattr(self.xp, name)(a, b))

    def multiply(self, a, b, out=None):
        return self._binary("multiply", a, b, out)

    def add(self, a, b, out=None):
        return self._binary("add", a, b, out)

    def subtract(self, a, b, out=None):
        return self._binary("subtract", a, b, out)

    def divide(self, a, b, out=None):
        return self._binary("divide", a, b, out)

    def minimum(self, a, b, out=None):
        return self._binary("minimum", a, b, out)

    def maximum(self, a, b, out=None):
        return self._binary("maximum", a, b, out)

    def logaddexp(self, a, b, out=None):
        return self._binary("logaddexp", a, b, out)

    def less(self, a, b, out=None):
        result = self.xp.less(a, b)
        return (
            self._into(out, self.xp.astype(result, out.dtype))
            if out is not None
            else result
        )

    def _unary(self, name, a, out):
        return self._into(out, getattr(self.xp, name)(a))

    def tanh(self, a, out=None):
        return self._unary("tanh", a, out)

    def exp(self, a, out=None):
        return self._unary("exp", a, out)

    def log(self, a, out=None):
        return self._unary("log", a, out)

    def log1p(self, a, out=None):
        return self._unary("log1p", a, out)

    def abs(self, a, out=None):
        return self._unary("abs", a, out)

    def negative(self, a, out=None):
        return self._unary("negative", a, out)

    def sqrt(self, a, out=None):
        return self._unary("sqrt", a, out)

    def square(self, a, out=None):
        return self._unary("square", a, out)

    def sign(self, a, out=None):
        return self._unary("sign", a, out)

    def isfinite(self, a):
        return self.xp.isfinite(a)

    def where(self, cond, a, b):
        return self.xp.where(cond, a, b)

    def clip(self, a, lo, hi, out=None):
        return self._into(out, self.xp.clip(a, lo, hi))

    def copyto(self, dst, src, casting=None):
        dst[...] = src

    # ------------------------------------------------------------ reductions
    def matmul(self, a, b, out=None):
        return self._into(out, self.xp.matmul(a, b))

    def sum(self, a, axis=None, out=None, dtype=None, keepdims=False):
        return self._into(
            out, self.xp.sum(a, axis=axis, dtype=self.dtype(dtype), keepdims=keepdims)
        )

    def mean(self, a, axis=None):
        return self.xp.mean(a, axis=axis)

    def amin(self, a, axis=None, keepdims=False):
        return self.xp.min(a, axis=axis, keepdims=keepdims)

    def amax(self, a, axis=None, keepdims=False):
        return self.xp.max(a, axis=axis, keepdims=keepdims)

    def vdot(self, a, b):
        return self.xp.sum(self.xp.reshape(a * b, (-1,)))

    def rowdot(self, a, b):
        """``einsum('ij,ij->i', a, b)``: the row-wise dot products."""
        return self.xp.sum(a * b, axis=1)

    def outer(self, a, b):
        return a[:, None] * b[None, :]

    def all_finite(self, a):
        """A Python bool: every value of ``a`` is finite (a device sync)."""
        return bool(self.xp.all(self.xp.isfinite(a)))

    def take(self, X, indices, out=None):
        return self._into(out, self.xp.take(X, indices, axis=0))

    # ---------------------------------------------------------------- random
    def uniform(self, generator, shape, signed=False):
        """Uniform float32 values on ``[0, 1)`` (``[-1, 1)`` when ``signed``)."""
        from . import _random

        values = _random.uniform(generator, shape, signed=signed)
        return self.xp.asarray(values, device=self.device)

    def bernoulli(self, P, generator, out=None, signed=False):
        """Binary states, 1 with probability ``P`` (see :func:`_random.bernoulli`)."""
        noise = self.uniform(generator, tuple(P.shape), signed)
        return self.less(noise, P, out=P if out is None else out)

    def standard_normal(self, generator, out):
        """Fill ``out`` with standard normal values."""
        values = generator.standard_normal(tuple(out.shape), dtype=np.float32)
        return self._into(out, self.xp.asarray(values, device=self.device))

    def keep_mask(self, generator, out, rate):
        """Inverted-dropout factors in ``out``: 0 with probability ``rate``, else
        ``1 / (1 - rate)``."""
        noise = self.uniform(generator, tuple(out.shape))
        keep = self.xp.astype(noise >= rate, out.dtype)
        return self._into(out, keep * (1 / (1 - rate)))


class CupyOps(ArrayAPIOps):
    """:class:`ArrayAPIOps` for CuPy, with CuPy's own generator on the array's
    GPU: random numbers are drawn there, never copied from the host."""

    def generator(self, seed):
        import cupy

        state = int(np.random.SeedSequence(seed).generate_state(1)[0])
        with self.device:  # a cupy.cuda.Device: the generator's state lives there
            return cupy.random.default_rng(state)

    def uniform(self, generator, shape, signed=False):
        with self.device:
            values = generator.random(shape, dtype=np.float32)
        if signed:
            values *= 2
            values -= 1
        return values

    def standard_normal(self, generator, out):
        with self.device:
            values = generator.standard_normal(tuple(out.shape), dtype=np.float32)
        return self._into(out, values)


class TorchOps(ArrayAPIOps):
    """:class:`ArrayAPIOps` for PyTorch: native ``out=`` buffers, a device generator."""

    def __init__(self, namespace, device):
        super().__init__(namespace, device)
        import torch

        self.torch = torch
        self._constants = {}
        self._local = threading.local()
        self._arithmetic = {
            "multiply": torch.mul,
            "add": torch.add,
            "subtract": torch.sub,
            "divide": torch.div,
        }

    def vdot(self, a, b):
        return self.torch.dot(a.reshape(-1), b.reshape(-1))

    def generator(self, seed):
        gen = self.torch.Generator(device=self.device)
        gen.manual_seed(int(np.random.SeedSequence(seed).generate_state(1)[0]))
        return gen

    def _binary(self, name, a, b, out):
        t = self.torch
        if isinstance(a, int | float):  # NumPy's subtract(1, x): x's dtype
            if name == "subtract":
                out = t.neg(b, out=out)
                out += a
                return out
            if name == "divide":
                out = t.reciprocal(b, out=out)
                out *= a
                return out
            a, b = b, a  # the others are commutative: the tensor first
        fn = self._arithmetic.get(name)
        if fn is None:
            fn = getattr(t, name)
            if isinstance(b, int | float):
                b = self._constant(b, a)
        return fn(a, b) if out is None else fn(a, b, out=out)

    def _constant(self, value, like):
        """``value`` as a 0-d tensor of ``like``'s dtype on this device, made
        once: a new one per call would be a host-to-device copy per batch."""
        key = (value, like.dtype)
        found = self._constants.get(key)
        if found is None:
            found = self.torch.tensor(value, dtype=like.dtype, device=like.device)
            self._constants[key] = found
        return found

    def less(self, a, b, out=None):
        return self.torch.lt(a, b) if out is None else self.torch.lt(a, b, out=out)

    def _unary(self, name, a, out):
        fn = getattr(self.torch, name)
        return fn(a) if out is None else fn(a, out=out)

    def matmul(self, a, b, out=None):
        if a.ndim == 1:  # vector @ matrix: a matrix-vector product, 1-D out
            a, b = b.T, a
            return self.torch.mv(a, b) if out is None else self.torch.mv(a, b, out=out)
        return (
            self.torch.matmul(a, b) if out is None else self.torch.matmul(a, b, out=out)
        )

    def sum(self, a, axis=None, out=None, dtype=None, keepdims=False):
        dims = () if axis is None else axis
        result = self.torch.sum(a, dim=dims, keepdim=keepdims, dtype=self.dtype(dtype))
        return self._into(out, result)

    def copyto(self, dst, src, casting=None):
        dst.copy_(src)

    def copy(self, a):
        return a.clone()

    def clip(self, a, lo, hi, out=None):
        return (
            self.torch.clamp(a, lo, hi, out=out) if out is not None else a.clamp(lo, hi)
        )

    def take(self, X, indices, out=None):
        if out is None:
            return self.torch.index_select(X, 0, indices)
        return self.torch.index_select(X, 0, indices, out=out)

    def _noise(self, size):
        """A float32 scratch vector of ``size`` on this device, for the uniforms
        that a draw consumes at once: one per thread (concurrent fits do not
        share it), grown to the largest size asked instead of one per shape."""
        buf = getattr(self._local, "noise", None)
        if buf is None or buf.numel() < size:
            buf = self.torch.empty(size, dtype=self.float32, device=self.device)
            self._local.noise = buf
        return buf[:size]

    def uniform(self, generator, shape, signed=False):
        buf = self._noise(math.prod(shape))
        self.torch.rand(buf.shape, generator=generator, out=buf)
        out = buf.view(shape)
        if signed:
            out *= 2
            out -= 1
        return out

    def standard_normal(self, generator, out):
        return self.torch.randn(out.shape, generator=generator, out=out)

    def keep_mask(self, generator, out, rate):
        noise = self.uniform(generator, tuple(out.shape))
        self.torch.ge(noise, rate, out=out)
        out *= 1 / (1 - rate)
        return out


# ------------------------------------------------------------------ moving models


def to_device(estimator, like=None):
    """A copy of a fitted skdbn estimator whose arrays live in the namespace and
    on the device of the array ``like`` (NumPy when None).

    The one line that moves a model: ``skdbn.to_device(model, like=X)`` before
    ``model.predict(X)`` for X on a GPU, or ``skdbn.to_device(model)`` to bring
    a GPU-fitted model back to NumPy. Floating-point arrays move (weights,
    biases, persistent chains, optimiser state), keeping their dtype; labels
    (``classes_``) and integer arrays stay as they are, and a sampling
    generator is replaced by one of the target's, seeded from the old one. The
    estimator itself is not changed.

    Parameters
    ----------
    estimator : estimator
        A skdbn estimator (or a pipeline step holding one), fitted or not.
    like : array, default=None
        An array of the target namespace and device, e.g.
        ``torch.empty(0, device="cuda")``; None for NumPy.

    Returns
    -------
    estimator : estimator
        The moved copy.

    Examples
    --------
    >>> import numpy as np
    >>> from skdbn import RBMTransformer, to_device
    >>> X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
    >>> rbm = RBMTransformer(n_components=2, random_state=0).fit(X)
    >>> moved = to_device(rbm)  # like=X_gpu: to the device of a tensor X_gpu
    >>> type(moved.components_).__name__, moved.components_ is rbm.components_
    ('ndarray', False)
    """
    import copy as _copy

    moved = _copy.deepcopy(estimator)
    _Mover(like).move(moved)
    return moved


class _Mover:
    """Converts, in place and once per object, every array an estimator holds."""

    def __init__(self, like):
        self.like = like
        self.xp = np if like is None else ops(like)
        self.memo = {}

    def move(self, value, name=None):
        if isinstance(value, type):  # a dtype such as np.float64, a class
            return value
        key = id(value)
        if key in self.memo:
            return self.memo[key]
        if isinstance(value, np.ndarray) or (
            not is_numpy(value) and array_api_compat.is_array_api_obj(value)
        ):
            out = self._array(value, name)
        elif _is_generator(value):
            out = self._generator(value)
        elif isinstance(value, list | dict):
            out = self.memo[key] = value
            for k, item in list(
                value.items() if isinstance(value, dict) else enumerate(value)
            ):
                value[k] = self.move(item, k if isinstance(k, str) else None)
        elif isinstance(value, tuple):
            items = [self.move(item) for item in value]
            same = all(new is old for new, old in zip(items, value, strict=True))
            named = hasattr(value, "_fields")
            out = value if same else type(value)(*items) if named else tuple(items)
        elif _holds_arrays(value):
            out = self.memo[key] = value
            for attr, item in list(vars(value).items()):
                if attr != "xp":
                    setattr(value, attr, self.move(item, attr))
            if "xp" in vars(value):  # a CD objective's backend
                value.xp = ops(value.params[0])
        else:
            out = value
        self.memo[key] = out
        return out

    def _array(self, a, name):
        if name == "classes_":
            return a
        if isinstance(a, np.ndarray) and a.dtype.kind != "f":
            return a
        host = to_numpy(a)
        if self.xp is np:
            return np.array(host, copy=True)
        return self.xp.asarray(host)

    def _generator(self, gen):
        if isinstance(gen, np.random.Generator) and self.xp is np:
            return gen  # already NumPy's
        if isinstance(gen, np.random.Generator):
            seed = gen.integers(2**31 - 1, size=4)
        elif type(gen).__module__.startswith("cupy"):
            seed = to_numpy(gen.integers(2**31 - 1, size=4))
        else:  # a torch generator
            import torch

            seed = torch.randint(2**31 - 1, (4,), generator=gen, device=gen.device)
            seed = seed.cpu().numpy()
        rng = np.random.RandomState(np.asarray(seed, dtype=np.int64) % (2**31 - 1))
        return make_generator(self.xp, rng)


def _holds_arrays(value):
    """skdbn's estimators and helpers, and scikit-learn estimators around them."""
    module = type(value).__module__
    if not hasattr(value, "__dict__") or isinstance(value, type):
        return False
    return module.startswith("skdbn") or hasattr(value, "get_params")


def _is_generator(value):
    if isinstance(value, np.random.Generator):
        return True
    kind = type(value)
    library = kind.__module__.partition(".")[0]
    return library in ("torch", "cupy") and kind.__name__ == "Generator"


def on_device(estimator):
    """True when ``estimator`` holds arrays of a namespace other than NumPy."""
    found = []

    class _Finder(_Mover):
        def _array(self, a, name):
            if not is_numpy(a):
                found.append(name)
            return a

        def _generator(self, gen):
            return gen

    _Finder(None).move(estimator)
    return bool(found)
