"""Mutation fuzzing of the frontend: each example kernel's device loop gets one
or two random edits (an operator, a constant, a method name, an index, a dropped
statement or argument, an extra argument) and is traced. Every outcome must be
a trace that works or a located helion.exc error in the mutant's own source;
an InternalError or a raw Python exception fails the test and its mutant is
kept (the path is in the failure message).

HELION_FRONTEND_FUZZ_N (default 150) mutants per run, HELION_FRONTEND_FUZZ_SEED
(default 0) picks them."""
import ast
import inspect
import os
import random
import textwrap
import traceback

import torch

import helion
from helion import exc
import registry

_METHODS = ["exp", "sum", "amax", "matmul", "where", "sigmoid", "softmax", "maximum", "abs", "log", "mean", "argmax",
            "rsqrt", "tanh", "cumsum", "begin", "end", "index", "block_size", "foo"]
_OPERATORS = [ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.MatMult, ast.BitAnd, ast.LShift]
_CONSTANTS = [0, 1, -1, 2, 3, 16, 2**40, 0.5, -2.5, True, None, "s"]
_INDICES = [ast.Constant(0), ast.Constant(None), ast.Slice(), ast.Constant(1.5), ast.Constant(-1)]


def _mutate(fdef: ast.FunctionDef, rng: random.Random) -> bool:
    """One random edit inside the device loop of fdef; False if none applied."""
    loops = [s for s in fdef.body if isinstance(s, ast.For)]
    if not loops:
        return False
    nodes = list(ast.walk(loops[0]))[1:]
    for _ in range(20):
        n = rng.choice(nodes)
        if isinstance(n, ast.BinOp):
            n.op = rng.choice(_OPERATORS)()
        elif isinstance(n, ast.Constant) and not isinstance(n.value, str):
            n.value = rng.choice(_CONSTANTS)
        elif isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Load):
            n.attr = rng.choice(_METHODS)
        elif isinstance(n, ast.Subscript) and isinstance(n.slice, ast.Tuple) and n.slice.elts:
            n.slice.elts[rng.randrange(len(n.slice.elts))] = rng.choice(_INDICES)
        elif isinstance(n, ast.Subscript):
            n.slice = ast.Tuple([n.slice, ast.Slice()], ast.Load())
        elif isinstance(n, ast.For) and len(n.body) > 1:
            del n.body[rng.randrange(len(n.body))]
        elif isinstance(n, ast.Call) and n.args and rng.random() < 0.5:
            n.args.pop()
        elif isinstance(n, ast.Call):
            n.args.append(ast.Constant(rng.choice(_CONSTANTS)))
        else:
            continue
        return True
    return False


def _run_mutant(example, path: str, rng: random.Random):
    """None when the mutant traces or fails cleanly, else what went wrong."""
    fn = example.kernel.fn
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    fdef = tree.body[0]
    fdef.decorator_list = []
    if not all([_mutate(fdef, rng) for _ in range(rng.choice([1, 1, 2]))]):
        return None
    text = ast.unparse(ast.fix_missing_locations(tree)) + "\n"
    with open(path, "w") as f:
        f.write(text)
    scope = dict(fn.__globals__)
    try:
        exec(compile(text, path, "exec"), scope)  # noqa: S102 - a mutant of our own example
    except Exception:  # noqa: BLE001 - not valid Python any more
        return None
    torch.manual_seed(0)
    args = example.inputs("cpu", torch.float32)
    try:
        helion.kernel(scope[fdef.name], config=example.configs[0]).bind(args)
    except (exc.NotSupported, exc.TypeError_) as e:
        return None if e.location and e.location.startswith(path + ":") else f"unlocated: {e}"
    except exc.InternalError as e:
        return f"internal error: {e}"
    except (exc.Base, AssertionError):
        return None  # e.g. an InvalidConfig once the mutant needs other block sizes
    except Exception as e:  # noqa: BLE001 - what the test looks for
        # The host code runs as plain Python: its own errors are the user's.
        host = any(frame.filename == path for frame in traceback.extract_tb(e.__traceback__))
        return None if host else f"{type(e).__name__}: {e}"
    return None


def test_mutated_examples_fail_cleanly(tmp_path):
    n = int(os.environ.get("HELION_FRONTEND_FUZZ_N", "150"))
    rng = random.Random(int(os.environ.get("HELION_FRONTEND_FUZZ_SEED", "0")))
    examples = list(registry.EXAMPLES.values())
    failures = []
    for i in range(n):
        path = str(tmp_path / f"mutant_{i}.py")
        problem = _run_mutant(rng.choice(examples), path, rng)
        if problem:
            failures.append(f"{path}: {problem.splitlines()[0]}")
    assert not failures, "\n".join(failures)
