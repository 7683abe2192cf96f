"""helion-opt must never crash or hang, whatever text it is given.

Seeded mutations of the lit inputs (tests/lit/**/*.mlir) run through the pass
pipelines of their own RUN lines. An error message is a fine outcome; a
signal, an LLVM crash banner or assertion, or a run past the timeout fails the
test, and the mutant is saved as a reproducer whose path is in the failure.

HELION_FUZZ_N (default 300) sets the number of mutants, HELION_FUZZ_SEED
(default 0) the seed; HELION_FUZZ_OUT the folder for reproducers.
"""
from __future__ import annotations

import glob
import os
import random
import re
import shlex
import subprocess
import sys
import sysconfig
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
LIT_DIR = os.path.join(REPO, "tests", "lit")
TIMEOUT_S = 10.0
CRASH_MARKERS = ("PLEASE submit a bug report", "Assertion", "LLVM ERROR", "UNREACHABLE", "Stack dump")


def find_helion_opt() -> str | None:
    if os.environ.get("HELION_OPT"):
        return os.environ["HELION_OPT"]
    candidates = [os.path.join(sysconfig.get_paths()[k], "helion", "bin", "helion-opt") for k in ("platlib", "purelib")]
    candidates += sorted(glob.glob(os.path.join(REPO, "build", "*", "mlir", "tools", "helion-opt", "helion-opt")))
    return next((c for c in candidates if os.path.isfile(c) and os.access(c, os.X_OK)), None)


OPT = find_helion_opt()

# --- inputs -----------------------------------------------------------------


@dataclass
class Seed:
    path: str
    text: str
    runs: list[list[str]]  # helion-opt arguments of each RUN line, without the input


def helion_opt_args(run: str) -> list[str] | None:
    """The helion-opt arguments of one RUN line (the command before the first
    pipe), with %s and checking-only flags removed."""
    first = run.split("|")[0].strip()
    words = shlex.split(first)
    if words and words[0] == "not":
        words = words[1:]
    if not words or words[0] != "helion-opt":
        return None
    drop = {"%s", "-verify-diagnostics", "--verify-diagnostics"}
    return [w for w in words[1:] if w not in drop and not w.startswith("2>")]


def generic_form(path: str) -> str | None:
    """The file printed in generic op form (what MLIR prints for invalid IR),
    whose mutations reach verifiers the custom parsers would shield."""
    if OPT is None:
        return None
    p = subprocess.run([OPT, path, "-split-input-file", "--mlir-print-op-generic"], capture_output=True, text=True,
                       timeout=TIMEOUT_S)
    return p.stdout if p.returncode == 0 else None


def load_seeds() -> list[Seed]:
    seeds = []
    for path in sorted(glob.glob(os.path.join(LIT_DIR, "**", "*.mlir"), recursive=True)):
        text = open(path).read()
        runs = [a for a in (helion_opt_args(m) for m in re.findall(r"^// RUN: (.*)$", text, re.M)) if a is not None]
        rel = os.path.relpath(path, REPO)
        seeds.append(Seed(rel, text, runs or [[]]))
        generic = generic_form(path)
        if generic:
            seeds.append(Seed(rel + " (generic form)", generic, runs or [[]]))
    return seeds


# --- mutations ----------------------------------------------------------------

INTERESTING = [0, 1, -1, 2, 3, 7, 16, 64, 100, 1023, 2**31 - 1, 2**31, -(2**31), 2**62, 2**63 - 1, -(2**63)]
ATTR_NAMES = ["loop_order", "l2_grouping", "looped_block", "min_block", "bounds_check", "tile.num_programs", "tile.grid_shape",
              "tile.aligned", "reduction", "extent", "input_precision", "permutation", "axis"]
ATTR_VALUES = ["array<i64: 1, 0>", "array<i64: 0, 0>", "array<i64: 2, 0>", "array<i64: -1>", "array<i64>",
               "array<i64: 1, 0, 2>", "array<i1: true>", "array<i1: false, true, true>", "0 : i64", "-3 : i64",
               "4 : i64", "64 : i32", "\"ieee\"", "unit", "[0, 1]", "dense<1> : tensor<2xi64>"]
TYPES = ["f32", "f16", "bf16", "i1", "i8", "i32", "i64", "index", "!tile.tile", "tensor<64xf32>",
         "tensor<?xf32, #tile.dims<[0]>>", "tensor<?x?xf32, #tile.dims<[0, 0]>>", "tensor<0xf32>",
         "memref<8xf32>", "memref<?x?xf32>"]
