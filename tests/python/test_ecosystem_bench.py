"""benchmarks/run.py: the suite runs end to end (CPU executor, tiny sizes)
and writes JSON, a markdown table and, with matplotlib, a PNG."""
import importlib.util
import json
import os
import sys

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def _load_run():
    spec = importlib.util.spec_from_file_location("bench_run", os.path.join(ROOT, "benchmarks", "run.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)  # importing runs nothing
    return module


def test_suite_on_cpu(tmp_path, capsys):
    run = _load_run()
    assert not any(tmp_path.iterdir())
    assert run.main(["--out", str(tmp_path), "--device", "cpu", "--baselines", "eager"]) == 0
    data = json.loads((tmp_path / "run.json").read_text())
    kernels = [r["kernel"] for r in data["rows"]]
    assert kernels == ["add", "softmax", "layer_norm", "rms_norm", "matmul", "attention"]
    for r in data["rows"]:
        # every case produced a checked Helion time and its fraction of the roofline
        assert r["rate"]["helion"] > 0 and r["fraction_of_roofline"]["helion"] > 0, r
        assert r["helion_config"].startswith("helion.Config(")
        assert r["rate"]["eager"] > 0 and "torch.compile" not in r["rate"]
    table = (tmp_path / "run.md").read_text()
    assert "| kernel | size | unit | helion | eager | roofline |" in table
    assert "| matmul | 64^3 | TFLOP/s |" in table and "(cuBLAS (torch.matmul))" in table
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert "skipping the plot" in capsys.readouterr().err
    else:
        assert (tmp_path / "run.png").stat().st_size > 1000
