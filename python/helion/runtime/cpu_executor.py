"""Execute Triton TTIR on the CPU with torch tensors.

    run_ttir(ttir, grid, args, kernel_name=None)

runs every program of `grid` (z outermost, x innermost) one after the other;
each program executes the function body vectorized: every TTIR value is a
torch tensor (scalars are 0-d tensors, so integer ops wrap exactly like the
GPU's), pointers are `_Ptr(buffer, element offsets)`.

The module is "compiled" once into a plan: every SSA value gets a slot in a
flat list (the environment) and every op becomes a small closure reading and
writing slots. Pure ops whose operands do not depend on the program id or on
memory (constants, make_range, splats of arguments, ...) are hoisted into a
prologue that runs once per launch instead of once per program.

Memory: a pointer argument is the whole storage of its tensor reinterpreted
as the pointee type, so any access inside the storage is legal (as on the GPU)
and anything outside raises `helion.exc.CpuExecutionError` naming the kernel,
the program id, the op and its location, the element index and the valid
range. Masked-off lanes never touch memory.
"""
from __future__ import annotations

import ast
import re
from collections import OrderedDict
from typing import Any, Callable, Sequence

import torch

from helion.exc import CpuExecutionError

__all__ = ["run_ttir", "compile_ttir_for_cpu", "CpuKernel"]

# ---------------------------------------------------------------------------
# Types
# ---------------------------------------------------------------------------

_DTYPES = {
    "i1": torch.bool,
    "i8": torch.int8,
    "i16": torch.int16,
    "i32": torch.int32,
    "i64": torch.int64,
    "index": torch.int64,
    "f16": torch.float16,
    "bf16": torch.bfloat16,
    "f32": torch.float32,
    "f64": torch.float64,
    "f8E4M3FN": torch.float8_e4m3fn,
    "f8E5M2": torch.float8_e5m2,
    "f8E4M3FNUZ": torch.float8_e4m3fnuz,
    "f8E5M2FNUZ": torch.float8_e5m2fnuz,
}
_FP8 = {torch.float8_e4m3fn, torch.float8_e5m2, torch.float8_e4m3fnuz, torch.float8_e5m2fnuz}
# Largest finite values: the GPU converts to fp8 with .satfinite (saturating).
_FP8_MAX = {torch.float8_e4m3fn: 448.0, torch.float8_e5m2: 57344.0,
            torch.float8_e4m3fnuz: 240.0, torch.float8_e5m2fnuz: 57344.0}
_INT_OF_WIDTH = {8: torch.int8, 16: torch.int16, 32: torch.int32, 64: torch.int64}
_MIN64 = -(1 << 63)


class _TypeInfo:
    """What the executor needs to know about an MLIR type."""

    __slots__ = ("text", "shape", "kind", "dtype", "width", "block")

    def __init__(self, text, shape, kind, dtype, width, block=None):
        self.text = text
        self.shape = shape  # tuple for tensors, None for scalars
        self.kind = kind  # "int" | "float" | "ptr" | "blockptr" | "desc"
        self.dtype = dtype  # element dtype; for pointers the pointee dtype
        self.width = width  # element bit width (ints/floats)
        self.block = block  # block shape of a block pointer / tensor descriptor

    @property
    def is_int(self):
        return self.kind == "int"

    @property
    def is_float(self):
        return self.kind == "float"


_TENSOR_RE = re.compile(r"tensor<((?:\d+x)*)(.+?)(?:,\s*#.*)?>$")
_TYPE_CACHE: dict[str, _TypeInfo] = {}


def _split_top(s: str) -> str:
    """Drops a trailing `, <address space>` at nesting depth 0 of a ptr<...> body."""
    depth = 0
    for i, ch in enumerate(s):
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        elif ch == "," and depth == 0:
            return s[:i].strip()
    return s.strip()


def _scalar_info(text: str, shape) -> _TypeInfo:
    if text in _DTYPES:
        dt = _DTYPES[text]
        kind = "float" if dt.is_floating_point else "int"
        width = 1 if dt == torch.bool else (64 if text == "index" else torch.empty(0, dtype=dt).element_size() * 8)
        return _TypeInfo(text, shape, kind, dt, width)
    for prefix, kind in (("!tt.ptr<", "ptr"), ("!tt.tensordesc<", "desc")):
        if text.startswith(prefix) and text.endswith(">"):
            inner = _split_top(text[len(prefix):-1])
            m = _TENSOR_RE.match(inner)
            if m:  # pointer to a block (make_tensor_ptr) or a tensor descriptor
                block = tuple(int(d) for d in m.group(1).split("x") if d)
                elt = _scalar_info(m.group(2).strip(), None)
                return _TypeInfo(text, shape, "blockptr" if kind == "ptr" else "desc", elt.dtype, elt.width, block)
            if kind == "ptr":
                elt = _scalar_info(inner, None)
                if elt.kind not in ("int", "float"):
                    break
                return _TypeInfo(text, shape, "ptr", elt.dtype, elt.width)
    raise CpuExecutionError(f"the CPU executor does not support the type '{text}'")


def _type_info(t) -> _TypeInfo:
    text = str(t)
    info = _TYPE_CACHE.get(text)
    if info is None:
        if text.startswith("tensor<"):
            m = _TENSOR_RE.match(text)
            if not m:
                raise CpuExecutionError(f"the CPU executor does not support the type '{text}'")
            shape = tuple(int(d) for d in m.group(1).split("x") if d)
            info = _scalar_info(m.group(2).strip(), shape)
            info.text = text
        else:
            info = _scalar_info(text, None)
        _TYPE_CACHE[text] = info
    return info


# ---------------------------------------------------------------------------
# Memory
# ---------------------------------------------------------------------------


