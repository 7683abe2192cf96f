"""Ahead-of-time configs (helion.aot): the tuning command, the file format and
the lookup rule (exact, else nearest by log2 size distance, else default)."""
import json
import os

import pytest
import torch

import helion
import helion.language as hl
from helion import aot

def _add_kernel(**settings):
    @helion.kernel(**settings)
    def add(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = x[t] + y[t]
        return out

    return add


def _entry(n, block, dtype="float32"):
    t = f"{dtype}[{n}]"
    return {"args": {"out": t, "x": t, "y": t}, "config": {"block_sizes": [block], "num_warps": 2}}


def _write(tmp_path, kernel, entries):
    path = tmp_path / "configs.json"
    aot.write(str(path), aot.kernel_id(kernel), entries)
    return str(path)


def _used_config(kernel):
    (spec,) = kernel._specs.values()
    return spec.best.config


def test_cli_tunes_and_writes_readable_json(tmp_path, capsys):
    module = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "pointwise.py")
    out = tmp_path / "configs.json"
    assert aot.main(["--module", module, "--kernel", "add_const", "--shapes", "64", "--device", "cpu",
                     "--out", str(out)]) == 0
    text = out.read_text()
    data = json.loads(text)
    assert data["format"] == aot.FORMAT
    (entry,) = data["kernels"]["pointwise.add_const"]
    assert entry["args"] == {"TILE_RANGE": [64], "x": "float32[64]", "out": "float32[64]"}
    assert entry["config"]["block_sizes"] and entry["device"] == "cpu"
    # one line per field: the file diffs well
    assert '"args": {"TILE_RANGE": [64], "x": "float32[64]", "out": "float32[64]"},' in text
    assert "wrote 1 config(s) for pointwise.add_const" in capsys.readouterr().out
    # a second run for another shape keeps the first entry
    aot.write(str(out), "pointwise.add_const", [_entry(128, 32)])
    assert len(json.loads(out.read_text())["kernels"]["pointwise.add_const"]) == 2


def test_exact_match_is_used_silently(tmp_path, capsys):
    add = _add_kernel()
    add.settings.aot_configs = _write(tmp_path, add, [_entry(64, 16), _entry(1000, 128)])
    x = torch.randn(64)
    torch.testing.assert_close(add(x, x), x + x)
    assert _used_config(add)["block_sizes"] == [16]
    assert capsys.readouterr().err == ""


def test_nearest_shape_then_said_once(tmp_path, capsys):
    add = _add_kernel()
    add.settings.aot_configs = _write(tmp_path, add, [_entry(64, 16), _entry(1000, 128)])
    x = torch.randn(100)  # log2 distance to 64 is smaller than to 1000
    torch.testing.assert_close(add(x, x), x + x)
    assert _used_config(add)["block_sizes"] == [16]
    err = capsys.readouterr().err
    assert "has no config tuned for out=float32[100]" in err and "nearest by log2 size distance" in err
    add(torch.randn(700), torch.randn(700))  # nearest is 1000
    assert [s.best.config["block_sizes"] for s in add._specs.values()] == [[16], [128]]
    assert capsys.readouterr().err == ""  # said once per kernel


def test_other_dtype_uses_default_config(tmp_path, capsys):
    add = _add_kernel()
    add.settings.aot_configs = _write(tmp_path, add, [_entry(64, 16)])
    x = torch.randn(64, dtype=torch.float64)
    torch.testing.assert_close(add(x, x), x + x)
    assert _used_config(add) == add.bind((x, x)).default_config()
    assert "using the default config" in capsys.readouterr().err


def test_decorator_argument_and_env_var(tmp_path, monkeypatch):
    probe = _add_kernel()
    path = _write(tmp_path, probe, [_entry(64, 32)])
    add = _add_kernel(aot_configs=path)
    x = torch.randn(64)
    add(x, x)
    assert _used_config(add)["block_sizes"] == [32]
    monkeypatch.setenv("HELION_AOT_CONFIGS", path)
    add2 = _add_kernel()
    add2(x, x)
    assert _used_config(add2)["block_sizes"] == [32]


def test_explicit_config_wins_and_unlisted_kernel_unaffected(tmp_path, capsys):
    probe = _add_kernel()
    path = _write(tmp_path, probe, [_entry(64, 32)])
    add = _add_kernel(aot_configs=path, config=helion.Config(block_sizes=[8]))
    x = torch.randn(64)
    add(x, x)
    assert _used_config(add)["block_sizes"] == [8]

    @helion.kernel(aot_configs=path)
    def neg(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = -x[t]
        return out

    capsys.readouterr()
    torch.testing.assert_close(neg(x), -x)
    assert "configs.json" not in capsys.readouterr().err  # the file does not name neg


def test_config_that_does_not_fit_falls_back(tmp_path, capsys):
    add = _add_kernel()
    add.settings.aot_configs = _write(tmp_path, add, [{"args": _entry(64, 16)["args"], "config": {"block_sizes": [16, 16]}}])
    x = torch.randn(64)
    torch.testing.assert_close(add(x, x), x + x)
    assert "does not fit" in capsys.readouterr().err


def test_bad_files_are_named(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    add = _add_kernel(aot_configs=str(bad))
    with pytest.raises(helion.exc.InvalidSetting, match="is not valid JSON"):
        add(torch.randn(8), torch.randn(8))
    bad.write_text('{"kernels": {}}')
    with pytest.raises(helion.exc.InvalidSetting, match="not a helion AOT configs file"):
        _add_kernel(aot_configs=str(bad))(torch.randn(8), torch.randn(8))
    with pytest.raises(helion.exc.InvalidSetting, match="cannot be read"):
        _add_kernel(aot_configs=str(tmp_path / "missing.json"))(torch.randn(8), torch.randn(8))
    with pytest.raises(helion.exc.InvalidSetting, match="aot_configs must be a path"):
        _add_kernel(aot_configs=3)


def test_distance_rule():
    a = {"x": "float32[64, 128]", "n": 64, "flag": True}
    assert aot.distance(a, a) == 0
    assert aot.distance(a, {"x": "float32[64, 256]", "n": 64, "flag": True}) == pytest.approx(
        abs(__import__("math").log2(129) - __import__("math").log2(257)))
    assert aot.distance(a, {"x": "float16[64, 128]", "n": 64, "flag": True}) is None  # dtype
    assert aot.distance(a, {"x": "float32[64]", "n": 64, "flag": True}) is None  # rank
    assert aot.distance(a, {"x": "float32[64, 128]", "n": 64, "flag": False}) is None  # other value
    assert aot.distance({"s": [64, 128]}, {"s": [64, 256]}) == aot.distance(a, {"x": "float32[64, 256]", "n": 64, "flag": True})


@pytest.mark.gpu
def test_shipped_config_on_gpu_without_tuning(tmp_path, capsys):
    add = _add_kernel()
    add.settings.aot_configs = _write(tmp_path, add, [_entry(4096, 512)])
    x = torch.randn(4096, device="cuda")
    torch.testing.assert_close(add(x, x), x + x)
    assert _used_config(add)["block_sizes"] == [512]
    assert "Autotuning" not in capsys.readouterr().err  # no tuning at deploy
