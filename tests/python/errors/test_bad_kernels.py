"""Bad kernels a new user writes. Each must raise a helion.exc error of the
right class whose message says what is wrong, at the user's file:line (the
line marked `# BAD` in the case's source), never an internal error.

Each case is a function that defines its kernel and calls it; `bad(...)`
registers it with the expected class and message fragment. The file is long
by design: one short, independent case per bad kernel, about a hundred."""
import inspect
import math

import pytest
import torch

import helion
import helion.language as hl
from helion import exc

CASES = []


def bad(err, match, marked_in=None):
    """Register a case; the `# BAD` line is in the case itself or in `marked_in`
    (a helper the error is raised in)."""
    def register(fn):
        CASES.append(pytest.param(fn, err, match, marked_in or fn, id=fn.__name__))
        return fn
    return register


def kernel(fn):
    # Every case fails while tracing, before the Config is read.
    return helion.kernel(fn, config=helion.Config(block_sizes=[16]))


def elementwise(f, x):
    """Run `out[t] = f(x, t)` over x: the case's bad expression is the lambda f,
    traced inline where the kernel calls it."""
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = f(x, t)
        return out
    return k(x)


def _bad_line(fn) -> int:
    lines, start = inspect.getsourcelines(fn)
    marked = [start + i for i, line in enumerate(lines) if "# BAD" in line]
    assert len(marked) == 1, f"{fn.__name__} must mark exactly one line with # BAD"
    return marked[0]


X = torch.randn(64)
X2 = torch.randn(32, 16)
XI = torch.arange(64, dtype=torch.int32)


# -- Python constructs device code does not have ------------------------------------------------
@bad(exc.NotSupported, "while-else in device code")
def while_else():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            v = x[t].sum()
            while v > 0:  # BAD
                v = v - 1
            else:
                out[t] = x[t]
        return out
    k(X)


@bad(exc.NotSupported, "statement `Try`")
def try_block():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            try:  # BAD
                out[t] = x[t]
            except Exception:
                pass
        return out
    k(X)


@bad(exc.NotSupported, "statement `With`")
def with_block():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            with torch.no_grad():  # BAD
                out[t] = x[t]
        return out
    k(X)


@bad(exc.NotSupported, "lambdas in device code take plain positional parameters")
def lambda_with_default():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            f = lambda v, s=2: v * s  # BAD  # noqa: E731
            out[t] = f(x[t])
        return out
    k(X)


@bad(exc.NotSupported, "generator")
def yield_in_kernel():
    @kernel
    def k(x):  # BAD
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = x[t]
        yield out
    k(X)


@bad(exc.NotSupported, "statement `Global`")
def global_statement():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            global X  # BAD
            out[t] = x[t]
        return out
    k(X)


@bad(exc.NotSupported, "statement `Delete`")
def del_statement():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            v = x[t]
            del v  # BAD
            out[t] = x[t]
        return out
    k(X)


@bad(exc.NotSupported, "async def")
def async_kernel():
    @kernel
    async def k(x):  # BAD
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = x[t]
        return out
    k(X)


@bad(exc.NotSupported, "statement `Raise`")
def raise_statement():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            raise ValueError("no")  # BAD
        return out
    k(X)


@bad(exc.NotSupported, "statement `Assert`")
def assert_statement():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            assert x.size(0) > 1000  # BAD
            out[t] = x[t]
        return out
    k(X)


@bad(exc.NotSupported, "statement `Import`")
def import_statement():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            import os  # BAD  # noqa: F401
            out[t] = x[t]
        return out
    k(X)


@bad(exc.NotSupported, "statement `FunctionDef`")
def def_in_device_loop():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            def f(v):  # BAD
                return v
            out[t] = f(x[t])
        return out
    k(X)


@bad(exc.NotSupported, "`break` in device code; fold the exit into the `while` condition")
def break_statement():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = x[t]
            break  # BAD
        return out
    k(X)


@bad(exc.NotSupported, "`continue` in device code; put the rest of the body under an `if`")
def continue_statement():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = x[t]
            continue  # BAD
        return out
    k(X)


@bad(exc.NotSupported, "expression `ListComp`")
def list_comprehension():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            vals = [x[t] for _ in range(2)]  # BAD
            out[t] = vals[0]
        return out
    k(X)


@bad(exc.NotSupported, "expression `Dict`")
def dict_literal():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            d = {"a": x[t]}  # BAD
            out[t] = d["a"]
        return out
    k(X)


@bad(exc.NotSupported, "expression `JoinedStr`")
def f_string():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            name = f"{t}"  # BAD
            out[t] = x[t]
        return out
    k(X)


@bad(exc.NotSupported, "expression `NamedExpr`")
def walrus():
    elementwise(lambda x, t: (v := x[t]) * 2, X)  # BAD


@bad(exc.NotSupported, "for-else")
def for_else():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            for t2 in hl.tile(4):  # BAD
                out[t] = x[t]
            else:
                pass
        return out
    k(X)


@bad(exc.NotSupported, "`if` on a device value that is a torch.bool tensor .*use torch.where")
def if_on_device_tensor():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            if x[t] > 0:  # BAD
                out[t] = x[t]
        return out
    k(X)


@bad(exc.NotSupported, "`return` in the device loop")
def return_in_device_loop():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = x[t]
            return out  # BAD
        return out
    k(X)


@bad(exc.NotSupported, "range\\(\\) in device code needs constant int bounds")
def range_of_device_value():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            for i in range(t.begin):  # BAD
                out[t] = x[t]
        return out
    k(X)


@bad(exc.NotSupported, "too long to unroll")
def range_too_long():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            for i in range(100000):  # BAD
                out[t] = x[t]
        return out
    k(X)