class _Buffer:
    """The storage of one pointer argument, viewed as a flat tensor of the pointee type."""

    __slots__ = ("flat", "n", "base", "arg", "views")

    def __init__(self, flat, base, arg):
        self.flat = flat
        self.n = flat.numel()
        self.base = base  # element index of the argument tensor's first element
        self.arg = arg  # argument position, for error messages
        self.views = {}

    def view_as(self, dtype):
        """The same storage as another pointee type (tt.bitcast of a pointer)."""
        if dtype == self.flat.dtype:
            return self
        v = self.views.get(dtype)
        if v is None:
            flat = torch.empty(0, dtype=dtype).set_(self.flat.untyped_storage())
            old, new = self.flat.element_size(), flat.element_size()
            v = _Buffer(flat, self.base * old // new, self.arg)
            self.views[dtype] = v
        return v


class _Ptr:
    """A pointer or tensor of pointers: a buffer plus int64 absolute element offsets."""

    __slots__ = ("buf", "off")

    def __init__(self, buf, off):
        self.buf = buf
        self.off = off

    def __repr__(self):
        return f"_Ptr(arg{self.buf.arg}, {self.off - self.buf.base})"


class _BlockPtr:
    """tt.make_tensor_ptr: a block of a strided tensor (everything in Python ints)."""

    __slots__ = ("buf", "base", "shape", "strides", "offsets", "block")

    def __init__(self, buf, base, shape, strides, offsets, block):
        self.buf, self.base, self.shape, self.strides, self.offsets, self.block = (
            buf, base, shape, strides, offsets, block)


class _State:
    """Per-launch state, stored in env[0] so that ops can name the program in errors."""

    __slots__ = ("kernel", "pid", "pid_t", "grid", "grid_t")

    def __init__(self, kernel, grid):
        self.kernel = kernel
        self.grid = grid
        self.grid_t = tuple(torch.tensor(g, dtype=torch.int32) for g in grid)
        self.pid = None
        self.pid_t = None

    def where(self):
        pid = "the prologue (before any program)" if self.pid is None else f"program id {self.pid}"
        return f"kernel '{self.kernel}', {pid}"


def _flat_index(shape, i):
    idx = []
    for d in reversed(shape):
        idx.append(i % d)
        i //= d
    return tuple(reversed(idx))


def _check_bounds(st, desc, buf, off, mask):
    """Raises unless every active lane of `off` is inside the storage.

    Returns the offsets with masked-off lanes replaced by a safe index (0), or
    None when the storage is empty (every lane must then be masked off).
    """
    n = buf.n
    safe = off if mask is None else torch.where(mask, off, 0)
    if safe.numel():
        lo, hi = torch.aminmax(safe)
        if int(lo) >= 0 and int(hi) < n:
            return safe
    else:
        return safe
    bad = (off < 0) | (off >= n)
    if mask is not None:
        bad = bad & mask
    if not bool(bad.any()):
        return None if n == 0 else safe
    flat_bad = torch.broadcast_to(bad, off.shape).reshape(-1)
    lane = int(flat_bad.nonzero()[0, 0])
    idx = int(off.reshape(-1)[lane]) - buf.base
    nbad = int(flat_bad.sum())
    lane_s = f" at lane {_flat_index(tuple(off.shape), lane)}" if off.dim() else ""
    raise CpuExecutionError(
        f"{st.where()}: out-of-bounds access by {desc}: element index {idx} of pointer argument "
        f"#{buf.arg}{lane_s} is outside the valid range [{-buf.base}, {n - buf.base}) "
        f"({nbad} lane(s) out of bounds)")


def _gather(st, desc, ptr, mask, other):
    buf = ptr.buf
    safe = _check_bounds(st, desc, buf, ptr.off, mask)
    if safe is None:  # empty storage, everything masked
        vals = torch.zeros(ptr.off.shape, dtype=buf.flat.dtype)
    else:
        # Advanced indexing copies, so values never alias memory; a 0-d index
        # would return a view instead, hence the clone.
        vals = buf.flat[safe] if safe.dim() else buf.flat[safe].clone()
    if mask is not None:
        vals = torch.where(mask, vals, 0 if other is None else other)  # masked-off lanes: other or 0
    return vals


def _scatter(st, desc, ptr, val, mask):
    buf = ptr.buf
    off = ptr.off
    if _check_bounds(st, desc, buf, off, mask) is None:
        return
    val = torch.broadcast_to(val, off.shape)
    if mask is None:
        buf.flat[off] = val
    else:
        mask = torch.broadcast_to(mask, off.shape)
        buf.flat[off[mask]] = val[mask]


# ---------------------------------------------------------------------------
# Integer / float helpers with exact GPU-like semantics
# ---------------------------------------------------------------------------


def _zext(x, w):
    """The unsigned value of a w-bit (w < 64) integer tensor, as int64."""
    if x.dtype == torch.bool:
        return x.to(torch.int64)
    return x.to(torch.int64) & ((1 << w) - 1)


def _u64_list(x):
    return [v & 0xFFFFFFFFFFFFFFFF for v in x.reshape(-1).tolist()]


def _u64_apply(a, b, f):
    """Unsigned 64-bit binary op in Python ints (torch has no uint64 division)."""
    a, b = torch.broadcast_tensors(a, b)
    out = [f(x, y) & 0xFFFFFFFFFFFFFFFF for x, y in zip(_u64_list(a), _u64_list(b))]
    out = [v - (1 << 64) if v >= (1 << 63) else v for v in out]
    return torch.tensor(out, dtype=torch.int64).reshape(a.shape)


def _divsi(a, b):
    # Truncating division. Division by zero is undefined on the GPU: we return
    # -1 there instead of letting torch raise. INT_MIN / -1 traps (SIGFPE) on
    # x86, so b == -1 is done as a (wrapping) negation.
    zero = b == 0
    neg1 = b == -1
    q = torch.div(a, torch.where(zero | neg1, 1, b), rounding_mode="trunc")
    return torch.where(zero, -1, torch.where(neg1, -a, q))


def _remsi(a, b):
    # Sign of the dividend (C semantics) = torch.fmod; x % -1 == 0 == fmod(x, 1).
    zero = b == 0
    r = torch.fmod(a, torch.where(zero | (b == -1), 1, b))
    return torch.where(zero, a, r)


def _floordivsi(a, b):
    q = _divsi(a, b)
    r = a - q * b
    return q - ((r != 0) & ((r < 0) != (b < 0))).to(q.dtype)


def _ceildivsi(a, b):
    q = _divsi(a, b)
    r = a - q * b
    return q + ((r != 0) & ((r < 0) == (b < 0))).to(q.dtype)


def _make_divui(dt, w):
    if w == 64:
        return lambda a, b: _u64_apply(a, b, lambda x, y: x // y if y else -1)

    def divui(a, b):
        au, bu = _zext(a, w), _zext(b, w)
        q = au // torch.where(bu == 0, 1, bu)
        return torch.where(bu == 0, -1, q).to(dt)

    return divui


def _make_remui(dt, w):
    if w == 64:
        return lambda a, b: _u64_apply(a, b, lambda x, y: x % y if y else x)

    def remui(a, b):
        au, bu = _zext(a, w), _zext(b, w)
        r = au % torch.where(bu == 0, 1, bu)
        return torch.where(bu == 0, au, r).to(dt)

    return remui


def _make_ceildivui(dt, w):
    if w == 64:
        return lambda a, b: _u64_apply(a, b, lambda x, y: -(-x // y) if y else -1)

    def ceildivui(a, b):
        au, bu = _zext(a, w), _zext(b, w)
        sb = torch.where(bu == 0, 1, bu)
        q = (au + sb - 1) // sb
        return torch.where(bu == 0, -1, q).to(dt)

    return ceildivui


def _make_shrui(dt, w):
    if w == 64:
        def shrui64(a, b):
            b = b.clamp(0, 64)
            keep = torch.bitwise_left_shift(torch.ones_like(b), 64 - b) - 1  # b == 0 -> all ones
            return torch.bitwise_right_shift(a, b) & keep
        return shrui64
    return lambda a, b: torch.bitwise_right_shift(_zext(a, w), b.to(torch.int64).clamp(0, 63)).to(dt)


def _ukey(x, w):
    """A signed tensor that orders like the unsigned interpretation of x."""
    if x.dtype == torch.bool:
        return x
    if w == 64:
        return x ^ _MIN64
    return _zext(x, w)


def _skey(x):
    """i1 is signed too: true == -1."""
    if x.dtype == torch.bool:
        return -x.to(torch.int8)
    return x


_CMPI = {0: torch.eq, 1: torch.ne, 2: torch.lt, 3: torch.le, 4: torch.gt, 5: torch.ge,
         6: torch.lt, 7: torch.le, 8: torch.gt, 9: torch.ge}


def _make_cmpi(pred, w):
    f = _CMPI[pred]
    if pred <= 1:
        return f
    if pred <= 5:
        return lambda a, b: f(_skey(a), _skey(b))
    return lambda a, b: f(_ukey(a, w), _ukey(b, w))


def _make_cmpf(pred):
    isnan = torch.isnan

    def unordered(a, b):
        return isnan(a) | isnan(b)

    def ordered(a, b):
        return ~unordered(a, b)

    table = {
        0: lambda a, b: torch.zeros(torch.broadcast_shapes(a.shape, b.shape), dtype=torch.bool),
        1: torch.eq, 2: torch.gt, 3: torch.ge, 4: torch.lt, 5: torch.le,
        6: lambda a, b: torch.ne(a, b) & ordered(a, b),
        7: ordered,
        8: lambda a, b: torch.eq(a, b) | unordered(a, b),
        9: lambda a, b: torch.gt(a, b) | unordered(a, b),
        10: lambda a, b: torch.ge(a, b) | unordered(a, b),
        11: lambda a, b: torch.lt(a, b) | unordered(a, b),
        12: lambda a, b: torch.le(a, b) | unordered(a, b),
        13: torch.ne,  # une: true for NaN, like torch.ne
        14: unordered,
        15: lambda a, b: torch.ones(torch.broadcast_shapes(a.shape, b.shape), dtype=torch.bool),
    }
    return table[pred]


def _round_tf32(x):
    """fp32 -> tf32 (10 mantissa bits), round to nearest even, kept in fp32."""
    i = x.contiguous().view(torch.int32)
    r = ((i + (0xFFF + ((i >> 13) & 1))) & -8192).view(torch.float32)
    return torch.where(torch.isfinite(x), r, x)  # NaN payloads must not round into inf


def _round_toward_zero(x, dtype):
    """Float conversion with RTZ: convert (RNE), then step back toward zero where it rounded away."""
    r = x.to(dtype)
    away = r.to(x.dtype).abs() > x.abs()
    if not bool(away.any()):
        return r
    ity = _INT_OF_WIDTH[r.element_size() * 8]
    # Sign-magnitude: decrementing the integer image shrinks the magnitude by one ulp.
    stepped = (r.view(ity) - 1).view(dtype)
    return torch.where(away & ~torch.isnan(x), stepped, r)


def _fp_saturate(x, dtype):
    m = _FP8_MAX.get(dtype)
    return x if m is None else x.clamp(-m, m)  # clamp keeps NaN


def _float_to_int(x, dt, w, signed):
    """fptosi/fptoui as PTX cvt.rzi: truncate, saturate, NaN -> 0."""
    x = x.to(torch.float64)
    x = torch.where(torch.isnan(x), 0.0, torch.trunc(x))
    if signed:
        lo, hi = -(2.0 ** (w - 1)), 2.0 ** (w - 1)
    else:
        lo, hi = 0.0, 2.0 ** w
    if w < 64:
        return x.clamp(lo, hi - 1).to(torch.int64).to(dt)
    big = x >= hi
    if signed:
        return torch.where(big, (1 << 63) - 1, x.clamp(min=lo, max=2.0 ** 63 - 1024).to(torch.int64))
    # unsigned 64: values >= 2^63 wrap into the negative int64 range
    x = x.clamp(0.0, 2.0 ** 64 - 2048)
    return torch.where(x >= 2.0 ** 63, (x - 2.0 ** 64).to(torch.int64), x.clamp(max=2.0 ** 63 - 1024).to(torch.int64))


def _lowp(fn, out_dtype):
    """Runs fn on fp8 inputs upcast to fp32 and rounds the result once (torch has no fp8 math)."""
    def wrapped(*xs):
        r = fn(*[x.float() if x.dtype in _FP8 else x for x in xs])
        return r.to(out_dtype) if r.dtype != torch.bool else r
    return wrapped


# ---------------------------------------------------------------------------
# Plan: compiled blocks and steps
# ---------------------------------------------------------------------------


class _BlockPlan:
    __slots__ = ("args", "steps", "term", "term_name")

    def __init__(self, args, steps, term, term_name):
        self.args = args
        self.steps = steps
        self.term = term
        self.term_name = term_name


def _run_steps(steps, env):
    step = None
    try:
        for step in steps:
            step(env)
    except CpuExecutionError:
        raise
    except Exception as e:  # a torch error inside an op: name the op and the program
        desc = getattr(step, "desc", "?")
        raise CpuExecutionError(f"{env[0].where()}: {desc} failed: {type(e).__name__}: {e}") from e


def _run_block(plan, env, args):
    for s, v in zip(plan.args, args):
        env[s] = v
    _run_steps(plan.steps, env)
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


class _Op:
    """Compile-time view of one operation, handed to the op factories."""

    def __init__(self, comp, op, name):
        self.comp = comp
        self.op = op
        self.name = name
        self.attrs = op.attributes
        self.loc = op.location
        self.desc = f"'{name}' at {self.loc}"
        operands = op.operands
        results = op.results
        self.ins = [comp.slot(v) for v in operands]
        self.outs = [comp.slot(v) for v in results]
        self.in_types = [_type_info(v.type) for v in operands]
        self.out_types = [_type_info(v.type) for v in results]
        self.result_used = any(v in comp.used for v in results)

    @property
    def out(self):
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


# Elementwise-style ops: factory(op) -> fn(*operand values) -> result value(s).
_FN: dict[str, Callable[[_Op], Callable]] = {}
# Ops that build their own step (regions, control flow, state access).
_STEP: dict[str, Callable[[_Op], Callable]] = {}
# Ops that may be hoisted when their operands are launch-invariant.
_PURE: set[str] = set()


def _fn(*names, pure=True):
    def deco(f):
        for n in names:
            _FN[n] = f
            if pure:
                _PURE.add(n)
        return f
    return deco


def _stepop(*names):
    def deco(f):
        for n in names:
            _STEP[n] = f
        return f
    return deco


_TERMINATORS = {"tt.return", "scf.yield", "scf.condition", "tt.reduce.return", "tt.scan.return"}

# ---------------------------------------------------------------------------
# arith
# ---------------------------------------------------------------------------


def _parse_dense(text: str, info: _TypeInfo):
    """A non-splat dense constant from its MLIR text: dense<[...]> or dense<"0x...">."""
    m = re.match(r"dense<(.*)>\s*:", text, re.S)
    if not m:
        raise CpuExecutionError(f"cannot parse constant {text}")
    body = m.group(1).strip()
    if body.startswith('"0x'):
        raw = bytes.fromhex(body[3:-1])
        t = torch.frombuffer(bytearray(raw), dtype=info.dtype if info.dtype != torch.bool else torch.uint8)
        return t.to(info.dtype).reshape(info.shape) if info.dtype == torch.bool else t.reshape(info.shape).clone()
    body = body.replace("true", "True").replace("false", "False")
    vals = ast.literal_eval(body)
    return torch.tensor(vals, dtype=info.dtype).reshape(info.shape)


@_fn("arith.constant")
def _f_constant(o):
    info = o.out
    v = o.attrs.get("value")
    if isinstance(v, (bool, int, float)):
        scalar = torch.tensor(v, dtype=info.dtype)
        # A splat is a broadcast view: no memory, and values are never mutated in place.
        t = scalar if info.shape is None else scalar.expand(info.shape)
    else:
        t = _parse_dense(str(v), info)
    return lambda: t


@_fn("ub.poison")
def _f_poison(o):
    info = o.out
    t = torch.zeros(info.shape or (), dtype=info.dtype)
    return lambda: t


def _float_binop(torch_fn):
    def factory(o):
        dt = o.out.dtype
        return _lowp(torch_fn, dt) if dt in _FP8 else torch_fn
    return factory


for _n, _f in {"arith.addf": torch.add, "arith.subf": torch.sub, "arith.mulf": torch.mul,
               "arith.divf": torch.div, "arith.remf": torch.fmod, "arith.maxnumf": torch.fmax,
               "arith.minnumf": torch.fmin, "arith.maximumf": torch.maximum,
               "arith.minimumf": torch.minimum, "arith.negf": torch.neg,
               "tt.precise_divf": torch.div, "tt.precise_sqrt": torch.sqrt}.items():
    _fn(_n)(_float_binop(_f))


@_fn("arith.addi", "arith.subi", "arith.muli", "arith.andi", "arith.ori", "arith.xori",
     "arith.maxsi", "arith.minsi", "arith.maxui", "arith.minui", "arith.shli", "arith.shrsi",
     "arith.shrui", "arith.divsi", "arith.remsi", "arith.divui", "arith.remui",
     "arith.floordivsi", "arith.ceildivsi", "arith.ceildivui")
def _f_int_binop(o):
    info = o.out
    dt, w, op = info.dtype, info.width, o.name[6:]
    if dt == torch.bool:
        # i1 arithmetic is arithmetic mod 2; signed i1 is {0, -1}.
        table = {"addi": torch.bitwise_xor, "subi": torch.bitwise_xor, "muli": torch.bitwise_and,
                 "andi": torch.bitwise_and, "ori": torch.bitwise_or, "xori": torch.bitwise_xor,
                 "maxsi": torch.bitwise_and, "minsi": torch.bitwise_or,
                 "maxui": torch.bitwise_or, "minui": torch.bitwise_and}
        if op not in table:
            raise o.error("not supported on i1")
        return table[op]
    table = {
        "addi": torch.add, "subi": torch.sub, "muli": torch.mul,
        "andi": torch.bitwise_and, "ori": torch.bitwise_or, "xori": torch.bitwise_xor,
        "maxsi": torch.maximum, "minsi": torch.minimum,
        "shli": torch.bitwise_left_shift, "shrsi": torch.bitwise_right_shift,
        "divsi": _divsi, "remsi": _remsi, "floordivsi": _floordivsi, "ceildivsi": _ceildivsi,
    }
    if op in table:
        return table[op]
    if op == "maxui":
        return lambda a, b: torch.where(_ukey(a, w) >= _ukey(b, w), a, b)
    if op == "minui":
        return lambda a, b: torch.where(_ukey(a, w) <= _ukey(b, w), a, b)
    return {"shrui": _make_shrui, "divui": _make_divui, "remui": _make_remui,
            "ceildivui": _make_ceildivui}[op](dt, w)


@_fn("arith.cmpi")
def _f_cmpi(o):
    return _make_cmpi(o.attrs["predicate"], o.in_types[0].width)


@_fn("arith.cmpf")
def _f_cmpf(o):
    f = _make_cmpf(o.attrs["predicate"])
    return _lowp(f, torch.bool) if o.in_types[0].dtype in _FP8 else f


@_fn("arith.select")
def _f_select(o):
    if o.out.kind == "ptr":
        def select_ptr(c, a, b):
            if c.dim() == 0:
                return a if bool(c) else b
            if a.buf is not b.buf:
                raise CpuExecutionError("select between pointers into different arguments is not supported")
            return _Ptr(a.buf, torch.where(c, a.off, b.off))
        return select_ptr
    return torch.where


@_fn("arith.extf", "arith.truncf")
def _f_float_cast(o):
    dt = o.out.dtype
    return lambda x: x.to(dt)


@_fn("arith.extsi", "arith.index_cast")
def _f_extsi(o):
    dt = o.out.dtype
    if o.in_types[0].dtype == torch.bool:
        return lambda x: -(x.to(dt))
    if dt == torch.bool:  # index_cast to i1 truncates
        return lambda x: (x & 1) != 0
    return lambda x: x.to(dt)


@_fn("arith.extui", "arith.index_castui")
def _f_extui(o):
    dt, src = o.out.dtype, o.in_types[0]
    if src.dtype == torch.bool:
        return lambda x: x.to(dt)
    if dt == torch.bool:
        return lambda x: (x & 1) != 0
    if src.width >= o.out.width:  # index_castui to a narrower type truncates
        return lambda x: x.to(dt)
    mask = (1 << src.width) - 1
    return lambda x: x.to(dt) & mask


@_fn("arith.trunci")
def _f_trunci(o):
    dt = o.out.dtype
    if dt == torch.bool:
        return lambda x: (x & 1) != 0
    return lambda x: x.to(dt)  # torch integer narrowing wraps (keeps the low bits)


@_fn("arith.sitofp")
def _f_sitofp(o):
    dt = o.out.dtype
    if o.in_types[0].dtype == torch.bool:
        return lambda x: torch.where(x, -1.0, 0.0).to(dt)
    return lambda x: x.to(dt)


@_fn("arith.uitofp")
def _f_uitofp(o):
    dt, w = o.out.dtype, o.in_types[0].width
    if w == 1:
        return lambda x: x.to(dt)
    if w == 64:
        return lambda x: (x.to(torch.float64) + torch.where(x < 0, 2.0 ** 64, 0.0)).to(dt)
    return lambda x: _zext(x, w).to(dt)


@_fn("arith.fptosi", "arith.fptoui")
def _f_fptoi(o):
    info = o.out
    signed = o.name == "arith.fptosi"
    if info.dtype == torch.bool:
        return lambda x: x != 0
    return lambda x: _float_to_int(x, info.dtype, info.width, signed)


def _bitcast_fn(o):
    src, dst = o.in_types[0], o.out
    if dst.kind == "ptr":
        dt = dst.dtype

        def bitcast_ptr(p):
            old = p.buf.flat.element_size()
            nb = p.buf.view_as(dt)
            new = nb.flat.element_size()
            if old == new:
                return _Ptr(nb, p.off)
            byte = p.off * old
            if bool((byte % new != 0).any()):
                raise CpuExecutionError("pointer bitcast to a misaligned element type")
            return _Ptr(nb, byte // new)
        return bitcast_ptr
    if src.dtype == dst.dtype:
        return lambda x: x
    dt = dst.dtype
    if src.dtype == torch.bool or dt == torch.bool:
        return lambda x: x.to(dt)
    return lambda x: x.contiguous().view(dt)


_fn("arith.bitcast", "tt.bitcast")(_bitcast_fn)


# ---------------------------------------------------------------------------
# math
# ---------------------------------------------------------------------------


def _round_half_away(x):
    return torch.where(x < 0, -torch.floor(-x + 0.5), torch.floor(x + 0.5))


def _bit_loop(kind):
    def factory(o):
        info = o.out
        w, dt = info.width, info.dtype

        def f(x):
            u = x if w == 64 else _zext(x, w)
            bits = [torch.bitwise_right_shift(u, i) & 1 for i in range(w)]
            if kind == "ctpop":
                r = sum(bits)
            elif kind == "ctlz":  # leading zeros = w - (index of highest set bit + 1)
                r = torch.full_like(u, w)
                for i in range(w):
                    r = torch.where(bits[i] != 0, w - 1 - i, r)
            else:  # cttz
                r = torch.full_like(u, w)
                for i in reversed(range(w)):
                    r = torch.where(bits[i] != 0, i, r)
            return r.to(dt)
        return f
    return factory


_MATH = {
    "exp": torch.exp, "exp2": torch.exp2, "log": torch.log, "log2": torch.log2, "log10": torch.log10,
    "log1p": torch.log1p, "expm1": torch.expm1, "sqrt": torch.sqrt, "rsqrt": torch.rsqrt,
    "sin": torch.sin, "cos": torch.cos, "tan": torch.tan, "tanh": torch.tanh, "sinh": torch.sinh,
    "cosh": torch.cosh, "asin": torch.asin, "acos": torch.acos, "atan": torch.atan,
    "asinh": torch.asinh, "acosh": torch.acosh, "atanh": torch.atanh, "erf": torch.erf,
    "erfc": torch.erfc, "floor": torch.floor, "ceil": torch.ceil, "trunc": torch.trunc,
    "roundeven": torch.round, "round": _round_half_away, "absf": torch.abs,
    "cbrt": lambda x: torch.sign(x) * torch.abs(x).pow(1.0 / 3.0),
    "powf": torch.pow, "atan2": torch.atan2, "copysign": torch.copysign,
}
for _n, _f in _MATH.items():
    _fn("math." + _n)(_float_binop(_f))
_fn("math.absi")(lambda o: torch.abs)
_fn("math.isnan")(lambda o: _lowp(torch.isnan, torch.bool) if o.in_types[0].dtype in _FP8 else torch.isnan)
_fn("math.isinf")(lambda o: _lowp(torch.isinf, torch.bool) if o.in_types[0].dtype in _FP8 else torch.isinf)
_fn("math.isfinite")(lambda o: _lowp(torch.isfinite, torch.bool) if o.in_types[0].dtype in _FP8 else torch.isfinite)
for _n in ("ctpop", "ctlz", "cttz"):
    _fn("math." + _n)(_bit_loop(_n))


@_fn("math.fma")
def _f_fma(o):
    dt = o.out.dtype
    if dt == torch.float64:
        return lambda a, b, c: a * b + c
    # In f64 the product of two f32/f16/bf16 values is exact: one rounding, like a fused op.
    return lambda a, b, c: (a.double() * b.double() + c.double()).to(dt)


@_fn("tt.clampf")
def _f_clampf(o):
    if o.attrs.get("propagateNan", 0):
        f = lambda x, lo, hi: torch.minimum(torch.maximum(x, lo), hi)
    else:
        f = lambda x, lo, hi: torch.fmin(torch.fmax(x, lo), hi)
    return _lowp(f, o.out.dtype) if o.out.dtype in _FP8 else f


@_fn("tt.mulhiui")
def _f_mulhiui(o):
    w, dt = o.out.width, o.out.dtype
    if w == 64:
        return lambda a, b: _u64_apply(a, b, lambda x, y: (x * y) >> 64)
    return lambda a, b: torch.bitwise_right_shift(_zext(a, w) * _zext(b, w), w).to(dt)


@_fn("tt.fp_to_fp")
def _f_fp_to_fp(o):
    src, dst = o.in_types[0].dtype, o.out.dtype
    down = torch.finfo(dst).bits < torch.finfo(src).bits or (
        torch.finfo(dst).bits == torch.finfo(src).bits and src != dst)
    if not down:
        return lambda x: x.to(dst)
    rtz = o.attrs.get("rounding", 1) == 0
    wide = torch.float64 if src == torch.float64 else torch.float32

    def f(x):
        x = _fp_saturate(x.to(wide), dst)
        return _round_toward_zero(x, dst) if rtz else x.to(dst)
    return f


# ---------------------------------------------------------------------------
# tt: shapes, program ids, pointers, memory
# ---------------------------------------------------------------------------


def _shape_fn(f):
    """Applies a shape op to values and to the offsets of tensors of pointers."""
    def factory(o):
        g = f(o)
        if o.in_types and o.in_types[0].kind == "ptr":
            return lambda p, *rest: _Ptr(p.buf, g(p.off, *rest))
        return g
    return factory


_fn("tt.splat")(_shape_fn(lambda o: (lambda x, s=o.out.shape: x.expand(s))))
_fn("tt.broadcast")(_shape_fn(lambda o: (lambda x, s=o.out.shape: x.expand(s))))
_fn("tt.reshape")(_shape_fn(lambda o: (lambda x, s=o.out.shape: x.reshape(s))))
_fn("tt.expand_dims")(_shape_fn(lambda o: (lambda x, a=o.attrs["axis"]: x.unsqueeze(a))))
_fn("tt.trans")(_shape_fn(lambda o: (lambda x, p=tuple(o.attrs["order"]): x.permute(p))))
_fn("tt.unsplat")(_shape_fn(lambda o: (lambda x: x.reshape(()))))


@_fn("tt.join")
def _f_join(o):
    if o.in_types[0].kind == "ptr":
        return lambda a, b: _Ptr(a.buf, torch.stack([a.off, b.off], -1))
    return lambda a, b: torch.stack([a, b], -1)


@_fn("tt.split")
def _f_split(o):
    if o.in_types[0].kind == "ptr":
        return lambda p: tuple(_Ptr(p.buf, x) for x in p.off.unbind(-1))
    return lambda x: x.unbind(-1)


@_fn("tt.cat")
def _f_cat(o):
    if o.in_types[0].kind == "ptr":
        return lambda a, b: _Ptr(a.buf, torch.cat([a.off, b.off], 0))
    return lambda a, b: torch.cat([a, b], 0)


@_fn("tt.gather")
def _f_gather(o):
    axis = o.attrs["axis"]
    return lambda src, idx: torch.gather(src, axis, idx.to(torch.int64))


@_fn("tt.histogram")
def _f_histogram(o):
    nbins, dt = o.out.shape[0], o.out.dtype

    def hist(x, mask=None):
        v = x.reshape(-1)
        if mask is not None:
            v = v[torch.broadcast_to(mask, x.shape).reshape(-1)]
        v = v[(v >= 0) & (v < nbins)]
        return torch.bincount(v.to(torch.int64), minlength=nbins).to(dt)
    return hist


@_fn("tt.make_range")
def _f_make_range(o):
    t = torch.arange(o.attrs["start"], o.attrs["end"], dtype=o.out.dtype)
    return lambda: t


@_stepop("tt.get_program_id")
def _s_program_id(o):
    axis, (r,) = o.attrs["axis"], o.outs

    def step(env):
        env[r] = env[0].pid_t[axis]
    return step


@_fn("tt.get_num_programs")
def _f_num_programs(o):
    axis = o.attrs["axis"]
    o.ins.insert(0, 0)  # reads the launch state in env[0]
    return lambda st: st.grid_t[axis]


@_fn("tt.addptr")
def _f_addptr(o):
    # Offsets sign-extend to i64: int64 + int32 promotes to int64 (both operands
    # have the same shape, so torch's 0-d promotion rule never applies).
    return lambda p, d: _Ptr(p.buf, p.off + d)


@_fn("tt.make_tensor_ptr")
def _f_make_tensor_ptr(o):
    n = (len(o.ins) - 1) // 3
    block = o.out.block

    def make(base, *rest):
        ints = [int(v) for v in rest]
        return _BlockPtr(base.buf, int(base.off), ints[:n], ints[n:2 * n], ints[2 * n:], block)
    return make


@_fn("tt.advance")
def _f_advance(o):
    def advance(p, *deltas):
        return _BlockPtr(p.buf, p.base, p.shape, p.strides,
                         [a + int(d) for a, d in zip(p.offsets, deltas)], p.block)
    return advance


@_fn("tt.make_tensor_descriptor")
def _f_make_desc(o):
    n = (len(o.ins) - 1) // 2
    block = o.out.block
    pad_nan = o.attrs.get("padding", 1) == 2  # TMA fills out-of-bounds elements with 0 (or NaN)

    def make(base, *rest):
        ints = [int(v) for v in rest]
        return (_BlockPtr(base.buf, int(base.off), ints[:n], ints[n:], [0] * n, block), pad_nan)
    return make


def _block_addresses(bp, offsets, check_dims):
    """Offsets and in-bounds mask of every element of a block of a strided tensor."""
    rank = len(bp.block)
    off = torch.tensor(bp.base, dtype=torch.int64)
    mask = None
    for d in range(rank):
        idx = torch.arange(bp.block[d], dtype=torch.int64) + offsets[d]
        shape = [1] * rank
        shape[d] = bp.block[d]
        idx = idx.reshape(shape)
        off = off + idx * bp.strides[d]
        if d in check_dims:
            m = (idx >= 0) & (idx < bp.shape[d])
            mask = m if mask is None else mask & m
    off = off.expand(bp.block)
    if mask is not None:
        mask = mask.expand(bp.block)
    return off, mask


def _load_fn(o):
    seg = o.attrs.get("operandSegmentSizes", [1, len(o.ins) - 1, 0])
    has_mask, has_other = seg[1] > 0, seg[2] > 0
    desc = o.desc
    ptr_kind = o.in_types[0].kind
    o.ins.insert(0, 0)
    if ptr_kind == "blockptr":
        checks = set(o.attrs.get("boundaryCheck", []))
        pad = float("nan") if o.attrs.get("padding", 1) == 2 else 0

        def load_block(st, bp):
            off, mask = _block_addresses(bp, bp.offsets, checks)
            other = None if mask is None else torch.tensor(pad, dtype=bp.buf.flat.dtype)
            return _gather(st, desc, _Ptr(bp.buf, off), mask, other)
        return load_block
    if has_mask and has_other:
        return lambda st, p, m, other: _gather(st, desc, p, m, other)
    if has_mask:
        return lambda st, p, m: _gather(st, desc, p, m, None)
    return lambda st, p: _gather(st, desc, p, None, None)


_fn("tt.load", pure=False)(_load_fn)


@_fn("tt.store", pure=False)
def _f_store(o):
    desc = o.desc
    ptr_kind = o.in_types[0].kind
    o.ins.insert(0, 0)
    if ptr_kind == "blockptr":
        checks = set(o.attrs.get("boundaryCheck", []))

        def store_block(st, bp, val):
            off, mask = _block_addresses(bp, bp.offsets, checks)
            _scatter(st, desc, _Ptr(bp.buf, off), val, mask)
        return store_block
    return lambda st, p, v, m=None: _scatter(st, desc, p, v, m)


@_fn("tt.descriptor_load", pure=False)
def _f_descriptor_load(o):
    desc, shape = o.desc, o.out.shape
    o.ins.insert(0, 0)

    def load(st, d, *idx):
        bp, pad_nan = d
        # TMA semantics: every out-of-bounds element (any dimension) reads the padding.
        off, mask = _block_addresses(bp, [int(i) for i in idx], set(range(len(bp.block))))
        other = torch.tensor(float("nan") if pad_nan else 0, dtype=bp.buf.flat.dtype)
        return _gather(st, desc, _Ptr(bp.buf, off), mask, other).reshape(shape)
    return load


@_fn("tt.descriptor_store", pure=False)
def _f_descriptor_store(o):
    desc = o.desc
    o.ins.insert(0, 0)

    def store(st, d, src, *idx):
        bp, _ = d
        off, mask = _block_addresses(bp, [int(i) for i in idx], set(range(len(bp.block))))
        _scatter(st, desc, _Ptr(bp.buf, off), src.reshape(bp.block), mask)  # out-of-bounds elements are dropped
    return store


# RMWOp numbering from Triton's TritonAttrDefs.td (checked against triton 3.6's
# ir.ATOMIC_OP): AND=1 OR=2 XOR=3 ADD=4 FADD=5 MAX=6 MIN=7 UMAX=8 UMIN=9 XCHG=10.
def _rmw_combine(kind, info):
    w = info.width
    if kind in (6, 7) and info.is_float:
        return {6: torch.maximum, 7: torch.minimum}[kind]
    if info.dtype == torch.bool:
        add = torch.bitwise_xor
    else:
        add = torch.add
    table = {
        1: torch.bitwise_and, 2: torch.bitwise_or, 3: torch.bitwise_xor, 4: add, 5: torch.add,
        6: torch.maximum, 7: torch.minimum,
        8: lambda a, b: torch.where(_ukey(a, w) >= _ukey(b, w), a, b),
        9: lambda a, b: torch.where(_ukey(a, w) <= _ukey(b, w), a, b),
        10: lambda a, b: b,
    }
    return table[kind]


def _atomic(st, desc, ptr, operands, mask, combine, want_old, add_like):
    """Read-modify-write of every active lane, in lane order (sequential semantics)."""
    buf, off = ptr.buf, ptr.off
    shape = off.shape
    _check_bounds(st, desc, buf, off, mask)
    flat = buf.flat
    o = off.reshape(-1)
    vs = [torch.broadcast_to(v, shape).reshape(-1) for v in operands]
    sel = None
    if mask is not None:
        sel = torch.broadcast_to(mask, shape).reshape(-1)
        o = o[sel]
        vs = [v[sel] for v in vs]
    n = o.numel()
    if n == 0:
        old = torch.empty(0, dtype=flat.dtype)
    elif n == 1 or torch.unique(o).numel() == n:  # distinct addresses: one vectorized update
        old = flat[o]
        flat[o] = combine(old, *vs)
    elif add_like and not want_old:
        flat.index_add_(0, o, vs[0])
        old = None
    else:
        # Duplicates: lanes sharing an address are applied in lane order, in
        # "rounds" where round k updates the k-th occurrence of every address.
        so, perm = torch.sort(o, stable=True)
        pos = torch.arange(n)
        start = torch.ones(n, dtype=torch.bool)
        start[1:] = so[1:] != so[:-1]
        first = torch.cummax(torch.where(start, pos, 0), 0).values
        rank = torch.empty(n, dtype=torch.int64)
        rank[perm] = pos - first
        old = torch.empty(n, dtype=flat.dtype)
        for k in range(int(rank.max()) + 1):
            lanes = rank == k
            ok = o[lanes]
            cur = flat[ok]
            flat[ok] = combine(cur, *[v[lanes] for v in vs])
            old[lanes] = cur
    if not want_old:
        return None
    if sel is None:
        return old.reshape(shape)
    res = torch.zeros(sel.numel(), dtype=flat.dtype)  # masked-off lanes return 0
    res[sel] = old
    return res.reshape(shape)


@_fn("tt.atomic_rmw", pure=False)
def _f_atomic_rmw(o):
    kind = o.attrs["atomic_rmw_op"]
    info = o.out
    combine = _rmw_combine(kind, info)
    if info.dtype in _FP8:
        raise o.error("fp8 atomics are not supported")
    desc, want, add_like = o.desc, o.result_used, kind in (4, 5) and info.dtype != torch.bool
    o.ins.insert(0, 0)
    return lambda st, p, v, m=None: _atomic(st, desc, p, [v], m, combine, want, add_like)


@_fn("tt.atomic_cas", pure=False)
def _f_atomic_cas(o):
    info = o.out
    desc, want = o.desc, o.result_used
    if info.is_float:  # the hardware compares bit patterns
        ity = _INT_OF_WIDTH[info.width]

        def combine(cur, cmp, val):
            return torch.where(cur.view(ity) == cmp.view(ity), val, cur)
    else:
        def combine(cur, cmp, val):
            return torch.where(cur == cmp, val, cur)
    o.ins.insert(0, 0)
    return lambda st, p, cmp, val: _atomic(st, desc, p, [cmp, val], None, combine, want, False)


@_fn("tt.assert", pure=False)
def _f_assert(o):
    msg = o.attrs.get("message", "")
    desc = o.desc
    o.ins.insert(0, 0)

    def check(st, cond):
        if not bool(cond.all()):
            raise CpuExecutionError(f"{st.where()}: device assertion failed at {desc}: {msg}")
    return check


@_fn("tt.print", pure=False)
def _f_print(o):
    prefix = o.attrs.get("prefix", "")
    o.ins.insert(0, 0)

    def pr(st, *args):
        vals = [a.off if isinstance(a, _Ptr) else a for a in args]
        print(f"pid {st.pid}{prefix}", *[v.tolist() for v in vals])
    return pr


# ---------------------------------------------------------------------------
# tt.dot
# ---------------------------------------------------------------------------


@_fn("tt.dot")
def _f_dot(o):
    a_t, b_t = o.in_types[0], o.in_types[1]
    acc = o.out.dtype
    prec = o.attrs.get("inputPrecision", 2)  # TF32=0 TF32x3=1 IEEE=2 BF16x3=3 BF16x6=4
    batched = len(o.out.shape) == 3
    mm = torch.baddbmm if batched else torch.addmm
    if a_t.is_int:
        def dot_int(a, b, c):  # exact in int64, wraps like the GPU's i32 accumulator
            return (torch.matmul(a.to(torch.int64), b.to(torch.int64)) + c.to(torch.int64)).to(acc)
        return dot_int
    if a_t.dtype == torch.float64:
        return lambda a, b, c: mm(c.double(), a, b).to(acc)
    if a_t.dtype == torch.float32 and b_t.dtype == torch.float32 and prec == 0:
        pre = _round_tf32  # tensor cores read tf32: round the inputs, multiply/accumulate in fp32
    else:
        # IEEE / TF32x3 / BF16x3 / BF16x6 (~fp32 accurate); fp16/bf16/fp8 products are exact in fp32.
        pre = None

    def dot(a, b, c):
        a = a.float()
        b = b.float()
        if pre is not None:
            a, b = pre(a), pre(b)
        return mm(c.float(), a, b).to(acc)
    return dot


# ---------------------------------------------------------------------------
# Regions: scf.for / scf.if / scf.while / tt.reduce / tt.scan / tt.call
# ---------------------------------------------------------------------------


@_stepop("scf.for")
def _s_for(o):
    lb, ub, stp = o.ins[:3]
    inits = o.ins[3:]
    body = o.region(0)
    iv, iter_slots = body.args[0], body.args[1:]
    ivdt = o.in_types[0].dtype
    steps, term, outs = body.steps, body.term, o.outs

    def step(env):
        lo, hi, s = int(env[lb]), int(env[ub]), int(env[stp])
        if s <= 0:
            raise CpuExecutionError(f"{env[0].where()}: {o.desc}: step {s} is not positive")
        vals = [env[i] for i in inits]
        for i in range(lo, hi, s):
            env[iv] = torch.tensor(i, dtype=ivdt)
            for slot, v in zip(iter_slots, vals):
                env[slot] = v
            _run_steps(steps, env)
            vals = [env[t] for t in term]
        for slot, v in zip(outs, vals):
            env[slot] = v
    return step


@_stepop("scf.if")
def _s_if(o):
    (cond,) = o.ins
    then_p, else_p = o.region(0), o.region(1)
    outs = o.outs

    def step(env):
        plan = then_p if bool(env[cond]) else else_p
        if plan is None:
            return
        vals = _run_block(plan, env, ())
        for slot, v in zip(outs, vals):
            env[slot] = v
    return step


@_stepop("scf.while")
def _s_while(o):
    before, after = o.region(0), o.region(1)
    inits, outs = o.ins, o.outs

    def step(env):
        vals = [env[i] for i in inits]
        while True:
            cond, *fwd = _run_block(before, env, vals)
            if not bool(cond):
                break
            vals = _run_block(after, env, fwd)
        for slot, v in zip(outs, fwd):
            env[slot] = v
    return step


def _region_combiner(plan):
    """combine(env, lhs_values, rhs_values) -> values, running a reduce/scan region on tensors."""
    def combine(env, lhs, rhs):
        res = _run_block(plan, env, list(lhs) + list(rhs))
        shape = lhs[0].shape
        return [r if r.shape == shape else torch.broadcast_to(r, shape) for r in res]
    return combine


def _nan_ignoring(reduce_fn, fill):
    def f(x, dim):
        nan = torch.isnan(x)
        r = reduce_fn(torch.where(nan, fill, x), dim)
        return torch.where(nan.all(dim), float("nan"), r)
    return f


def _reduce_fast_path(o, block):
    """A torch reduction equivalent to a single-op combine region, or None."""
    ops = block.operations
    args = block.arguments
    if len(args) != 2 or len(ops) != 2 or ops[1].name != "tt.reduce.return":
        return None
    op, ret = ops
    if len(op.operands) != 2 or set(op.operands) != set(args) or list(ret.operands) != [op.result(0)]:
        return None
    dt = o.in_types[0].dtype
    full_float = dt in (torch.float32, torch.float64)
    is_int = o.in_types[0].is_int and dt != torch.bool
    name = op.name
    if name == "arith.addf" and full_float:  # f32 sums stay in f32 (torch's CPU sum accumulates in f32)
        return lambda x, d: torch.sum(x, d)
    if name == "arith.mulf" and full_float:
        return lambda x, d: torch.prod(x, d)
    if name in ("arith.addi", "arith.muli") and is_int:
        f = torch.sum if name == "arith.addi" else torch.prod
        return lambda x, d: f(x, d, dtype=dt)  # wraps like the GPU
    if name in ("arith.maximumf", "arith.maxsi") and (full_float or is_int or dt in (torch.float16, torch.bfloat16)):
        return lambda x, d: torch.amax(x, d)  # amax propagates NaN, like maximumf
    if name in ("arith.minimumf", "arith.minsi") and (full_float or is_int or dt in (torch.float16, torch.bfloat16)):
        return lambda x, d: torch.amin(x, d)
    if name == "arith.maxnumf" and (full_float or dt in (torch.float16, torch.bfloat16)):
        return _nan_ignoring(torch.amax, float("-inf"))
    if name == "arith.minnumf" and (full_float or dt in (torch.float16, torch.bfloat16)):
        return _nan_ignoring(torch.amin, float("inf"))
    if dt == torch.bool and name == "arith.andi":
        return lambda x, d: torch.all(x, d)
    if dt == torch.bool and name == "arith.ori":
        return lambda x, d: torch.any(x, d)
    return None


@_stepop("tt.reduce")
def _s_reduce(o):
    axis = o.attrs["axis"]
    ins, outs = o.ins, o.outs
    block = o.op.regions[0].blocks[0]
    fast = _reduce_fast_path(o, block) if len(ins) == 1 else None
    if fast is not None:
        (a,), (r,) = ins, outs

        def step_fast(env):
            env[r] = fast(env[a], axis)
        return step_fast
    combine = _region_combiner(o.region(0))

    def step(env):
        # Order-preserving pairwise tree along the axis: neighbours (2i, 2i+1) are
        # combined with the lower index on the left, so an associative (not
        # necessarily commutative) combine, e.g. argmax with tie-breaks, is exact.
        vals = [env[i].movedim(axis, -1) for i in ins]
        n = vals[0].shape[-1]
        while n > 1:
            h = n // 2
            lhs = [v[..., 0:2 * h:2] for v in vals]
            rhs = [v[..., 1:2 * h:2] for v in vals]
            res = combine(env, lhs, rhs)
            if n % 2:
                res = [torch.cat([r, v[..., 2 * h:]], -1) for r, v in zip(res, vals)]
            vals = res
            n = h + n % 2
        for slot, v in zip(outs, vals):
            env[slot] = v[..., 0]
    return step


@_stepop("tt.scan")
def _s_scan(o):
    axis, reverse = o.attrs["axis"], bool(o.attrs.get("reverse", False))
    ins, outs = o.ins, o.outs
    block = o.op.regions[0].blocks[0]
    ops = block.operations
    dt = o.in_types[0].dtype
    if (len(ins) == 1 and len(ops) == 2 and ops[0].name == "arith.addi" and o.in_types[0].is_int
            and dt != torch.bool and set(ops[0].operands) == set(block.arguments)):
        (a,), (r,) = ins, outs

        def step_cumsum(env):  # integer sums are exact in any order
            x = env[a]
            if reverse:
                x = x.flip(axis)
            y = torch.cumsum(x, axis, dtype=dt)
            env[r] = y.flip(axis) if reverse else y
        return step_cumsum
    combine = _region_combiner(o.region(0))

    def step(env):
        # Hillis-Steele inclusive scan: log2(n) vectorized applications of the region.
        vals = [env[i].movedim(axis, -1) for i in ins]
        if reverse:
            vals = [v.flip(-1) for v in vals]
        n = vals[0].shape[-1]
        d = 1
        while d < n:
            lhs = [v[..., :n - d] for v in vals]
            rhs = [v[..., d:] for v in vals]
            res = combine(env, lhs, rhs)
            vals = [torch.cat([v[..., :d], r], -1) for v, r in zip(vals, res)]
            d *= 2
        if reverse:
            vals = [v.flip(-1) for v in vals]
        for slot, v in zip(outs, vals):
            env[slot] = v.movedim(-1, axis)
    return step


@_stepop("tt.call")
def _s_call(o):
    callee = str(o.attrs["callee"]).lstrip("@")
    comp = o.comp
    ins, outs = o.ins, o.outs
    target = comp.module_funcs.get(callee)
    if target is None:
        raise o.error(f"calls unknown function @{callee}")
    holder = {}

    def step(env):
        fn = holder.get("fn")
        if fn is None:
            fn = holder["fn"] = comp.compile_callee(callee)
        sub = [None] * fn.nslots
        sub[0] = env[0]
        vals = _run_block(fn.body, sub, [env[i] for i in ins])
        for slot, v in zip(outs, vals):
            env[slot] = v
    return step


# ---------------------------------------------------------------------------
# The compiler
# ---------------------------------------------------------------------------


class _Function:
    __slots__ = ("name", "nslots", "body", "prologue", "arg_types", "arg_slots")


class _FunctionCompiler:
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
        fn = _Function()
        fn.name = func_op.attributes["sym_name"]
        fn.arg_slots = [self.slot(a) for a in entry.arguments]
        fn.arg_types = [_type_info(a.type) for a in entry.arguments]
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

    def compile_block(self, block) -> _BlockPlan:
        args = [self.slot(a) for a in block.arguments]
        steps = []
        term, term_name = [], None
        for op in block.operations:
            name = op.name
            if name in _TERMINATORS:
                term = [self.slot(v) for v in op.operands]
                term_name = name
                continue
            if name not in _FN and name not in _STEP:
                raise CpuExecutionError(
                    f"kernel '{self.kernel}': unsupported op '{name}' at {op.location} (the CPU executor "
                    f"does not know how to run it)")
            o = _Op(self, op, name)
            if name in _FN:
                fn = _FN[name](o)
                step = _mk_step(fn, o.ins, o.outs, o.desc)
            else:
                step = _STEP[name](o)
                step.desc = o.desc
            if self.hoist and name in _PURE and all(i in self.invariant for i in o.ins):
                # Depends only on constants and arguments: compute once per launch.
                self.invariant.update(o.outs)
                self.prologue.append(step)
            else:
                steps.append(step)
        return _BlockPlan(args, steps, term, term_name)

    def compile_callee(self, name):
        fn = self.callee_cache.get(name)
        if fn is None:
            fn = _FunctionCompiler(self.kernel, self.module_funcs[name], self.module_funcs, False,
                                   self.callee_cache).fn
            self.callee_cache[name] = fn
        return fn


def _bind_arg(i, info, a, kernel):
    """A launch argument as an executor value."""
    if info.kind == "ptr":
        if not isinstance(a, torch.Tensor):
            raise CpuExecutionError(
                f"kernel '{kernel}': argument #{i} ({info.text}) needs a tensor, got {type(a).__name__}")
        if a.device.type != "cpu":
            raise CpuExecutionError(
                f"kernel '{kernel}': argument #{i} is on {a.device}, the CPU executor needs CPU tensors")
        esize = torch.empty(0, dtype=info.dtype).element_size()
        byte_off = a.storage_offset() * a.element_size()
        if byte_off % esize:
            raise CpuExecutionError(f"kernel '{kernel}': argument #{i} is not aligned to its pointee type {info.dtype}")
        flat = torch.empty(0, dtype=info.dtype).set_(a.untyped_storage())
        buf = _Buffer(flat, byte_off // esize, i)
        return _Ptr(buf, torch.tensor(buf.base, dtype=torch.int64))
    if info.kind not in ("int", "float") or info.shape is not None:
        raise CpuExecutionError(f"kernel '{kernel}': cannot pass an argument of type {info.text}")
    if isinstance(a, torch.Tensor):
        if a.numel() != 1:
            raise CpuExecutionError(f"kernel '{kernel}': argument #{i} ({info.text}) must be a scalar")
        a = a.item()
    if info.is_int:
        if info.dtype == torch.bool:
            return torch.tensor(bool(a))
        if not isinstance(a, (int, bool)):
            raise CpuExecutionError(f"kernel '{kernel}': argument #{i} ({info.text}) must be an int, got {a!r}")
        a = int(a)
        w = info.width
        if not -(1 << (w - 1)) <= a < (1 << w):
            raise CpuExecutionError(f"kernel '{kernel}': argument #{i} = {a} does not fit in {info.text}")
        if a >= (1 << (w - 1)):
            a -= 1 << w  # unsigned values: same bits
        return torch.tensor(a, dtype=info.dtype)
    return torch.tensor(float(a), dtype=info.dtype)


class CpuKernel:
    """A TTIR kernel compiled for the CPU executor; call it with (grid, args)."""

    def __init__(self, ttir, kernel_name: str | None = None):
        mod = _parse(ttir)
        funcs = {}
        public = []
        for op in mod.body.operations:
            if op.name == "tt.func":
                attrs = op.attributes
                name = attrs["sym_name"]
                funcs[name] = op
                if attrs.get("sym_visibility", "public") != "private":
                    public.append(name)
        if kernel_name is None:
            cands = public if len(public) == 1 else list(funcs)
            if len(cands) != 1:
                raise CpuExecutionError(f"the module has functions {sorted(funcs)}: pass kernel_name")
            kernel_name = cands[0]
        if kernel_name not in funcs:
            raise CpuExecutionError(f"no tt.func named '{kernel_name}' (the module has {sorted(funcs)})")
        self.name = kernel_name
        self._module = mod  # keep the IR alive while compiling callees lazily
        self._fn = _FunctionCompiler(kernel_name, funcs[kernel_name], funcs, True, {}).fn

    def __call__(self, grid: Sequence[int], args: Sequence, *, num_threads: int | None = 1) -> None:
        # Tiles are far below torch's intra-op parallel grain, so extra threads
        # only add synchronization; on a busy machine they cost 10-20x (measured
        # on the matmul benchmark). Run single-threaded unless asked otherwise.
        prev = torch.get_num_threads()
        if num_threads and num_threads != prev:
            torch.set_num_threads(num_threads)
        try:
            self._launch(grid, args)
        finally:
            if num_threads and num_threads != prev:
                torch.set_num_threads(prev)

    def _launch(self, grid, args):
        fn = self._fn
        grid = tuple(int(g) for g in grid) + (1,) * (3 - len(grid))
        if len(grid) != 3 or min(grid) < 0:
            raise CpuExecutionError(f"kernel '{self.name}': bad grid {grid}")
        if len(args) != len(fn.arg_types):
            raise CpuExecutionError(
                f"kernel '{self.name}' takes {len(fn.arg_types)} arguments "
                f"({', '.join(t.text for t in fn.arg_types)}), got {len(args)}")
        st = _State(self.name, grid)
        env0 = [None] * fn.nslots
        env0[0] = st
        for i, (slot, info, a) in enumerate(zip(fn.arg_slots, fn.arg_types, args)):
            env0[slot] = _bind_arg(i, info, a, self.name)
        _run_steps(fn.prologue, env0)
        steps = fn.body.steps
        gx, gy, gz = grid
        xs = [torch.tensor(i, dtype=torch.int32) for i in range(gx)]
        for z in range(gz):
            tz = torch.tensor(z, dtype=torch.int32)
            for y in range(gy):
                ty = torch.tensor(y, dtype=torch.int32)
                for x in range(gx):
                    st.pid = (x, y, z)
                    st.pid_t = (xs[x], ty, tz)
                    _run_steps(steps, env0.copy())


_CTX = None
_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 64


def _parse(ttir):
    if not isinstance(ttir, str):
        return ttir  # already a helion._mlir Module
    global _CTX
    from helion import _mlir as ir

    if _CTX is None:
        _CTX = ir.Context()
    try:
        return _CTX.parse_module(ttir)
    except ir.MLIRError as e:
        raise CpuExecutionError(f"cannot parse the TTIR: {e}") from e


def compile_ttir_for_cpu(ttir, kernel_name: str | None = None) -> CpuKernel:
    """Compiles (and caches, for TTIR text) the CPU plan of a kernel."""
    if not isinstance(ttir, str):
        return CpuKernel(ttir, kernel_name)
    key = (ttir, kernel_name)
    k = _CACHE.get(key)
    if k is None:
        k = CpuKernel(ttir, kernel_name)
        _CACHE[key] = k
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(key)
    return k


def run_ttir(ttir, grid: tuple[int, int, int], args: list, *, kernel_name: str | None = None,
             num_threads: int | None = 1) -> None:
    """Runs a TTIR kernel (text or helion._mlir Module) on CPU tensors, every program of `grid`.

    `args` follow the tt.func signature: torch CPU tensors for `!tt.ptr<T>`
    parameters (the tensor's storage reinterpreted as T), Python numbers for
    scalars. Raises helion.exc.CpuExecutionError on out-of-bounds accesses and
    unsupported ops. `num_threads` is torch's thread count during the launch
    (restored afterwards); None leaves it alone.
    """
    compile_ttir_for_cpu(ttir, kernel_name)(grid, args, num_threads=num_threads)
