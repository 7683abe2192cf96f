"""Training-ready kernels: softmax, layer_norm, rms_norm and cross_entropy with
forward and backward passes written as Helion kernels and wired through
torch.autograd.Function. Math is done in float32 (float64 for float64
inputs, so torch.autograd.gradcheck applies). `python examples/autograd_kernels.py`
checks every gradient against torch's."""
from __future__ import annotations

import torch

import helion
import helion.language as hl


def _acc(dtype: torch.dtype) -> torch.dtype:
    """The dtype the kernels compute in."""
    return torch.promote_types(dtype, torch.float32)


# -- softmax -----------------------------------------------------------------
@helion.kernel()
def softmax_fwd(x: torch.Tensor) -> torch.Tensor:
    m, n = x.size()
    acc = _acc(x.dtype)
    out = torch.empty_like(x)
    for tile_m in hl.tile(m):
        out[tile_m, :] = torch.softmax(x[tile_m, :].to(acc), dim=-1)
    return out


@helion.kernel()
def softmax_bwd(grad_out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """dx = y * (dy - sum(dy * y))"""
    m, n = y.size()
    acc = _acc(y.dtype)
    grad_x = torch.empty_like(y)
    for tile_m in hl.tile(m):
        yr = y[tile_m, :].to(acc)
        g = grad_out[tile_m, :].to(acc)
        grad_x[tile_m, :] = yr * (g - (g * yr).sum(-1, keepdim=True))
    return grad_x


class Softmax(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = softmax_fwd(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_out):
        (y,) = ctx.saved_tensors
        return softmax_bwd(grad_out.contiguous(), y)


# -- layer_norm and rms_norm ---------------------------------------------------
@helion.kernel()
def layer_norm_fwd(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float):
    """(out, mean, rstd): mean and 1/std of each row are kept for backward."""
    m, n = x.size()
    acc = _acc(x.dtype)
    out = torch.empty_like(x)
    mean = torch.empty([m], dtype=acc, device=x.device)
    rstd = torch.empty([m], dtype=acc, device=x.device)
    for tile_m in hl.tile(m):
        row = x[tile_m, :].to(acc)
        mu = row.mean(-1)
        r = torch.rsqrt(torch.var(row, dim=-1, correction=0) + eps)
        out[tile_m, :] = (row - mu[:, None]) * r[:, None] * weight[:].to(acc) + bias[:].to(acc)
        mean[tile_m] = mu
        rstd[tile_m] = r
    return out, mean, rstd


@helion.kernel()
def norm_bwd_dx(grad_out: torch.Tensor, x: torch.Tensor, weight: torch.Tensor, mean: torch.Tensor,
                rstd: torch.Tensor, center: float) -> torch.Tensor:
    """dx of layer_norm (centered) or rms_norm: with xhat = (x - mean) * rstd
    and g = dy * w, dx = rstd * (g - mean(g) - xhat * mean(g * xhat)),
    with center = 1; rms_norm passes mean 0 and center 0."""
    m, n = x.size()
    acc = _acc(x.dtype)
    grad_x = torch.empty_like(x)
    for tile_m in hl.tile(m):
        mu = mean[tile_m]
        r = rstd[tile_m]
        xhat = (x[tile_m, :].to(acc) - mu[:, None]) * r[:, None]
        g = grad_out[tile_m, :].to(acc) * weight[:].to(acc)
        d = g - center * g.mean(-1, keepdim=True) - xhat * (g * xhat).mean(-1, keepdim=True)
        grad_x[tile_m, :] = d * r[:, None]
    return grad_x


@helion.kernel()
def norm_bwd_dwdb(grad_out: torch.Tensor, x: torch.Tensor, mean: torch.Tensor, rstd: torch.Tensor):
    """(dw, db): column sums of dy * xhat and of dy, each program streaming
    all rows for its tile of columns."""
    m, n = x.size()
    acc = _acc(x.dtype)
    grad_w = torch.empty([n], dtype=x.dtype, device=x.device)
    grad_b = torch.empty([n], dtype=x.dtype, device=x.device)
    for tile_n in hl.tile(n):
        dw = hl.zeros([tile_n], dtype=acc)
        db = hl.zeros([tile_n], dtype=acc)
        for tile_m in hl.tile(m):
            mu = mean[tile_m]
            r = rstd[tile_m]
            g = grad_out[tile_m, tile_n].to(acc)
            xhat = (x[tile_m, tile_n].to(acc) - mu[:, None]) * r[:, None]
            dw = dw + (g * xhat).sum(0)
            db = db + g.sum(0)
        grad_w[tile_n] = dw
        grad_b[tile_n] = db
    return grad_w, grad_b


class LayerNorm(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias, eps):
        out, mean, rstd = layer_norm_fwd(x, weight, bias, eps)
        ctx.save_for_backward(x, weight, mean, rstd)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, weight, mean, rstd = ctx.saved_tensors
        grad_out = grad_out.contiguous()
        grad_x = norm_bwd_dx(grad_out, x, weight, mean, rstd, 1.0)
        grad_w, grad_b = norm_bwd_dwdb(grad_out, x, mean, rstd)
        return grad_x, grad_w, grad_b, None


@helion.kernel()
def rms_norm_fwd(x: torch.Tensor, weight: torch.Tensor, eps: float):
    """(out, rstd)"""
    m, n = x.size()
    acc = _acc(x.dtype)
    out = torch.empty_like(x)
    rstd = torch.empty([m], dtype=acc, device=x.device)
    for tile_m in hl.tile(m):
        row = x[tile_m, :].to(acc)
        r = torch.rsqrt(torch.mean(row * row, dim=-1) + eps)
        out[tile_m, :] = row * r[:, None] * weight[:].to(acc)
        rstd[tile_m] = r
    return out, rstd


class RMSNorm(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, eps):
        out, rstd = rms_norm_fwd(x, weight, eps)
        ctx.save_for_backward(x, weight, rstd)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, weight, rstd = ctx.saved_tensors
        grad_out = grad_out.contiguous()
        zero_mean = torch.zeros_like(rstd)  # rms_norm is layer_norm's math without centering
        grad_x = norm_bwd_dx(grad_out, x, weight, zero_mean, rstd, 0.0)
        grad_w, _ = norm_bwd_dwdb(grad_out, x, zero_mean, rstd)
        return grad_x, grad_w, None


# -- cross_entropy ----------------------------------------------------------------
@helion.kernel()
def cross_entropy_fwd(logits: torch.Tensor, labels: torch.Tensor):
    """(loss of each row, logsumexp of each row)"""
    n, v = logits.size()
    acc = _acc(logits.dtype)
    flat = logits.view(-1)
    losses = torch.empty([n], dtype=acc, device=logits.device)
    lse = torch.empty([n], dtype=acc, device=logits.device)
    for tile_n in hl.tile(n):
        row_lse = torch.logsumexp(logits[tile_n, :].to(acc), dim=-1)
        picked = flat[tile_n.index * v + labels[tile_n]].to(acc)
        losses[tile_n] = row_lse - picked
        lse[tile_n] = row_lse
    return losses, lse


@helion.kernel()
def cross_entropy_bwd(logits: torch.Tensor, labels: torch.Tensor, lse: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """d logits = (softmax(logits) - onehot(label)) * scale of the row."""
    n, v = logits.size()
    acc = _acc(logits.dtype)
    grad = torch.empty_like(logits)
    for tile_n, tile_v in hl.tile([n, v]):
        row_lse = lse[tile_n]
        s = scale[tile_n]
        lab = labels[tile_n]
        p = torch.exp(logits[tile_n, tile_v].to(acc) - row_lse[:, None])
        hit = tile_v.index[None, :] == lab[:, None]
        grad[tile_n, tile_v] = torch.where(hit, p - 1.0, p) * s[:, None]
    return grad


class CrossEntropy(torch.autograd.Function):
    """Mean cross entropy over the rows (torch.nn.functional.cross_entropy)."""

    @staticmethod
    def forward(ctx, logits, labels):
        losses, lse = cross_entropy_fwd(logits, labels)
        ctx.save_for_backward(logits, labels, lse)
        return losses.mean().to(logits.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        logits, labels, lse = ctx.saved_tensors
        n = logits.size(0)
        scale = (grad_out.to(lse.dtype) / n).expand(n).contiguous()
        return cross_entropy_bwd(logits, labels, lse, scale), None


def softmax(x):
    return Softmax.apply(x)


def layer_norm(x, weight, bias, eps=1e-5):
    return LayerNorm.apply(x, weight, bias, eps)


def rms_norm(x, weight, eps=1e-6):
    return RMSNorm.apply(x, weight, eps)


def cross_entropy(logits, labels):
    return CrossEntropy.apply(logits, labels)


def cases(device: str, dtype: torch.dtype, m: int = 13, n: int = 37):
    """{name: (helion function, torch reference, inputs, indices of differentiable inputs)}."""
    g = torch.Generator().manual_seed(0)

    def rand(*shape):
        return torch.randn(*shape, generator=g, dtype=torch.float64).to(device=device, dtype=dtype)

    labels = torch.randint(0, n, (m,), generator=g).to(device)
    F = torch.nn.functional
    return {
        "softmax": (softmax, lambda x: torch.softmax(x, -1), (rand(m, n),), (0,)),
        "layer_norm": (layer_norm, lambda x, w, b: F.layer_norm(x, [n], w, b, 1e-5),
                       (rand(m, n), rand(n), rand(n)), (0, 1, 2)),
        "rms_norm": (rms_norm, lambda x, w: F.rms_norm(x, [n], w, 1e-6), (rand(m, n), rand(n)), (0, 1)),
        "cross_entropy": (cross_entropy, F.cross_entropy, (rand(m, n), labels), (0,)),
    }


def gradients(fn, inputs, diff, grad_out):
    """(output, [gradients of the differentiable inputs]) of fn for one grad_out."""
    leaves = [x.detach().clone().requires_grad_(i in diff) for i, x in enumerate(inputs)]
    out = fn(*leaves)
    out.backward(grad_out)
    return out.detach(), [leaves[i].grad for i in diff]


def check(device: str = "cpu", dtype: torch.dtype = torch.float32, m: int = 13, n: int = 37, tol: float = 1e-4) -> None:
    """Compare outputs and gradients with torch's, computed in float64."""
    for name, (fn, ref, inputs, diff) in cases(device, dtype, m, n).items():
        probe = fn(*inputs)
        grad_out = torch.randn_like(probe, dtype=torch.float64).to(dtype)
        out, grads = gradients(fn, inputs, diff, grad_out)
        ref_inputs = [x.double() if x.is_floating_point() else x for x in inputs]
        ref_out, ref_grads = gradients(ref, ref_inputs, diff, grad_out.double())
        torch.testing.assert_close(out.double(), ref_out, atol=tol, rtol=tol, msg=lambda s: f"{name} output: {s}")
        for i, g, r in zip(diff, grads, ref_grads):
            torch.testing.assert_close(g.double(), r, atol=tol, rtol=tol, msg=lambda s: f"{name} grad of input {i}: {s}")
        print(f"{name:14s} {str(dtype):15s} {device}: output and {len(diff)} gradient(s) match torch (tol {tol})")


if __name__ == "__main__":
    check("cpu", torch.float32)
    if torch.cuda.is_available():
        check("cuda", torch.float32, 300, 1000, tol=1e-3)
        check("cuda", torch.bfloat16, 300, 1000, tol=5e-2)