@bad(exc.NotSupported, "only `for ... in hl.tile")
def for_over_a_list():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            for v in [x, x]:  # BAD
                out[t] = v[t]
        return out
    k(X)


@bad(exc.NotSupported, "augmented operator MatMult")
def matmul_augassign():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for tm in hl.tile(x.size(0)):
            acc = x[tm, :]
            acc @= x[tm, :]  # BAD
            out[tm, :] = acc
        return out
    k(torch.randn(16, 16))


@bad(exc.TypeError_, "cannot unpack")
def unpack_a_tensor():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            a, b = x[t]  # BAD
            out[t] = a
        return out
    k(X)


@bad(exc.NotSupported, "call to builtins.print")
def print_in_device_code():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            print(x[t])  # BAD
            out[t] = x[t]
        return out
    k(X)


# -- kernel structure and signature -------------------------------------------------------------
@bad(exc.NotSupported, "has no device loop")
def no_device_loop():
    @kernel  # BAD
    def k(x):
        return x * 2
    k(X)


@bad(exc.NotSupported, r"hl\.barrier\(\) inside the device loop of line")
def barrier_inside_device_loop():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = x[t]
            hl.barrier()  # BAD
        for t in hl.tile(x.size(0)):
            out[t] = out[t] * 2
        return out
    k(X)


@bad(exc.NotSupported, "a variable of the device loop of line")
def device_value_read_by_a_later_loop():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            v = x[t] * 2
            out[t] = v
        for t in hl.tile(x.size(0)):  # BAD
            out[t] = v
        return out
    k(X)


@bad(exc.NotSupported, "device loop is inside an `if`")
def device_loop_under_host_if():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        if x.size(0) > 0:
            for t in hl.tile(x.size(0)):  # BAD
                out[t] = x[t]
        return out
    k(X)


@bad(exc.NotSupported, "kernel parameter `\\*xs`")
def star_args_kernel():
    @kernel
    def k(*xs):  # BAD
        out = torch.empty_like(xs[0])
        for t in hl.tile(out.size(0)):
            out[t] = xs[0][t]
        return out
    k(X)


@bad(exc.NotSupported, "kernel parameter `\\*\\*kw`")
def kwargs_kernel():
    @kernel
    def k(x, **kw):  # BAD
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = x[t]
        return out
    k(X)


@bad(exc.NotSupported, "cannot compile a lambda")
def lambda_kernel():
    kernel(lambda x: x)  # BAD


@bad(exc.NotInsideKernel, "hl.tile\\(\\) can only be used inside a @helion.kernel")
def hl_tile_outside_kernel():
    for t in hl.tile(8):  # BAD
        pass


@bad(exc.NotInsideKernel, "hl.zeros\\(\\) can only be used inside a @helion.kernel")
def hl_zeros_outside_kernel():
    hl.zeros([4])  # BAD


@bad(exc.NotSupported, "hl.tile\\(\\)/hl.grid\\(\\) outside a for loop header")
def hl_tile_as_value():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            tiles = hl.tile(4)  # BAD
            out[t] = x[t]
        return out
    k(X)


@bad(exc.NotSupported, "assigning to host variable 'result'")
def reassign_host_tensor():
    @kernel
    def k(x):
        result = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            result = x[t] * 2  # BAD
        return result
    k(X)


@bad(exc.NotSupported, "updates host variable 'out'")
def augassign_host_tensor():
    @kernel
    def k(x):
        out = torch.zeros_like(x)
        for t in hl.tile(x.size(0)):
            out += x[t]  # BAD
        return out
    k(X)


@bad(exc.TypeError_, "hl.constexpr argument 's' must be a Python number")
def constexpr_of_a_string():
    @kernel
    def k(x, s: hl.constexpr):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):  # BAD
            out[t] = x[t] * s
        return out
    k(X, "two")


@bad(exc.NotSupported, "0-dim tensor argument")
def zero_dim_tensor_argument():
    @kernel
    def k(x, s):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):  # BAD
            out[t] = x[t] * s
        return out
    k(X, torch.tensor(2.0))


@bad(exc.NotSupported, "dtype torch.complex64 is not supported")
def complex_tensor_argument():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):  # BAD
            out[t] = x[t]
        return out
    k(torch.randn(8, dtype=torch.complex64))


# -- hl.tile / hl.grid arguments ----------------------------------------------------------------
@bad(exc.TypeError_, "begin 48 is past end 16")
def tile_begin_past_end():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(48, 16):  # BAD
            out[t] = x[t]
        return out
    k(X)


@bad(exc.TypeError_, "negative extent -5")
def tile_negative_extent():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(-5):  # BAD
            out[t] = x[t]
        return out
    k(X)


@bad(exc.TypeError_, "loop begin -4 is negative")
def tile_negative_begin():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(-4, 8):  # BAD
            out[t] = x[t]
        return out
    k(X)


@bad(exc.TypeError_, "loop bounds must be integers, got float")
def tile_float_extent():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(10.5):  # BAD
            out[t] = x[t]
        return out
    k(X)


@bad(exc.TypeError_, "loop bounds must be integers, got tensor 'x'")
def tile_over_a_tensor():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x):  # BAD
            out[t] = x[t]
        return out
    k(X)


@bad(exc.TypeError_, "block_size 48 must be a power of two")
def tile_block_size_not_power_of_two():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0), block_size=48):  # BAD
            out[t] = x[t]
        return out
    k(X)


@bad(exc.TypeError_, "block_size must be an int or hl.register_block_size\\(\\), got True")
def tile_block_size_true():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0), block_size=True):  # BAD
            out[t] = x[t]
        return out
    k(X)