TOKENS = ["tile.load", "tile.store", "tile.for", "tile.grid", "tile.yield", "tile.reduce", "tile.make_tile",
          "tile.program_id", "tile.block_size", "tile.full", "tile.dot", "tile.return", "arith.addf", "scf.for"]


def _int_sites(text: str) -> list[re.Match]:
    return list(re.finditer(r"(?<![\w%#.])-?\d+(?![\w.])", text))


def mutate_int(rng: random.Random, text: str) -> str:
    sites = _int_sites(text)
    if not sites:
        return text
    m = rng.choice(sites)
    v = rng.choice(INTERESTING + [int(m.group()) + rng.choice([-1, 1]), rng.randrange(-5, 300)])
    return text[: m.start()] + str(v) + text[m.end():]


def mutate_array(rng: random.Random, text: str) -> str:
    sites = list(re.finditer(r"array<i(?:64|1|32)(?::[^>]*)?>|\[[-\d, ]*\]", text))
    if not sites:
        return mutate_int(rng, text)
    m = rng.choice(sites)
    return text[: m.start()] + rng.choice(ATTR_VALUES + ["[1, 1]", "[3, 0]", "[]", "[0, -1]"]) + text[m.end():]


def mutate_attr(rng: random.Random, text: str) -> str:
    """Adds or retargets an attribute: a known name with a (possibly wrong) value."""
    name, value = rng.choice(ATTR_NAMES), rng.choice(ATTR_VALUES)
    entry = name if value == "unit" else f"{name} = {value}"
    sites = list(re.finditer(r"attributes \{|\{(?=[a-z_.]+ =)|\) \{$", text, re.M))
    if sites and rng.random() < 0.7:
        m = rng.choice(sites)
        if m.group().startswith(")"):
            return text[: m.start()] + f") attributes {{{entry}}} {{" + text[m.end():]
        return text[: m.end()] + entry + ", " + text[m.end():]
    names = list(re.finditer(r"\b(" + "|".join(map(re.escape, ATTR_NAMES)) + r")\b", text))
    if not names:
        return text
    m = rng.choice(names)
    return text[: m.start()] + rng.choice(ATTR_NAMES) + text[m.end():]


def mutate_token(rng: random.Random, text: str) -> str:
    """Replaces an SSA name, a type or an op name by another one."""
    kind = rng.randrange(3)
    if kind == 0:
        names = list(re.finditer(r"%[\w]+(?:#\d+)?", text))
        if len(names) < 2:
            return text
        m, other = rng.choice(names), rng.choice(names)
        return text[: m.start()] + other.group() + text[m.end():]
    if kind == 1:
        types = list(re.finditer(r"\b(?:f32|f16|bf16|i1|i32|i64|index)\b|tensor<[^>]*>+|!tile\.tile", text))
        if not types:
            return text
        m = rng.choice(types)
        return text[: m.start()] + rng.choice(TYPES) + text[m.end():]
    ops = list(re.finditer(r"\b(?:tile|arith|scf|math)\.[a-z_]+", text))
    if not ops:
        return text
    m = rng.choice(ops)
    return text[: m.start()] + rng.choice(TOKENS) + text[m.end():]


def mutate_lines(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    if len(lines) < 3:
        return text
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    kind = rng.randrange(4)
    if kind == 0:
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == 1:
        del lines[i]
    elif kind == 2:
        lines.insert(j, lines[i])
    else:
        return "\n".join(lines[:i])  # truncate at a line
    return "\n".join(lines)


def mutate_bytes(rng: random.Random, text: str) -> str:
    if not text:
        return text
    i = rng.randrange(len(text))
    kind = rng.randrange(3)
    if kind == 0:
        return text[:i]  # truncate mid-token
    if kind == 1:
        return text[:i] + rng.choice("{}()[]<>,:=%#@!?x0-\"") + text[i:]
    return text[:i] + text[i + 1:]


MUTATORS = [mutate_int, mutate_int, mutate_array, mutate_attr, mutate_attr, mutate_token, mutate_token,
            mutate_lines, mutate_bytes]


def make_mutant(rng: random.Random, seed: Seed) -> str:
    text = seed.text
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        text = rng.choice(MUTATORS)(rng, text)
    return text


def mutate_args(rng: random.Random, args: list[str]) -> list[str]:
    """Sometimes changes a number in the pass options (a Config value)."""
    sites = [i for i, a in enumerate(args) if re.search(r"\d", a)]
    if not sites or rng.random() < 0.7:
        return args
    i = rng.choice(sites)
    out = list(args)
    out[i] = mutate_int(rng, out[i])
    return out


# --- running ------------------------------------------------------------------


@dataclass
class Outcome:
    kind: str  # "ok", "crash" or "hang"
    detail: str = ""


def classify(cmd: list[str], timeout: float = TIMEOUT_S) -> Outcome:
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=timeout)
    except subprocess.TimeoutExpired:
        return Outcome("hang", f"no answer after {timeout:.0f} s")
    if p.returncode < 0:
        return Outcome("crash", f"killed by signal {-p.returncode}: {p.stderr[-2000:]}")
    marker = next((m for m in CRASH_MARKERS if m in p.stderr), None)
    if marker:
        return Outcome("crash", f"exit {p.returncode}, '{marker}': {p.stderr[-2000:]}")
    return Outcome("ok")


