"""``skdbn fit`` on files larger than memory: the float32 cache of a CSV.

``--memory-limit 0`` sends these small files down the path of large ones.
"""

import json

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_digits

from skdbn.cli import _cache, main
from skdbn.datasets import _csv_reader
from skdbn.io import load

FAST = ["--layers", "16", "--pretrain-epochs", "1", "--epochs", "3", "--quiet"]


def _write_digits(path, n=300):
    X, y = load_digits(return_X_y=True)
    lines = [",".join(f"p{j}" for j in range(64)) + ",digit"]
    rows = zip(X[:n].astype(int), y[:n], strict=True)
    lines += [",".join(map(str, r)) + f",{d}" for r, d in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def _fit(tmp_path, data, *extra, cache=True):
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir(exist_ok=True)
    argv = ["fit", str(data), "-o", str(tmp_path / "m.skops"), "--memory-limit", "0"]
    argv += ["--cache-dir", str(cache_dir), *FAST, *extra]
    return main(argv), cache_dir


def _files(folder):
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_large_file_trains_from_a_float32_map_and_reuses_it(tmp_path, capsys):
    data = _write_digits(tmp_path / "d.csv")
    code, cache_dir = _fit(tmp_path, data)
    assert code == 0
    names = _files(cache_dir)
    assert [n.rsplit(".", 1)[-1] for n in names] == ["json", "npy", "npz"]
    npy = next(cache_dir.glob("*.npy"))
    X = np.load(npy, mmap_mode="r")
    assert X.dtype == np.float32 and X.shape == (300, 64)
    assert X.min() == 0 and X.max() == 1  # scaled in the same pass (min-max)
    model, meta = load(tmp_path / "m.skops", return_metadata=True)
    raw = load_digits().data[:300]
    assert_allclose(model[0].transform(raw), X, atol=1e-6)  # the scaler is saved
    assert meta["feature_names"][0] == "p0" and meta["n_samples"] == 300
    assert meta["training_score"] > 0.5
    stamp = npy.stat().st_mtime_ns
    assert _fit(tmp_path, data)[0] == 0
    assert npy.stat().st_mtime_ns == stamp  # reused, not rewritten
    assert _files(cache_dir) == names
    model2 = load(tmp_path / "m.skops")
    assert (model2.predict(raw) == model.predict(raw)).all()


def test_cache_follows_the_file_and_the_options(tmp_path):
    data = _write_digits(tmp_path / "d.csv")
    _, cache_dir = _fit(tmp_path, data)
    first = _files(cache_dir)
    _write_digits(data, n=310)  # the file changed: converted again, same names
    assert _fit(tmp_path, data)[0] == 0
    assert _files(cache_dir) == first
    meta = json.loads(next(cache_dir.glob("*.json")).read_text())
    assert meta["shape"] == [310, 64]
    # Other options, another cache (standard scaling: its own statistics).
    assert _fit(tmp_path, data, "--scale", "standard")[0] == 0
    assert len(_files(cache_dir)) == 6
    X = np.load(sorted(cache_dir.glob("*.npy"))[0], mmap_mode="r")
    assert X.shape == (310, 64)
    assert _fit(tmp_path, data, "--scale", "none", "--allow-degenerate")[0] == 0
    assert len(_files(cache_dir)) == 8  # json and npy; no scaler


def test_interrupted_conversion_leaves_nothing_trusted(tmp_path, monkeypatch, capsys):
    data = _write_digits(tmp_path / "d.csv")
    monkeypatch.setattr(_csv_reader, "BLOCK_BYTES", 2048)
    calls = []
    parse = _csv_reader.parse_block

    def interrupted(*args):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return parse(*args)

    monkeypatch.setattr(_csv_reader, "parse_block", interrupted)
    code, cache_dir = _fit(tmp_path, data)
    assert code == 130 and _files(cache_dir) == []  # no temporary file either
    # Killed after the features were renamed, before the metadata: not trusted.
    monkeypatch.setattr(_csv_reader, "parse_block", parse)
    monkeypatch.setattr(_cache, "_save_scaler", _raises)
    assert _fit(tmp_path, data)[0] == 130
    assert [n.rsplit(".", 1)[-1] for n in _files(cache_dir)] == ["npy"]
    monkeypatch.undo()
    assert _fit(tmp_path, data)[0] == 0
    meta = json.loads(next(cache_dir.glob("*.json")).read_text())
    assert meta["shape"] == [300, 64]


def _raises(*args):
    raise KeyboardInterrupt


def test_no_cache_leaves_no_file_and_small_files_stay_in_memory(tmp_path):
    data = _write_digits(tmp_path / "d.csv")
    code, cache_dir = _fit(tmp_path, data, "--no-cache")
    assert code == 0 and _files(cache_dir) == []
    assert load(tmp_path / "m.skops")[0].data_min_.dtype == np.float32
    argv = ["fit", str(data), "-o", str(tmp_path / "m.skops"), *FAST]
    assert main([*argv, "--cache-dir", str(cache_dir)]) == 0
    assert _files(cache_dir) == []  # in memory, as before: float64
    assert load(tmp_path / "m.skops")[0].data_min_.dtype == np.float64


def test_cache_errors_are_the_checking_readers(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,y\n" + "1,2,0\n" * 50 + "1,x,1\n")
    code, cache_dir = _fit(tmp_path, bad)
    assert code == 2 and _files(cache_dir) == []
    assert "bad.csv, line 52, column 2 ('b'): 'x' is not a number" in (
        capsys.readouterr().err
    )
    missing = ["fit", str(bad), "--memory-limit", "0", "--cache-dir", "nope"]
    assert main(missing) == 2
    assert "--cache-dir nope: no such folder" in capsys.readouterr().err


@pytest.mark.parametrize("text, size", [("0", 0), ("2G", 2 * 2**30), ("1.5k", 1536)])
def test_memory_limit_values(text, size):
    assert _cache.memory_size(text) == size


def test_predict_streams_blocks_and_writes_as_it_goes(tmp_path, monkeypatch, capsys):
    from skdbn.cli import _files

    data = _write_digits(tmp_path / "d.csv")
    argv = ["fit", str(data), "-o", str(tmp_path / "m.skops"), *FAST]
    assert main(argv) == 0
    model = str(tmp_path / "m.skops")
    outputs = {}
    for block_bytes in (None, 1000):  # one block; blocks of about 4 rows
        if block_bytes:
            monkeypatch.setattr(_files, "STREAM_BYTES", block_bytes)
        for extra in ([], ["--proba"]):
            out = tmp_path / f"p{block_bytes}{len(extra)}.csv"
            assert main(["predict", model, str(data), "-o", str(out), *extra]) == 0
            outputs[block_bytes, len(extra)] = out.read_text()
    assert outputs[None, 0] == outputs[1000, 0]
    # Probabilities: a product over 4 rows may round its last bit differently.
    proba = [
        np.loadtxt(outputs[b, 1].splitlines()[1:], delimiter=",") for b in (None, 1000)
    ]
    assert_allclose(*proba, rtol=1e-12)
    assert outputs[None, 0].count("\n") == 301
    assert "wrote 300 rows" in capsys.readouterr().err
    # A bad line in a later block: the checking reader's error, and no file.
    lines = data.read_text().splitlines()
    lines[250] = lines[250].replace(",", ",x", 1)
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n")
    out = tmp_path / "bad_pred.csv"
    assert main(["predict", model, str(bad), "-o", str(out)]) == 2
    assert "bad.csv, line 251, column 2 ('p1'): 'x0' is not a number" in (
        capsys.readouterr().err
    )
    assert not out.exists() and list(tmp_path.glob(".*.tmp")) == []


def test_evaluate_reads_blocks(tmp_path, monkeypatch, capsys):
    from skdbn.cli import _files

    data = _write_digits(tmp_path / "d.csv")
    for extra in ([], ["--no-target"]):
        model = str(tmp_path / f"m{len(extra)}.skops")
        assert main(["fit", str(data), "-o", model, *FAST, *extra]) == 0
        capsys.readouterr()
        printed = []
        for block_bytes in (None, 1000):
            if block_bytes:
                monkeypatch.setattr(_files, "STREAM_BYTES", block_bytes)
            assert main(["evaluate", model, str(data)]) == 0
            printed.append(capsys.readouterr().out)
        monkeypatch.undo()
        assert printed[0] == printed[1]
        assert "rows " in printed[0] and "300" in printed[0]
    # A bad target cell: the checking reader's error.
    bad = tmp_path / "bad.csv"
    bad.write_text(data.read_text().replace(",3\n", ",\n", 1))
    assert main(["evaluate", str(tmp_path / "m0.skops"), str(bad)]) == 2
    assert "the target is empty" in capsys.readouterr().err


def test_conversion_progress_on_the_training_bar():
    import io

    from skdbn._progress import Progress

    out = io.StringIO()
    progress = Progress(None, file=out)
    progress.reading_what = "reading big.csv"
    progress.reading(5000, 50 * 2**20, 2.0)
    progress.set_total(4)
    assert progress.bar.total == 4
    progress.close()
    text = out.getvalue()
    assert "reading big.csv" in text and "rows=5000" in text and "MB/s=25.0" in text
    # Without a bar (no tqdm): one line when the conversion ends.
    out = io.StringIO()
    progress = Progress(None, file=out)
    progress.bar.close()
    progress.bar = None
    progress.reading(7, 2**20, 1.0)
    progress.set_total(3)
    assert out.getvalue().endswith("reading: 7 rows, 1.0 MB/s\n")