@bad(exc.TypeError_, "block_size must give one size per dimension")
def tile_block_size_wrong_length():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0), block_size=[16, 16]):  # BAD
            out[t] = x[t]
        return out
    k(X)


@bad(exc.NotSupported, "got unexpected arguments \\['foo'\\]")
def tile_unknown_keyword():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0), foo=1):  # BAD
            out[t] = x[t]
        return out
    k(X)


@bad(exc.TypeError_, "takes \\(end\\) or \\(begin, end\\)")
def tile_three_arguments():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(0, 8, 16):  # BAD
            out[t] = x[t]
        return out
    k(X)


@bad(exc.TypeError_, "hl.grid\\(\\) has no block_size")
def grid_with_block_size():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for g in hl.grid(x.size(0), block_size=4):  # BAD
            out[g] = x[g]
        return out
    k(X)


@bad(exc.TypeError_, "the loop has 2 dimensions")
def tile_2d_into_three_names():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for a, b, c in hl.tile([x.size(0), x.size(1)]):  # BAD
            out[a, b] = x[a, b]
        return out
    k(X2)


@bad(exc.TypeError_, "begins and ends differ in length")
def tile_begins_ends_lengths():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for tm, tn in hl.tile([0], [x.size(0), x.size(1)]):  # BAD
            out[tm, tn] = x[tm, tn]
        return out
    k(X2)


@bad(exc.TypeError_, "a tile is not a loop bound")
def tile_as_a_bound():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            for t2 in hl.tile(t.begin, t):  # BAD
                out[t2] = x[t2]
        return out
    k(X)


@bad(exc.NotSupported, "tile 't2' of the loop at line")
def tile_used_after_its_loop():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for tm in hl.tile(x.size(0)):
            acc = hl.zeros([tm], dtype=torch.float32)
            for t2 in hl.tile(x.size(1)):
                acc = acc + x[tm, t2].sum(dim=1)
            out[tm, t2] = x[tm, t2]  # BAD
        return out
    k(X2)


@bad(exc.TypeError_, "loop-carried 'acc' changes")
def carried_value_changes_rank():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for tm in hl.tile(x.size(0)):
            acc = hl.zeros([tm], dtype=torch.float32)
            for tn in hl.tile(x.size(1)):  # BAD
                acc = x[tm, tn]
            out[tm, 0] = acc
        return out
    k(X2)


@bad(exc.NotSupported, "'v' is first assigned inside the loop at line .* assign it before the loop")
def loop_local_used_after_the_loop():
    @kernel
    def k(x):
        out = torch.zeros([x.size(0)], dtype=x.dtype)
        for tm in hl.tile(x.size(0)):
            for tk in hl.tile(x.size(1)):
                v = x[tm, tk].sum(dim=1)
            out[tm] = v  # BAD
        return out
    k(X2)


@bad(exc.NotSupported, "'acc' is reassigned in this loop to tuple, which cannot be carried")
def tuple_reassigned_in_a_loop():
    @kernel
    def k(x):
        out = torch.zeros([x.size(0)], dtype=x.dtype)
        for tm in hl.tile(x.size(0)):
            acc = (hl.zeros([tm]), hl.zeros([tm]))
            for tk in hl.tile(x.size(1)):  # BAD
                acc = (acc[0] + x[tm, tk].sum(dim=1), acc[1])
            out[tm] = acc[0]
        return out
    k(X2)


# -- indexing -----------------------------------------------------------------------------------
@bad(exc.TypeError_, "too many indices for tensor 'x' of rank 1")
def too_many_indices():
    elementwise(lambda x, t: x[t, t], X)  # BAD


@bad(exc.TypeError_, "cannot index tensor 'x' with float")
def float_index():
    elementwise(lambda x, t: x[t] + x[1.5], X)  # BAD


@bad(exc.TypeError_, "tensor index must be integer, got torch.float32")
def float_tensor_index():
    elementwise(lambda x, t: x[x[t]], X)  # BAD


@bad(exc.TypeError_, "index 5 out of range for dim 1 of size 4")
def int_index_out_of_range():
    @kernel
    def k(x):
        out = torch.empty([x.size(0)], dtype=x.dtype)
        for t in hl.tile(x.size(0)):
            out[t] = x[t, 5]  # BAD
        return out
    k(torch.randn(8, 4))


@bad(exc.NotSupported, "slices with a step")
def slice_with_step():
    @kernel
    def k(x):
        out = torch.empty([x.size(0)], dtype=x.dtype)
        for t in hl.tile(x.size(0)):
            out[t] = x[t, ::2].sum(dim=1)  # BAD
        return out
    k(X2)


@bad(exc.NotSupported, "slices with a step")
def slice_with_a_step():
    @kernel
    def k(x):
        out = torch.empty([x.size(0)], dtype=x.dtype)
        for t in hl.tile(x.size(0)):
            out[t] = x[t, 0:8:2].sum(dim=1)  # BAD
        return out
    k(X2)


@bad(exc.TypeError_, "None is not allowed when storing")
def none_in_store_index():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t, None] = x[t]  # BAD
        return out
    k(X)


@bad(exc.TypeError_, "single ellipsis")
def two_ellipses():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t, :] = x[..., t, ...]  # BAD
        return out
    k(X2)


@bad(exc.TypeError_, "only kernel tensor arguments are writable")
def store_into_device_tensor():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            v = x[t]
            v[0] = 1.0  # BAD
            out[t] = v
        return out
    k(X)


@bad(exc.NotSupported, "indexing a device tensor with a tile")
def index_device_tensor_with_tile():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            v = x[t]
            out[t] = v[t]  # BAD
        return out
    k(X)


