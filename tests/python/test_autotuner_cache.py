"""The disk cache of tuned configs: hit, miss, corrupt entries, version and
effort changes, and a key that is the same in a second process."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings

import pytest
import torch

import helion
from helion import exc
from helion.autotuner.cache import AutotuneCache, kernel_source

from matmul import readme_matmul

GPU = {"name": "NVIDIA H200", "capability": [9, 0]}
VERSIONS = {"helion": "0.1", "triton": "3.6.0", "torch": "2.11.0"}


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HELION_CACHE_DIR", str(tmp_path))
    return tmp_path


def _cache(m=256, versions=VERSIONS, device=GPU):
    bound = readme_matmul.bind((torch.randn(m, 128), torch.randn(128, 64)))
    return AutotuneCache("readme_matmul", kernel_source(readme_matmul.fn), bound.tile_ir, device, versions)


CONFIG = helion.Config(block_sizes=[64, 64, 32], loop_orders=[[1, 0]], num_warps=8)


def test_miss_then_hit(cache_dir):
    c = _cache()
    assert c.get("quick") is None
    c.put(CONFIG, "full", 0.25)
    assert os.path.dirname(c.path) == str(cache_dir / "autotune")
    assert _cache().get("full") == CONFIG
    assert _cache().get("quick") == CONFIG  # a full tuning serves a quick request


def test_quick_entry_does_not_serve_full(cache_dir):
    _cache().put(CONFIG, "quick")
    assert _cache().get("quick") == CONFIG
    assert _cache().get("full") is None


def test_key_changes(cache_dir):
    _cache().put(CONFIG, "full")
    assert _cache(m=512).get("full") is None  # another shape: another specialization
    assert _cache(versions={**VERSIONS, "triton": "3.7.0"}).get("full") is None
    assert _cache(device={"name": "NVIDIA H100", "capability": [9, 0]}).get("full") is None
    assert _cache().get("full") == CONFIG


@pytest.mark.parametrize("content", [b"", b"{not json", b'{"digest": "x", "config": {}}', b"[1, 2]",
                                     b'{"config": {"block_sizes": 7, "bogus": 1}}'])
def test_corrupt_entry_is_ignored_with_a_warning(cache_dir, content):
    c = _cache()
    c.put(CONFIG, "full")
    with open(c.path, "wb") as f:
        f.write(content)
    with pytest.warns(exc.CacheWarning, match="corrupt autotune cache entry"):
        assert c.get("full") is None
    c.put(CONFIG, "full")  # the next tuning replaces it
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert c.get("full") == CONFIG


def test_wrong_digest_entry_is_ignored(cache_dir):
    c = _cache()
    c.put(CONFIG, "full")
    entry = json.loads(open(c.path).read())
    entry["digest"] = "0" * 32
    open(c.path, "w").write(json.dumps(entry))
    with pytest.warns(exc.CacheWarning):
        assert c.get("full") is None


def test_write_is_atomic(cache_dir):
    c = _cache()
    c.put(CONFIG, "full")
    assert os.listdir(os.path.dirname(c.path)) == [os.path.basename(c.path)]  # no temporary left behind


def test_same_key_in_a_second_process(cache_dir):
    script = (
        "import sys, torch; sys.path.insert(0, 'examples'); from matmul import readme_matmul\n"
        "from helion.autotuner.cache import AutotuneCache, kernel_source\n"
        "b = readme_matmul.bind((torch.randn(256, 128), torch.randn(128, 64)))\n"
        f"c = AutotuneCache('readme_matmul', kernel_source(readme_matmul.fn), b.tile_ir, {GPU!r}, {VERSIONS!r})\n"
        "print(c.get('full'))\n")
    _cache().put(CONFIG, "full")
    root = os.path.join(os.path.dirname(__file__), "..", "..")
    out = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == repr(CONFIG)