def fuzz(opt: str, n: int, seed: int, out_dir: str) -> tuple[dict[str, int], list[str]]:
    """Runs n mutants; returns outcome counts and one report line per failure."""
    seeds = load_seeds()
    rng = random.Random(seed)
    jobs = []
    for i in range(n):
        s = rng.choice(seeds)
        jobs.append((i, s, make_mutant(rng, s), mutate_args(rng, rng.choice(s.runs))))
    work = tempfile.mkdtemp(prefix="helion-fuzz-")

    def run(job):
        i, s, text, args = job
        path = os.path.join(work, f"mutant-{i}.mlir")
        with open(path, "w") as f:
            f.write(text)
        cmd = [opt, path, *args]
        outcome = classify(cmd)
        os.remove(path)
        return job, cmd, outcome

    counts = {"ok": 0, "crash": 0, "hang": 0}
    failures = []
    with ThreadPoolExecutor(max_workers=max(2, min(4, os.cpu_count() or 2))) as pool:
        for (i, s, text, args), cmd, outcome in pool.map(run, jobs):
            counts[outcome.kind] += 1
            if outcome.kind == "ok":
                continue
            os.makedirs(out_dir, exist_ok=True)
            repro = os.path.join(out_dir, f"{outcome.kind}-seed{seed}-{i}.mlir")
            line = shlex.join(["helion-opt", repro, *args])
            with open(repro, "w") as f:
                f.write(f"// {outcome.kind} from a mutant of {s.path}; reproduce with:\n// {line}\n{text}")
            failures.append(f"{outcome.kind}: {line}\n    {outcome.detail.strip()[:600]}")
    os.rmdir(work)
    return counts, failures


needs_opt = pytest.mark.skipif(OPT is None, reason="helion-opt not built")


@needs_opt
def test_helion_opt_survives_mutants():
    n = int(os.environ.get("HELION_FUZZ_N", "300"))
    seed = int(os.environ.get("HELION_FUZZ_SEED", "0"))
    out_dir = os.environ.get("HELION_FUZZ_OUT", os.path.join(tempfile.gettempdir(), "helion-fuzz-repros"))
    counts, failures = fuzz(OPT, n, seed, out_dir)
    print(f"helion-opt fuzz: {n} mutants, seed {seed}: {counts}", file=sys.stderr)
    assert not failures, (f"{len(failures)} of {n} mutants crashed or hung helion-opt (seed {seed}); "
                          f"reproducers:\n" + "\n".join(failures))
    assert counts["ok"] == n


def test_every_lit_file_is_a_seed_with_its_pipelines():
    seeds = load_seeds()
    assert len(seeds) >= 10
    by_path = {s.path: s for s in seeds}
    roll = by_path[os.path.join("tests", "lit", "passes", "roll-reductions.mlir")]
    assert ["--split-input-file", "--helion-to-ttir=block-sizes=4 reduction-loops=64"] in roll.runs
    invalid = by_path[os.path.join("tests", "lit", "dialect", "invalid.mlir")]
    assert invalid.runs == [["-split-input-file"]]  # -verify-diagnostics dropped


def test_mutants_are_seeded_and_differ():
    seeds = load_seeds()
    a = [make_mutant(random.Random(7), s) for s in seeds]
    b = [make_mutant(random.Random(7), s) for s in seeds]
    assert a == b
    assert sum(m != s.text for m, s in zip(a, seeds)) >= len(seeds) // 2


@pytest.mark.parametrize("script, kind", [
    ("kill -SEGV $$", "crash"),
    ("echo 'PLEASE submit a bug report to ...' >&2; exit 1", "crash"),
    ("echo 'error: expected type' >&2; exit 1", "ok"),
    ("sleep 5", "hang"),
])
def test_classify_tells_crashes_and_hangs_from_errors(script, kind):
    assert classify(["sh", "-c", script], timeout=0.5).kind == kind