@bad(exc.TypeError_, "cannot index int")
def index_an_int():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        n = x.size(0)
        for t in hl.tile(x.size(0)):
            out[t] = x[t] * n[0]  # BAD
        return out
    k(X)


@bad(exc.TypeError_, "cannot store a torch.float32 tensor of shape")
def store_of_higher_rank():
    @kernel
    def k(x):
        out = torch.empty([x.size(0)], dtype=x.dtype)
        for t in hl.tile(x.size(0)):
            out[t] = x[t, :]  # BAD
        return out
    k(X2)


@bad(exc.TypeError_, "into one element")
def store_tile_into_one_element():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for g in hl.grid(1):
            out[0] = x[:]  # BAD
        return out
    k(X)


@bad(exc.TypeError_, "a tile is not a value; use tile.index")
def store_a_tile():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = t  # BAD
        return out
    k(X)


@bad(exc.NotSupported, "tile attribute 'start'")
def unknown_tile_attribute():
    elementwise(lambda x, t: x[t] + t.start, X)  # BAD


@bad(exc.NotSupported, "attribute '_base' of tensor argument 'x'")
def private_tensor_attribute():
    elementwise(lambda x, t: x._base[t], X)  # BAD


# -- torch ops, shapes and dtypes ---------------------------------------------------------------
@bad(exc.TypeError_, "cannot be broadcast together")
def broadcast_mismatch():
    @kernel
    def k(x, y):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            for t2 in hl.tile(y.size(0)):
                out[t] = x[t] + y[t2]  # BAD
        return out
    k(X, torch.randn(48))


@bad(exc.TypeError_, "matmul needs two 2-d")
def matmul_of_vectors():
    elementwise(lambda x, t: x[t] @ x[t], X)  # BAD


@bad(exc.TypeError_, "matmul contraction dims differ")
def matmul_contraction_mismatch():
    @kernel
    def k(x, y):
        out = torch.empty([x.size(0), y.size(1)], dtype=x.dtype)
        for tm, tn in hl.tile([x.size(0), y.size(1)]):
            out[tm, tn] = x[tm, :] @ y[:, tn]  # BAD
        return out
    k(torch.randn(32, 16), torch.randn(32, 16))


@bad(exc.TypeError_, "batched matmul needs the same batch dim on both sides")
def bmm_with_different_batch_dims():
    @kernel
    def k(x, y):
        out = torch.empty([x.size(0), x.size(1), y.size(2)], dtype=x.dtype)
        for tb in hl.tile(x.size(0)):
            for tm, tn in hl.tile([x.size(1), y.size(2)]):
                out[tb, tm, tn] = torch.bmm(x[tb, tm, :], y[:, :, tn])  # BAD
        return out
    k(torch.randn(2, 16, 16), torch.randn(2, 16, 16))


@bad(exc.NotSupported, "call to torch")
def unknown_torch_function():
    elementwise(lambda x, t: torch.cummax(x[t], 0), X)  # BAD


@bad(exc.NotSupported, "method .cummin\\(\\) of a torch.float32 tensor")
def unknown_tensor_method():
    elementwise(lambda x, t: x[t].cummin(0), X)  # BAD


@bad(exc.NotSupported, "math.exp\\(\\) on a device value .*use torch.exp")
def math_exp_of_a_tile():
    elementwise(lambda x, t: math.exp(x[t]), X)  # BAD


@bad(exc.NotSupported, "int\\(\\) of a device value .*x.to\\(torch.int32\\)")
def int_of_a_device_value():
    elementwise(lambda x, t: int(x[t]), X)  # BAD


