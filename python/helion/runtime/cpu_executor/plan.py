"""The plan compiler: a tt.func becomes a list of steps over a flat environment.

Every SSA value gets a slot in a flat list (the environment; slot 0 holds the
LaunchState) and every op becomes a small closure reading and writing slots.
Ops register themselves in two tables (the ops_* modules):

- `@fn_op(name)`: elementwise-style ops; the factory gets an OpView and
  returns fn(*operand values) -> result value(s).
- `@step_op(name)`: ops that build their own step(env) (regions, control
  flow, the program id).

Pure ops whose operands do not depend on the program id or on memory
(constants, make_range, splats of arguments, ...) are hoisted into a prologue
that runs once per launch instead of once per program.
"""
from __future__ import annotations

from typing import Any, Callable

from helion.exc import CpuExecutionError

from .locations import describe
from .types import TypeInfo, type_info


class BlockPlan:
    __slots__ = ("args", "steps", "term")

    def __init__(self, args, steps, term):
        self.args = args
        self.steps = steps
        self.term = term  # slots the block's terminator yields


def run_steps(steps, env):
    step = None
    try:
        for step in steps:
            step(env)
    except CpuExecutionError:
        raise
    except Exception as e:  # a torch error inside an op: name the op and the program
        desc = getattr(step, "desc", "?")
        raise CpuExecutionError(f"{env[0].where()}: {desc} failed: {type(e).__name__}: {e}") from e


def run_block(plan, env, args):
    for s, v in zip(plan.args, args):
        env[s] = v
    run_steps(plan.steps, env)
    return [env[s] for s in plan.term]


def _mk_step(fn, ins, outs, desc):
    """A closure computing fn(*env[ins]) into env[outs] (specialized by arity for speed)."""
    if len(outs) == 1:
        (r,) = outs
        if len(ins) == 0:
            def step(env):
                env[r] = fn()
        elif len(ins) == 1:
            (a,) = ins

            def step(env):
                env[r] = fn(env[a])
        elif len(ins) == 2:
            a, b = ins

            def step(env):
                env[r] = fn(env[a], env[b])
        elif len(ins) == 3:
            a, b, c = ins

            def step(env):
                env[r] = fn(env[a], env[b], env[c])
        else:
            def step(env):
                env[r] = fn(*[env[i] for i in ins])
    elif len(outs) == 0:
        def step(env):
            fn(*[env[i] for i in ins])
    else:
        def step(env):
            for o, v in zip(outs, fn(*[env[i] for i in ins])):
                env[o] = v
    step.desc = desc
    return step


class OpView:
    """Compile-time view of one operation, handed to the op factories."""

    def __init__(self, comp, op, name):
        self.comp = comp
        self.op = op
        self.name = name
        self.attrs = op.attributes
        # The user's file:line when the TTIR carries it, else the TTIR line.
        self.desc = f"'{name}' at {describe(op)}"
        operands = op.operands
        results = op.results
        self.ins = [comp.slot(v) for v in operands]
        self.outs = [comp.slot(v) for v in results]
        self.in_types = [type_info(v.type) for v in operands]
        self.out_types = [type_info(v.type) for v in results]
        self.result_used = any(v in comp.used for v in results)

    @property
    def out(self) -> TypeInfo:
        return self.out_types[0]

    def region(self, i):
        regions = self.op.regions
        if i >= len(regions) or not regions[i].blocks:
            return None
        blocks = regions[i].blocks
        if len(blocks) != 1:
            raise CpuExecutionError(f"{self.desc}: regions with several blocks are not supported")
        return self.comp.compile_block(blocks[0])

    def error(self, msg):
        return CpuExecutionError(f"kernel '{self.comp.kernel}': {self.desc}: {msg}")


# Elementwise-style ops: factory(OpView) -> fn(*operand values) -> result value(s).
FN: dict[str, Callable[[OpView], Callable]] = {}
# Ops that build their own step (regions, control flow, state access).
STEP: dict[str, Callable[[OpView], Callable]] = {}
# Ops that may be hoisted when their operands are launch-invariant.
PURE: set[str] = set()
TERMINATORS = {"tt.return", "scf.yield", "scf.condition", "tt.reduce.return", "tt.scan.return"}


def fn_op(*names, pure=True):
    def deco(f):
        for n in names:
            FN[n] = f
            if pure:
                PURE.add(n)
        return f
    return deco


def step_op(*names):
    def deco(f):
        for n in names:
            STEP[n] = f
        return f
    return deco


class Function:
    __slots__ = ("name", "nslots", "body", "prologue", "arg_types", "arg_slots")


class FunctionCompiler:
    def __init__(self, kernel, func_op, module_funcs, hoist, callee_cache):
        self.kernel = kernel
        self.module_funcs = module_funcs
        self.callee_cache = callee_cache
        self.hoist = hoist
        self.slots: dict[Any, int] = {}
        self.n = 1  # slot 0 holds the launch state
        self.invariant = {0}
        self.prologue: list = []
        self.used: set = set()
        self._collect_uses(func_op)
        blocks = func_op.regions[0].blocks
        if len(blocks) != 1:
            raise CpuExecutionError(f"kernel '{kernel}': functions with several blocks are not supported")
        entry = blocks[0]
        fn = Function()
        fn.name = func_op.attributes["sym_name"]
        fn.arg_slots = [self.slot(a) for a in entry.arguments]
        fn.arg_types = [type_info(a.type) for a in entry.arguments]
        if hoist:
            self.invariant.update(fn.arg_slots)
        fn.body = self.compile_block(entry)
        fn.prologue = self.prologue
        fn.nslots = self.n
        self.fn = fn

    def _collect_uses(self, op):
        for region in op.regions:
            for block in region.blocks:
                for inner in block.operations:
                    self.used.update(inner.operands)
                    self._collect_uses(inner)

    def slot(self, v):
        s = self.slots.get(v)
        if s is None:
            s = self.slots[v] = self.n
            self.n += 1
        return s

    def compile_block(self, block) -> BlockPlan:
        args = [self.slot(a) for a in block.arguments]
        steps = []
        term = []
        for op in block.operations:
            name = op.name
            if name in TERMINATORS:
                term = [self.slot(v) for v in op.operands]
                continue
            if name not in FN and name not in STEP:
                raise CpuExecutionError(
                    f"kernel '{self.kernel}': unsupported op '{name}' at {describe(op)} (the CPU executor "
                    f"does not know how to run it)")
            o = OpView(self, op, name)
            if name in FN:
                fn = FN[name](o)
                step = _mk_step(fn, o.ins, o.outs, o.desc)
            else:
                step = STEP[name](o)
                step.desc = o.desc
            if self.hoist and name in PURE and all(i in self.invariant for i in o.ins):
                # Depends only on constants and arguments: compute once per launch.
                self.invariant.update(o.outs)
                self.prologue.append(step)
            else:
                steps.append(step)
        return BlockPlan(args, steps, term)

    def compile_callee(self, name):
        fn = self.callee_cache.get(name)
        if fn is None:
            fn = FunctionCompiler(self.kernel, self.module_funcs[name], self.module_funcs, False,
                                  self.callee_cache).fn
            self.callee_cache[name] = fn
        return fn
