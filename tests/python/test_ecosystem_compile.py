"""torch.compile integration: kernels are custom ops in the graph (no graph
break under fullgraph=True), with a fake implementation from the host code."""
import pytest
import torch

import helion
import helion.language as hl
from softmax import layer_norm, rms_norm, softmax

C16 = helion.Config(block_sizes=[16])


@helion.kernel(config=C16)
def add(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for t in hl.tile(x.size(0)):
        out[t] = x[t] + y[t]
    return out


@helion.kernel(config=C16)
def add_inplace(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    for t in hl.tile(x.size(0)):
        x[t] = x[t] + y[t]
    return x


@helion.kernel(config=C16)
def scale_into(out: torch.Tensor, x: torch.Tensor, s: float) -> None:
    flat = out.view(-1)  # a view of the written parameter
    for t in hl.tile(x.size(0)):
        flat[t] = x[t] * s


@helion.kernel(config=C16)
def sum_and_half(x: torch.Tensor, n: int, as_half: bool):
    out = torch.empty([n], dtype=torch.float32, device=x.device)
    low = torch.empty([n], dtype=torch.float16 if as_half else torch.float32, device=x.device)
    for t in hl.tile(n):
        out[t] = x[t] * 2
        low[t] = x[t]
    return out, low


def _recording(graphs: list):
    """An aot_eager backend that appends each graph module to `graphs`."""
    def backend(gm, example_inputs):
        graphs.append(gm)
        from torch._dynamo.backends.debugging import aot_eager

        return aot_eager(gm, example_inputs)

    return backend


def _graphs(fn, *args):
    """Compile fn with fullgraph=True on aot_eager; return (result, [graph code])."""
    graphs = []
    result = torch.compile(fn, backend=_recording(graphs), fullgraph=True)(*args)
    return result, [gm.code for gm in graphs]


def test_new_output_in_graph():
    x, y = torch.randn(100), torch.randn(100)
    out, codes = _graphs(lambda a, b: add(a, b).relu() + 1, x, y)
    torch.testing.assert_close(out, (x + y).relu() + 1)
    assert len(codes) == 1 and "torch.ops.helion.add_" in codes[0]


def test_inplace_parameter_is_functionalized():
    x, y = torch.randn(64), torch.randn(64)
    expected = x + y

    def f(a, b):
        r = add_inplace(a, b)
        return r * 2

    got, _ = _graphs(f, x, y)
    torch.testing.assert_close(x, expected)  # the caller's tensor was written
    torch.testing.assert_close(got, expected * 2)


def test_write_through_view_and_no_return():
    x = torch.randn(48)
    out = torch.zeros(6, 8)

    def f(o, a):
        scale_into(o, a, 3.0)
        return o.sum()

    got, _ = _graphs(f, out, x)
    torch.testing.assert_close(out.view(-1), x * 3.0)
    torch.testing.assert_close(got, (x * 3.0).sum())


def test_tuple_outputs_ints_bools_and_dtypes():
    x = torch.randn(40)
    (a, b), _ = _graphs(lambda t: sum_and_half(t, 40, True), x)
    assert b.dtype == torch.float16 and a.shape == (40,)
    torch.testing.assert_close(a, x * 2)
    torch.testing.assert_close(b, x.half())


def test_reduction_kernels_with_kwargs_and_constexpr():
    x, w, b = torch.randn(8, 64), torch.randn(64), torch.randn(64)

    def f(x, w, b):
        return softmax(x) + layer_norm(x, w, b, eps=1e-5) + rms_norm(x, w, 1e-6)

    got, codes = _graphs(f, x, w, b)
    ref = (torch.softmax(x, -1) + torch.nn.functional.layer_norm(x, [64], w, b, 1e-5)
           + torch.nn.functional.rms_norm(x, [64], w, 1e-6))
    torch.testing.assert_close(got, ref, atol=1e-4, rtol=1e-4)
    assert codes[0].count("torch.ops.helion.") == 3


def test_fake_impl_gives_shapes_without_running():
    from torch._subclasses.fake_tensor import FakeTensorMode

    op = sum_and_half._torch_op.op
    with FakeTensorMode():
        x = torch.empty(40)
        a, b = op([x], [0, 2, 4], [40, 1], [])
    assert a.shape == (40,) and a.dtype == torch.float32 and b.dtype == torch.float16


def test_unsupported_argument_named():
    @helion.kernel(config=C16)
    def apply(x, fn):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = fn(x[t])
        return out

    with pytest.raises(Exception, match="argument 'fn' is a builtin_function"):
        torch.compile(lambda x: apply(x, torch.sin), backend="aot_eager", fullgraph=True)(torch.randn(8))


def test_varying_return_structure_refused():
    @helion.kernel(config=C16)
    def two_ways(x, flag: bool):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = x[t]
        if flag:
            return out, out
        return out

    assert two_ways(torch.ones(4), False).shape == (4,)  # eager is unaffected
    with pytest.raises(Exception, match="return statements return different structures"):
        torch.compile(lambda x: two_ways(x, False), backend="aot_eager", fullgraph=True)(torch.randn(8))


@pytest.mark.gpu
def test_inductor_fullgraph_gpu():
    x = torch.randn(4096, 512, device="cuda", dtype=torch.bfloat16)
    w, b = torch.randn(512, device="cuda", dtype=torch.bfloat16), torch.randn(512, device="cuda", dtype=torch.bfloat16)

    def f(x, w, b):
        return softmax(x * 2) + layer_norm(x, w, b, 1e-5)

    # fixed configs: the graph's calls must not autotune (same specializations as these)
    softmax.bind((x,)).set_config(helion.Config(block_sizes=[1], num_warps=8))
    layer_norm.bind((x, w, b, 1e-5)).set_config(helion.Config(block_sizes=[1], num_warps=8))
    got = torch.compile(f, backend="inductor", fullgraph=True)(x, w, b)
    ref = torch.softmax(x.float() * 2, -1) + torch.nn.functional.layer_norm(x.float(), [512], w.float(), b.float(), 1e-5)
    torch.testing.assert_close(got.float(), ref, atol=3e-2, rtol=3e-2)


@pytest.mark.gpu
def test_cuda_graph_capture_and_replay():
    x = torch.randn(1 << 20, device="cuda")
    y = torch.randn(1 << 20, device="cuda")
    add(x, y)  # compile and warm up outside the capture
    torch.cuda.synchronize()
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        out = add(x, y)
    x.copy_(torch.randn_like(x))
    graph.replay()
    torch.cuda.synchronize()
    torch.testing.assert_close(out, x + y)


@pytest.mark.gpu
def test_compiled_reduce_overhead_gpu():
    x = torch.randn(4096, device="cuda")
    f = torch.compile(lambda a, b: add(a, b) * 3, mode="reduce-overhead", fullgraph=True)
    for _ in range(3):  # the later calls replay a CUDA graph
        got = f(x, x)
    torch.testing.assert_close(got, (x + x) * 3)


def test_nested_helper_returns_are_not_the_kernels():
    @helion.kernel(config=C16)
    def scaled(x):
        def length_and_dtype(t):  # host code; its tuple return is not the kernel's
            return t.size(0), t.dtype

        n, dtype = length_and_dtype(x)
        out = torch.empty([n], dtype=dtype, device=x.device)
        for t in hl.tile(n):
            out[t] = x[t] * 2
        return out

    x = torch.randn(40)
    got, _ = _graphs(lambda a: scaled(a) + 1, x)
    torch.testing.assert_close(got, x * 2 + 1)


def test_dynamic_shapes_one_graph():
    """With dynamic=True the fake implementation runs on symbolic sizes: one
    graph serves every length (the kernel still specializes underneath)."""
    graphs = []
    f = torch.compile(lambda a, b: add(a, b) * 2, backend=_recording(graphs), fullgraph=True, dynamic=True)
    for n in (10, 37, 64):
        x = torch.randn(n)
        torch.testing.assert_close(f(x, x), 4 * x)
    assert len(graphs) == 1