@bad(exc.TypeError_, "`// 0`: division by zero")
def int_floordiv_by_zero():
    elementwise(lambda x, t: x[t] // 0, XI)  # BAD


@bad(exc.TypeError_, "`% 0`: division by zero")
def int_mod_by_zero():
    elementwise(lambda x, t: x[t] % 0, XI)  # BAD


@bad(exc.TypeError_, "division by zero")
def python_int_division_by_zero():
    elementwise(lambda x, t: x[t] * (x.size(0) // 0), X)  # BAD


@bad(exc.TypeError_, "subtracting two bools")
def bool_minus_bool():
    elementwise(lambda x, t: (x[t] > 0) - (x[t] < 1), X)  # BAD


@bad(exc.TypeError_, "does not fit in 64 bits")
def int_constant_past_int64():
    elementwise(lambda x, t: x[t] * 2**70, XI)  # BAD


@bad(exc.TypeError_, "`<<` needs integer operands")
def shift_of_a_float():
    elementwise(lambda x, t: x[t] << 1, X)  # BAD


@bad(exc.TypeError_, "bitwise and needs integer or bool operands")
def bitwise_and_of_floats():
    elementwise(lambda x, t: x[t] & x[t], X)  # BAD


@bad(exc.NotSupported, "dtype torch.complex64 is not supported in device code")
def cast_to_complex():
    elementwise(lambda x, t: x[t].to(torch.complex64).real, X)  # BAD


@bad(exc.NotSupported, "\\.to\\(\\) in device code takes a dtype")
def to_a_device():
    elementwise(lambda x, t: x[t].to("cuda"), X)  # BAD


@bad(exc.TypeError_, "shape entries must be tiles or ints")
def zeros_with_float_shape():
    elementwise(lambda x, t: x[t] + hl.zeros([1.5]).sum(), X)  # BAD


@bad(exc.TypeError_, "softmax\\(\\) needs dim=")
def softmax_without_dim():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t, :] = torch.softmax(x[t, :])  # BAD
        return out
    k(X2)


@bad(exc.NotSupported, "argmax\\(\\) without dim")
def argmax_without_dim():
    @kernel
    def k(x):
        out = torch.empty([x.size(0)], dtype=torch.int64)
        for t in hl.tile(x.size(0)):
            out[t] = x[t, :].argmax() + t.index  # BAD
        return out
    k(X2)


@bad(exc.NotSupported, "hl.reduce needs device tensors and a dim")
def hl_reduce_without_dim():
    @kernel
    def k(x):
        out = torch.empty([x.size(0)], dtype=x.dtype)
        for t in hl.tile(x.size(0)):
            out[t] = hl.reduce(lambda a, b: a + b, x[t, :])  # BAD
        return out
    k(X2)


@bad(exc.NotSupported, "hl.arange\\(\\) needs constant int bounds")
def hl_arange_of_a_device_value():
    elementwise(lambda x, t: x[t] + hl.arange(t.begin), X)  # BAD


@bad(exc.TypeError_, "hl.arange size 6 must be a power of two")
def hl_arange_not_power_of_two():
    elementwise(lambda x, t: x[t] + hl.arange(6).sum(), X)  # BAD


@bad(exc.NotSupported, "torch.arange\\(\\) in device code needs constant int bounds")
def torch_arange_of_tile_end():
    elementwise(lambda x, t: x[t] + torch.arange(t.end).sum(), X)  # BAD


@bad(exc.NotSupported, "alpha= in device code")
def add_with_alpha():
    elementwise(lambda x, t: torch.add(x[t], x[t], alpha=2), X)  # BAD


@bad(exc.NotSupported, "alpha/beta of addmm")
def addmm_with_beta():
    @kernel
    def k(x, y):
        out = torch.empty([x.size(0), y.size(1)], dtype=x.dtype)
        for tm, tn in hl.tile([x.size(0), y.size(1)]):
            acc = hl.zeros([tm, tn], dtype=torch.float32)
            for tk in hl.tile(x.size(1)):
                acc = torch.addmm(acc, x[tm, tk], y[tk, tn], beta=0.5)  # BAD
            out[tm, tn] = acc
        return out
    k(torch.randn(32, 32), torch.randn(32, 32))


@bad(exc.TypeError_, "matmul out_dtype must be a floating-point")
def bmm_with_int_out_dtype():
    @kernel
    def k(x, y):
        out = torch.empty([x.size(0), x.size(1), y.size(2)], dtype=x.dtype)
        for tb, tm, tn in hl.tile([x.size(0), x.size(1), y.size(2)]):
            out[tb, tm, tn] = torch.bmm(x[tb, tm, :], y[tb, :, tn], torch.int32)  # BAD
        return out
    k(torch.randn(2, 16, 16), torch.randn(2, 16, 16))


@bad(exc.TypeError_, "torch.where\\(\\) takes 3 arguments, got 4")
def where_with_four_arguments():
    elementwise(lambda x, t: torch.where(x[t] > 0, x[t], 0.0, 1.0), X)  # BAD


@bad(exc.TypeError_, "exp\\(\\) takes 1 argument, got 2")
def exp_with_two_arguments():
    elementwise(lambda x, t: torch.exp(x[t], 2), X)  # BAD


@bad(exc.TypeError_, "add\\(\\) takes 2 arguments, got 1")
def torch_add_with_one_argument():
    elementwise(lambda x, t: torch.add(x[t]), X)  # BAD


# -- races between programs ---------------------------------------------------------------------
@bad(exc.NotSupported, "does not depend on grid tile `tn`.*race")
def store_misses_a_grid_dim():
    @kernel
    def k(x):
        out = torch.empty([x.size(0)], dtype=x.dtype)
        for tm, tn in hl.tile([x.size(0), x.size(1)]):
            out[tm] = x[tm, tn].sum(dim=1)  # BAD
        return out
    k(X2)


@bad(exc.NotSupported, "does not depend on grid tile `t`.*race")
def store_to_a_constant_index():
    @kernel
    def k(x):
        out = torch.zeros([1], dtype=x.dtype)
        for t in hl.tile(x.size(0)):
            out[0] = x[t].sum()  # BAD
        return out
    k(X)


@bad(exc.NotSupported, "does not depend on grid tile `tm`")
def store_indexed_by_inner_tile_only():
    @kernel
    def k(x):
        out = torch.empty([x.size(1)], dtype=x.dtype)
        for tm in hl.tile(x.size(0)):
            for tn in hl.tile(x.size(1)):
                out[tn] = x[tm, tn].sum(dim=0)  # BAD
        return out
    k(X2)


# -- arguments of torch ops and hl ops ----------------------------------------------------------
@bad(exc.TypeError_, "dim 5 is out of range for a tensor of rank 1")
def sum_over_a_missing_dim():
    elementwise(lambda x, t: x[t] + x[t].sum(dim=5), X)  # BAD


@bad(exc.TypeError_, "dim 3 is out of range for a tensor of rank 2")
def softmax_over_a_missing_dim():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t, :] = torch.softmax(x[t, :], dim=3)  # BAD
        return out
    k(X2)


@bad(exc.TypeError_, "names a dim twice")
def sum_over_a_dim_twice():
    @kernel
    def k(x):
        out = torch.empty([x.size(0)], dtype=x.dtype)
        for t in hl.tile(x.size(0)):
            out[t] = x[t, :].sum(dim=(1, -1))  # BAD
        return out
    k(X2)


@bad(exc.TypeError_, "is not a permutation")
def permute_with_a_repeated_dim():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t, :] = x[t, :].permute(0, 0)  # BAD
        return out
    k(X2)


