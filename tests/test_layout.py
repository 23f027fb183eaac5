"""The layout explains the library: each module imports only the layers below.

See the module map in ``docs/developers.rst``. Imports are read from the source
(top-level and inside functions alike), so a lazy import cannot hide a cycle.
"""

import ast
from pathlib import Path

import pytest

import skdbn

PACKAGE = Path(skdbn.__file__).parent

# Bottom to top; a module may import its own layer and those below it.
LAYERS = {
    "errors": ["skdbn.exceptions"],
    "core": [
        "skdbn._backend",
        "skdbn._activations",
        "skdbn._random",
        "skdbn._linalg",
        "skdbn._optimizers",
        "skdbn._outofcore",
        "skdbn._validation",
        "skdbn._callsite",
        "skdbn._network",
        "skdbn._cd",
        "skdbn._ais",
        "skdbn._training",
        "skdbn._state",
    ],
    "estimators": [
        "skdbn._base",
        "skdbn._gradient_descent",
        "skdbn._logistic",
        "skdbn._rbm",
        "skdbn._dbn",
        "skdbn._dbn_network",
        "skdbn._dbn_classifier",
        "skdbn._dbn_regressor",
    ],
    # The package's public names: what files and the face may import.
    "public": ["skdbn"],
    "files": ["skdbn.io", "skdbn.datasets", "skdbn.plotting"],
    "face": ["skdbn._progress", "skdbn.demo", "skdbn.cli", "skdbn.__main__"],
}
ORDER = list(LAYERS)


def _layer(module):
    """The layer of ``module`` (a subpackage's modules share its layer)."""
    for layer, names in LAYERS.items():
        for name in names:
            if module == name or (name != "skdbn" and module.startswith(name + ".")):
                return layer
    return None


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path, parts[-1] == "__init__"


def _imports(name, path, is_package):
    """Every skdbn module that ``name`` imports, anywhere in its source."""
    package = name if is_package else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("skdbn"))
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            module = node.module or ""
            if node.level:
                module = f"{base}.{module}" if module else base
            if not module.startswith("skdbn"):
                continue
            for alias in node.names:  # `from . import _cd` imports skdbn._cd
                candidate = f"{module}.{alias.name}"
                known = any(n == candidate for n, _, _ in _modules())
                found.add(candidate if known else module)
    return found


MODULES = list(_modules())


def test_every_module_has_a_layer():
    assert [name for name, _, _ in MODULES if _layer(name) is None] == []


@pytest.mark.parametrize("name, path, is_package", MODULES, ids=[m[0] for m in MODULES])
def test_modules_import_only_their_layer_and_below(name, path, is_package):
    mine = ORDER.index(_layer(name))
    above = sorted(
        imported
        for imported in _imports(name, path, is_package)
        if ORDER.index(_layer(imported)) > mine
    )
    assert above == [], f"{name} ({_layer(name)}) imports a higher layer"


def test_nothing_but_the_face_imports_the_command_line():
    for name, path, is_package in MODULES:
        if _layer(name) == "face":
            continue
        cli = [m for m in _imports(name, path, is_package) if _layer(m) == "face"]
        assert cli == [], f"{name} imports {cli}"


def test_the_math_core_imports_no_estimator_module():
    for name, path, is_package in MODULES:
        if _layer(name) in ("errors", "core"):
            imported = _imports(name, path, is_package)
            assert all(_layer(m) in ("errors", "core") for m in imported), name


def test_the_rbm_parameters_have_one_default():
    """scikit-learn wants every parameter in each estimator's own signature, so
    the rbm_* parameters are listed by DBNTransformer and by the DBN networks;
    their defaults must stay one and the same."""
    import inspect

    from skdbn import DBNClassifier, DBNRegressor, DBNTransformer

    def defaults(cls):
        parameters = inspect.signature(cls).parameters.values()
        return {p.name: p.default for p in parameters if p.name.startswith("rbm_")}

    shared = defaults(DBNTransformer)
    assert len(shared) == 11
    assert defaults(DBNClassifier) == shared == defaults(DBNRegressor)
