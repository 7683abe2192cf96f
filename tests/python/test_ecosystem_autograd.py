"""Forward and backward Helion kernels (examples/autograd_kernels.py) through
torch.autograd.Function, against torch's gradients."""
import pytest
import torch

import autograd_kernels as ak
import helion

NAMES = ["softmax", "layer_norm", "rms_norm", "cross_entropy"]


@pytest.mark.parametrize("name", NAMES)
def test_gradcheck_float64(name):
    """Numerical vs analytical Jacobians in float64 (the kernels compute in
    float64 for float64 inputs)."""
    fn, _, inputs, diff = ak.cases("cpu", torch.float64, 5, 7)[name]
    leaves = [x.clone().requires_grad_(i in diff) for i, x in enumerate(inputs)]
    assert torch.autograd.gradcheck(fn, leaves, eps=1e-6, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_float32_against_float64_torch(name):
    fn, ref, inputs, diff = ak.cases("cpu", torch.float32, 13, 37)[name]
    grad_out = torch.randn_like(fn(*inputs))
    out, grads = ak.gradients(fn, inputs, diff, grad_out)
    ref_inputs = [x.double() if x.is_floating_point() else x for x in inputs]
    ref_out, ref_grads = ak.gradients(ref, ref_inputs, diff, grad_out.double())
    torch.testing.assert_close(out.double(), ref_out, atol=1e-5, rtol=1e-5)
    for g, r in zip(grads, ref_grads):
        assert g.dtype == torch.float32
        torch.testing.assert_close(g.double(), r, atol=1e-5, rtol=1e-5)


def test_gradients_flow_through_a_model():
    """The four ops in one graph: gradients reach every parameter."""
    torch.manual_seed(0)
    x = torch.randn(6, 16, requires_grad=True)
    w1, b1, w2 = (torch.randn(16, requires_grad=True) for _ in range(3))
    labels = torch.randint(0, 16, (6,))

    def model(norm, rms, sm, ce, x):
        h = rms(norm(x, w1, b1), w2)
        return ce(h, labels) + sm(h).pow(2).sum()

    F = torch.nn.functional
    loss = model(ak.layer_norm, ak.rms_norm, ak.softmax, ak.cross_entropy, x)
    grads = torch.autograd.grad(loss, [x, w1, b1, w2])
    ref = model(lambda x, w, b: F.layer_norm(x, [16], w, b, 1e-5), lambda x, w: F.rms_norm(x, [16], w, 1e-6),
                lambda x: torch.softmax(x, -1), F.cross_entropy, x)
    ref_grads = torch.autograd.grad(ref, [x, w1, b1, w2])
    torch.testing.assert_close(loss, ref, atol=1e-4, rtol=1e-4)
    for g, r in zip(grads, ref_grads):
        torch.testing.assert_close(g, r, atol=1e-4, rtol=1e-4)


@pytest.mark.gpu
@pytest.mark.parametrize("dtype,tol", [(torch.float32, 2e-3), (torch.bfloat16, 6e-2)])
def test_gradients_gpu(dtype, tol, monkeypatch):
    for k in vars(ak).values():  # default configs: this checks gradients, not tuning
        if isinstance(k, helion.Kernel):
            monkeypatch.setattr(k.settings, "use_default_config", True)
    ak.check("cuda", dtype, 300, 1000, tol=tol)