@bad(exc.TypeError_, "dim 2 is out of range for a tensor of rank 1")
def transpose_of_a_missing_dim():
    elementwise(lambda x, t: x[t].transpose(0, 2), X)  # BAD


@bad(exc.TypeError_, "\\.t\\(\\) needs at most 2 dims")
def t_of_a_3d_tensor():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t, :, :] = x[t, :, :].t()  # BAD
        return out
    k(torch.randn(4, 4, 4))


@bad(exc.TypeError_, "cannot reshape .* a reshape keeps every tile dim")
def reshape_a_tile_to_a_static_size():
    elementwise(lambda x, t: x[t] + x[t].reshape(3).sum(), X)  # BAD


@bad(exc.TypeError_, "sizes must be positive, with at most one -1")
def view_with_two_minus_ones():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t, :] = x[t, :].view(-1, -1)  # BAD
        return out
    k(X2)


@bad(exc.TypeError_, "hl.zeros\\(\\) needs a shape")
def zeros_without_a_shape():
    elementwise(lambda x, t: x[t] + hl.zeros(), X)  # BAD


@bad(exc.TypeError_, "hl.full\\(\\) needs a shape and a value")
def full_without_a_value():
    elementwise(lambda x, t: x[t] + hl.full([t]), X)  # BAD


@bad(exc.TypeError_, "hl.specialize\\(\\) takes one value")
def specialize_without_a_value():
    elementwise(lambda x, t: x[t] * hl.specialize(), X)  # BAD


@bad(exc.TypeError_, "hl.register_block_size\\(\\) takes one int")
def register_block_size_of_a_tensor():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            bs = hl.register_block_size(x)  # BAD
            out[t] = x[t]
        return out
    k(X)


@bad(exc.TypeError_, "hl.dot\\(a, b, acc=None, out_dtype=None\\): too many positional arguments")
def dot_with_too_many_arguments():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for tm, tn in hl.tile([x.size(0), x.size(1)]):
            out[tm, tn] = hl.dot(x[tm, :], x[:, tn], None, None, 1)  # BAD
        return out
    k(torch.randn(16, 16))


@bad(exc.TypeError_, "hl.dot acc must be a device tensor, got int")
def dot_with_a_number_as_accumulator():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for tm, tn in hl.tile([x.size(0), x.size(1)]):
            out[tm, tn] = hl.dot(x[tm, :], x[:, tn], 16)  # BAD
        return out
    k(torch.randn(16, 16))


@bad(exc.TypeError_, "takes a function as its first argument")
def reduce_with_a_number_as_function():
    @kernel
    def k(x):
        out = torch.empty([x.size(0)], dtype=x.dtype)
        for t in hl.tile(x.size(0)):
            out[t] = hl.reduce(3, x[t, :], dim=1)  # BAD
        return out
    k(X2)


@bad(exc.TypeError_, "dim 5 is out of range for a tensor of rank 1")
def size_of_a_missing_dim():
    elementwise(lambda x, t: x[t] * x.size(5), X)  # BAD


@bad(exc.TypeError_, "indexing a sequence of length 1")
def shape_index_out_of_range():
    elementwise(lambda x, t: x[t] * x.shape[3], X)  # BAD


@bad(exc.TypeError_, "tile over a range ending at 64 indexes dim 0 of 'y', of size 32")
def tile_longer_than_the_tensor():
    @kernel
    def k(x, y):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = x[t] + y[t]  # BAD
        return out
    k(X, torch.randn(32))


@bad(exc.NotSupported, "min\\(\\) of device values takes two or more values")
def builtin_min_of_one_tensor():
    elementwise(lambda x, t: x[t] - min(x[t]), X)  # BAD


@bad(exc.TypeError_, "expected a tensor or number, got str")
def clamp_to_a_string():
    elementwise(lambda x, t: x[t].clamp("low"), X)  # BAD


@bad(exc.TypeError_, "expected a tensor or number, got str")
def store_a_string():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = "zero"  # BAD
        return out
    k(X)


@bad(exc.NotSupported, "`\\*` unpacking of a torch.float32 tensor")
def star_unpack_a_tensor():
    elementwise(lambda x, t: torch.add(*x[t]), X)  # BAD


@bad(exc.NotSupported, "exp\\(\\) keyword arguments \\['out'\\]")
def unknown_keyword_is_not_ignored():
    elementwise(lambda x, t: torch.exp(x[t], out=x[t]), X)  # BAD


@bad(exc.TypeError_, "gelu approximate='fast': torch takes 'none' or 'tanh'")
def gelu_with_an_unknown_approximation():
    elementwise(lambda x, t: torch.nn.functional.gelu(x[t], approximate="fast"), X)  # BAD


@bad(exc.TypeError_, "range\\(\\): range expected at least 1 argument")
def range_without_arguments():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            for i in range():  # BAD
                out[t] = x[t]
        return out
    k(X)


@bad(exc.TypeError_, "addmm\\(input, mat1, mat2, \\*, beta=1, alpha=1\\) takes 3 positional arguments")
def addmm_with_four_positional_arguments():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for tm, tn in hl.tile([x.size(0), x.size(1)]):
            out[tm, tn] = torch.addmm(x[tm, tn], x[tm, :], x[:, tn], 2)  # BAD
        return out
    k(torch.randn(16, 16))


@bad(exc.TypeError_, "expected a tensor or number, got str")
def var_with_a_string_correction():
    @kernel
    def k(x):
        out = torch.empty([x.size(0)], dtype=x.dtype)
        for t in hl.tile(x.size(0)):
            out[t] = x[t, :].var(dim=1, correction="one")  # BAD
        return out
    k(X2)


@bad(exc.NotSupported, "`0 \\*\\* x` with a tensor exponent x needs a positive base")
def zero_to_a_tensor_power():
    elementwise(lambda x, t: 0 ** x[t], X)  # BAD


@bad(exc.TypeError_, "`~` needs integer or bool operands")
def invert_a_float():
    elementwise(lambda x, t: ~x[t], X)  # BAD


@bad(exc.TypeError_, "integers to negative integer powers are not allowed")
def int_to_a_negative_power():
    elementwise(lambda x, t: x[t] ** -6, XI)  # BAD


@bad(exc.NotSupported, "reads 'out', which this kernel writes, without indexing grid tile `t`")
def read_what_other_programs_write():
    @kernel
    def k(x):
        out = torch.zeros_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = x[t]
            out[t] = out[t] + out[:].sum()  # BAD
        return out
    k(X)


@bad(exc.NotSupported, "reads 'out', which this kernel writes, through a gather")
def gather_from_a_written_tensor():
    @kernel
    def k(x, idx):
        out = torch.zeros_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = x[t]
            x[t] = out[idx[t]]  # BAD
        return out
    k(X, torch.randint(0, 64, (64,)))


@bad(exc.NotSupported, "reads 'out' before the kernel writes it; host code allocated it with torch.empty")
def read_an_empty_output():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = out[t] + x[t]  # BAD
        return out
    k(X)


@bad(exc.NotSupported, "reads 'out' before the kernel writes it")
def accumulate_into_an_empty_output():
    @kernel
    def k(x):
        out = torch.empty([x.size(0)], dtype=x.dtype)
        for tm in hl.tile(x.size(0)):
            for tk in hl.tile(x.size(1)):
                out[tm] += x[tm, tk].sum(dim=1)  # BAD
        return out
    k(X2)


# -- helpers ------------------------------------------------------------------------------------
def _recurse(v):
    return _recurse(v)  # BAD


@bad(exc.NotSupported, "nest more than 32 deep", marked_in=_recurse)
def helper_recursion():
    @kernel
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = _recurse(x[t])
        return out
    k(X)


def _scale(v, factor):
    return v * factor


@bad(exc.TypeError_, "_scale\\(\\): missing a required argument")
def helper_called_with_too_few_arguments():
    elementwise(lambda x, t: _scale(x[t]), X)  # BAD


@bad(exc.TypeError_, r"cannot broadcast shape \[block1, block0\] to \[1, block0\]")
def store_rows_into_one_row():
    @kernel
    def k(values, offsets):
        out = torch.zeros([offsets.size(0) - 1, values.size(1)], device=values.device)
        for tg in hl.tile(offsets.size(0) - 1, block_size=1):
            for tc in hl.tile(values.size(1)):
                for t in hl.tile(offsets[tg.begin], offsets[tg.begin + 1]):
                    out[tg, tc] = values[t, tc]  # BAD
        return out
    k(torch.randn(20, 4), torch.tensor([0, 5, 20]))


@pytest.mark.parametrize("case,err,match,marked_in", CASES)
def test_bad_kernel(case, err, match, marked_in):
    with pytest.raises(err, match=match) as info:
        case()
    assert f"{__file__}:{_bad_line(marked_in)}:" in str(info.value), str(info.value)


def test_the_suite_is_large():
    assert len(CASES) >= 70


# -- the fixes behind some of these cases also make good kernels right --------------------------
def test_tile_of_an_outer_tile_covers_its_range():
    """`for t2 in hl.tile(t1)` runs over t1's range [t1.begin, t1.end)."""
    @helion.kernel(config=helion.Config(block_sizes=[32, 8]))
    def k(x):
        out = torch.empty_like(x)
        for t1 in hl.tile(x.size(0)):
            for t2 in hl.tile(t1):
                out[t2] = x[t2] * 2
        return out

    x = torch.randn(100)
    torch.testing.assert_close(k(x), x * 2)


def test_bool_arithmetic_follows_torch():
    @helion.kernel(config=helion.Config(block_sizes=[16]))
    def k(a, b):
        add = torch.empty_like(a)
        mul = torch.empty_like(a)
        for t in hl.tile(a.size(0)):
            add[t] = a[t] + b[t]
            mul[t] = a[t] * b[t]
        return add, mul

    a = torch.tensor([True, True, False, False] * 4)
    b = torch.tensor([True, False, True, False] * 4)
    add, mul = k(a, b)
    assert torch.equal(add, a + b) and torch.equal(mul, a * b)


def test_int32_times_a_huge_constant_wraps_as_in_torch():
    @helion.kernel(config=helion.Config(block_sizes=[16]))
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = x[t] * 2**40 + x[t] * (2**31 + 3)
        return out

    x = torch.arange(-32, 32, dtype=torch.int32)
    assert torch.equal(k(x), x * 2**40 + x * (2**31 + 3))


def test_bmm_with_out_dtype():
    @helion.kernel(config=helion.Config(block_sizes=[1, 16, 16]))
    def k(x, y):
        out = torch.empty([x.size(0), x.size(1), y.size(2)], dtype=torch.float32)
        for tb, tm, tn in hl.tile([x.size(0), x.size(1), y.size(2)]):
            out[tb, tm, tn] = torch.bmm(x[tb, tm, :], y[tb, :, tn], torch.float32)
        return out

    x, y = torch.randn(2, 16, 32, dtype=torch.bfloat16), torch.randn(2, 32, 16, dtype=torch.bfloat16)
    out = k(x, y)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, x.float() @ y.float(), atol=1e-2, rtol=1e-2)


def test_powers_and_builtin_max_follow_torch():
    """x ** -1 and odd powers of negative bases were NaN; max(a, b, c) dropped c."""
    @helion.kernel(config=helion.Config(block_sizes=[16]))
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = x[t] ** -1 + x[t] ** 5 + x[t] ** -3 + max(x[t], x[t] * 2, x[t] * -3) + x[t].size(0) * 0
        return out

    x = torch.randn(64)
    expected = x ** -1 + x ** 5 + x ** -3 + torch.maximum(torch.maximum(x, x * 2), x * -3)
    torch.testing.assert_close(k(x), expected, rtol=1e-4, atol=1e-4)


def test_sum_with_dtype_casts_first():
    @helion.kernel(config=helion.Config(block_sizes=[4]))
    def k(x):
        out = torch.empty([x.size(0)], dtype=torch.float32)
        for t in hl.tile(x.size(0)):
            out[t] = torch.sum(x[t, :], dim=1, dtype=torch.float32)
        return out

    x = torch.full((8, 64), 200, dtype=torch.uint8)
    torch.testing.assert_close(k(x), x.float().sum(dim=1))


def test_in_place_update_is_not_a_race():
    @helion.kernel(config=helion.Config(block_sizes=[16, 8]))
    def k(x):
        for tm, tn in hl.tile([x.size(0), x.size(1)]):
            x[tm, tn] = x[tm, tn] * 2
            x[tm, tn] += 1
        return x

    x = torch.randn(40, 24)
    expected = x * 2 + 1
    torch.testing.assert_close(k(x), expected)


def test_outputs_written_before_read_are_fine():
    """An empty output zeroed on the host, or written before it is read, is initialized."""
    @helion.kernel(config=helion.Config(block_sizes=[8, 8]))
    def k(x):
        out = torch.empty([x.size(0)], dtype=x.dtype)
        out.zero_()
        total = torch.empty([x.size(0)], dtype=x.dtype)
        for tm in hl.tile(x.size(0)):
            total[tm] = hl.zeros([tm], dtype=x.dtype)
            for tk in hl.tile(x.size(1)):
                out[tm] += x[tm, tk].sum(dim=1)
                total[tm] += x[tm, tk].sum(dim=1)
        return out, total

    x = torch.randn(20, 24)
    out, total = k(x)
    torch.testing.assert_close(out, x.sum(dim=1), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(total, x.sum(dim=1), rtol=1e-5, atol=1e-5)


def test_mean_and_var_over_several_dims():
    """Counts of several reduced dims multiply as scalars (a tile dim's count used to keep its shape)."""
    @helion.kernel(config=helion.Config(block_sizes=[8]))
    def k(x):
        out = torch.zeros_like(x)
        for t in hl.tile(x.size(0)):
            v = x[t, :, :]
            out[t, :, :] = v - v.mean() + v.var(dim=(1, 2), keepdim=True) + v.mean(dim=(0, 2), keepdim=True)
        return out

    x = torch.randn(20, 12, 16)
    expected = torch.empty_like(x)
    for i in range(0, 20, 8):  # a reduction over the tile dim covers the tile's rows
        v = x[i:i + 8]
        expected[i:i + 8] = v - v.mean() + v.var(dim=(1, 2), keepdim=True) + v.mean(dim=(0, 2), keepdim=True)
    torch.testing.assert_close(k(x), expected, rtol=1e-4, atol=1e-4)


def test_values_assigned_in_inner_loops_are_carried():
    """A Python number assigned before an inner loop and updated in it is carried
    (it kept its value from before the loop), and an int that becomes a float in
    the loop is carried as a float, as torch types it (it was truncated)."""
    @helion.kernel(config=helion.Config(block_sizes=[8, 4]))
    def k(x):
        out = torch.zeros([x.size(0), 3], dtype=torch.float32)
        for t in hl.tile(x.size(0)):
            acc = 0.0
            n = 0
            total = hl.zeros([t], dtype=torch.int32)
            for tk in hl.tile(x.size(1)):
                acc = acc + x[t, tk].sum(dim=1)
                n = n + 1
                total = total + x[t, tk].sum(dim=1)
            out[t, 0] = acc
            out[t, 1] = x[t, 0] * 0 + n
            out[t, 2] = total
        return out

    x = torch.randn(20, 16)
    out = k(x)
    torch.testing.assert_close(out[:, 0], x.sum(dim=1), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(out[:, 1], torch.full((20,), 4.0))
    torch.testing.assert_close(out[:, 2], x.sum(dim=1), rtol=1e-5, atol=1e-5)


def test_constants_folded_and_integer_powers():
    """Python-number math folds as torch does (sigmoid of a number used to be an
    internal error), |index| works, and int ** int tensor is exact."""
    @helion.kernel(config=helion.Config(block_sizes=[16]))
    def k(x, xi):
        out = torch.empty_like(x)
        outi = torch.empty_like(xi)
        for t in hl.tile(x.size(0)):
            out[t] = x[t] * (t.end - t.begin).abs() + torch.sigmoid(2.0) + abs(-3)
            outi[t] = 2 ** xi[t] + 3 ** (xi[t] % 5)
        return out, outi

    x, xi = torch.randn(64), torch.arange(64, dtype=torch.int32) % 20
    out, outi = k(x, xi)
    torch.testing.assert_close(out, x * 16 + torch.sigmoid(torch.tensor(2.0)) + 3)
    assert torch.equal(outi, 2 ** xi + 3 ** (xi % 5))


def test_abs_builtin_on_a_device_value():
    @helion.kernel(config=helion.Config(block_sizes=[16]))
    def k(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = abs(x[t])
        return out

    x = torch.randn(64)
    torch.testing.assert_close(k(x), x.abs())
