#!/usr/bin/python3
"""R-CONV reference for OnnxAudit (Eltaras et al., WISE 2024; DESIGN.md "R-CONV").

Jobs, all deterministic:
  fixtures     single-sample cross-entropy gradients (torch autograd) written to <out>/<model>.{images,labels,grads}.npy
               + <model>.json (gradient index, then the reference PSNRs below). --model rconv_lenet: the R-CONV LeNet
               (3x32x32, K 5, P 2, LeakyReLU 0.2, Gemm 192->10, PyTorch default init, seed 0; --export re-exports
               tests/reference/rconv/rconv_lenet.onnx) on 10 smooth random 3x32x32 images (uniform 8x8 noise per channel,
               bicubic-upsampled, clipped to [0,1]); --model cnn6 / lenet5: models/<model>.onnx on the first 10 bundled
               Fashion-MNIST test images.
  refresh      re-runs the reconstruction below on the stored gradients and rewrites reference_psnr_db /
               reference_failure / reference_methods in <model>.json (gradients and images untouched).
  reconstruct  per-image time (warm) and PSNR as one JSON line (used by bench/rconv.sh).
The reconstruction is the same algorithm as the C# RConvReconstructor (FC division, gradient through the activations
via derivatives written in their outputs, per-channel SVD least squares of the weight-gradient equations, stride-phase
null space fixed by the forward rows, joint block-scaled LSQR of forward + gradient rows for a first layer whose
gradient rows are short), in torch float64 with torch's convolution kernels.

Run: /usr/bin/python3 tests/reference/rconv_reference.py fixtures --model rconv_lenet
     /usr/bin/python3 tests/reference/rconv_reference.py refresh --model rconv_lenet
     /usr/bin/python3 tests/reference/rconv_reference.py reconstruct --model cnn6 --out /tmp/rconv
Needs Debian python3-torch (1.13), python3-onnx, numpy.
"""
import argparse
import gzip
import json
import os
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "rconv")
torch.set_num_threads(1)


# ---------------------------------------------------------------------------------------------- model (chain)
class Chain:
    """Minimal interpreter of the linear chain ops the bundled CNNs use, with parameters as leaf tensors."""

    def __init__(self, path):
        m = onnx.load(path)
        g = m.graph
        self.params = {t.name: torch.tensor(numpy_helper.to_array(t).copy()) for t in g.initializer}
        self.input = [i.name for i in g.input if i.name not in self.params][0]
        self.nodes = list(g.node)

    @staticmethod
    def attrs(n):
        return {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}

    def forward(self, x, params):
        env = {self.input: x}
        env.update(params)
        conv_out = {}
        for n in self.nodes:
            a = self.attrs(n)
            ins = [env[i] if i else None for i in n.input]
            op = n.op_type
            if op == "Conv":
                pads = a.get("pads", [0, 0, 0, 0])
                h = F.pad(ins[0], (pads[1], pads[3], pads[0], pads[2]))
                y = F.conv2d(h, ins[1], ins[2] if len(ins) > 2 else None, stride=tuple(a.get("strides", [1, 1])),
                             dilation=tuple(a.get("dilations", [1, 1])), groups=a.get("group", 1))
                conv_out[n.name or n.output[0]] = y
            elif op == "Relu":
                y = F.relu(ins[0])
            elif op == "LeakyRelu":
                y = F.leaky_relu(ins[0], a.get("alpha", 0.01))
            elif op == "Sigmoid":
                y = torch.sigmoid(ins[0])
            elif op == "Tanh":
                y = torch.tanh(ins[0])
            elif op == "Elu":
                y = F.elu(ins[0], a.get("alpha", 1.0))
            elif op == "MaxPool":
                p = a.get("pads", [0, 0, 0, 0])
                y = F.max_pool2d(ins[0], tuple(a["kernel_shape"]), tuple(a.get("strides", a["kernel_shape"])), (p[0], p[1]))
            elif op == "Flatten":
                y = ins[0].flatten(a.get("axis", 1))
            elif op == "Reshape":
                y = ins[0].reshape([int(v) if v != 0 else ins[0].shape[i] for i, v in enumerate(ins[1].tolist())])
            elif op == "Gemm":
                w = ins[1].t() if a.get("transB", 0) else ins[1]
                y = a.get("alpha", 1.0) * ins[0] @ w + (a.get("beta", 1.0) * ins[2] if len(ins) > 2 else 0)
            elif op in ("Identity", "Dropout"):
                y = ins[0]
            else:
                raise SystemExit(f"unsupported op {op}")
            env[n.output[0]] = y
        return env[self.nodes[-1].output[0]], conv_out


def rconv_lenet_onnx(path):
    torch.manual_seed(0)
    act = lambda: torch.nn.LeakyReLU(0.2)  # noqa: E731
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 12, 5, 2, 2), act(), torch.nn.Conv2d(12, 16, 5, 2, 2), act(),
        torch.nn.Conv2d(16, 12, 5, 1, 2), act(), torch.nn.Conv2d(12, 3, 5, 1, 2), act(),
        torch.nn.Flatten(), torch.nn.Linear(192, 10))
    torch.onnx.export(net, torch.zeros(1, 3, 32, 32), path, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17)


def smooth_images(n, seed=1):
    g = torch.Generator().manual_seed(seed)
    low = torch.rand(n, 3, 8, 8, generator=g)
    return F.interpolate(low, size=(32, 32), mode="bicubic", align_corners=False).clamp(0, 1)


def fashion_mnist(n):
    for p in (os.path.join(ROOT, "samples", "fashion-mnist-test-2000-images-idx3-ubyte.gz"),
              "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"):
        if os.path.exists(p):
            with gzip.open(p) as f:
                img = np.frombuffer(f.read(), np.uint8, offset=16)[: n * 784].reshape(n, 1, 28, 28)
            with gzip.open(p.replace("images-idx3", "labels-idx1")) as f:
                lab = np.frombuffer(f.read(), np.uint8, offset=8)[:n]
            return torch.tensor(img.astype(np.float32) / 255.0), torch.tensor(lab.astype(np.int64))
    raise SystemExit("no Fashion-MNIST test images found")


# ---------------------------------------------------------------------------------------------- reconstruction
# The same algorithm as src/OnnxAudit.Core/Audits/RConv/{RConvReconstructor,JointSystem,ConvConstraints}.cs, written
# with torch float64 tensors and torch's own convolution kernels (the linear maps of the joint solve are applied
# matrix-free through aten.convolution_backward instead of a sparse matrix). Defaults match RConvOptions.Default.
RANK_TOL = 1e-6        # RConvOptions.RankTolerance
JOINT_TOL = 1e-9       # RConvOptions.JointTolerance (LSQR stopping tolerance)
JOINT_RES_LIMIT = 1e-2  # RConvOptions.JointResidualLimit
ACTIVATIONS = ("Relu", "LeakyRelu", "Sigmoid", "Tanh", "Elu")


def stages(chain):
    """(op, node, attrs) from the input to the first Gemm."""
    out = []
    for n in chain.nodes:
        out.append((n.op_type, n, Chain.attrs(n)))
        if n.op_type == "Gemm":
            break
    return out


def deriv_from_output(op, a, y):
    if op == "Relu":
        return (y > 0).to(y.dtype)
    if op == "LeakyRelu":
        return torch.where(y >= 0, torch.ones_like(y), torch.full_like(y, a.get("alpha", 0.01)))
    if op == "Sigmoid":
        return y * (1 - y)
    if op == "Tanh":
        return 1 - y * y
    if op == "Elu":
        return torch.where(y >= 0, torch.ones_like(y), y + a.get("alpha", 1.0))
    raise ValueError(op)


def inverse(op, a, y):
    if op == "LeakyRelu":
        return torch.where(y >= 0, y, y / a.get("alpha", 0.01))
    if op == "Sigmoid":
        y = y.clamp(1e-12, 1 - 1e-12)
        return torch.log(y / (1 - y))
    if op == "Tanh":
        return torch.atanh(y.clamp(-1 + 1e-12, 1 - 1e-12))
    if op == "Elu":
        return torch.where(y >= 0, y, torch.log((y / a.get("alpha", 1.0) + 1).clamp_min(1e-300)))
    return None


class Conv:
    """One conv layer's linear maps for a single sample (X [N,H,W], O [F,Oh,Ow], W [F,N/G,Kh,Kw]), float64."""

    def __init__(self, n, a, in_shape, out_shape, P):
        self.name = n.name or n.output[0]
        self.w = P[n.input[1]]
        self.b = P[n.input[2]] if len(n.input) > 2 and n.input[2] else torch.zeros(self.w.shape[0], dtype=torch.float64)
        self.wname = n.input[1]
        pads = a.get("pads", [0, 0, 0, 0])
        if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET") or pads[0] != pads[2] or pads[1] != pads[3]:
            raise SystemExit(f"Conv '{self.name}': the reference handles explicit symmetric pads only")
        self.stride, self.pad = list(a.get("strides", [1, 1])), [pads[0], pads[1]]
        self.dil, self.groups = list(a.get("dilations", [1, 1])), a.get("group", 1)
        self.N, self.H, self.W = in_shape
        self.F, self.cpg, self.kh, self.kw = self.w.shape
        self.fpg = self.F // self.groups
        self.Oh, self.Ow = out_shape[1], out_shape[2]

    def _bwd(self, grad_out, x_like, weight, mask):
        """aten.convolution_backward: (∂/∂input, ∂/∂weight) of conv(x, weight) contracted with grad_out."""
        return torch.ops.aten.convolution_backward(grad_out[None], x_like, weight, None, self.stride, self.pad, self.dil,
                                                   False, [0, 0], self.groups, mask)

    def forward(self, x):  # X -> W*X (no bias)
        return F.conv2d(x.reshape(1, self.N, self.H, self.W), self.w, None, self.stride, self.pad, self.dil, self.groups)[0]

    def forward_t(self, y, weight=None):  # O-shaped -> X-shaped: transpose of the forward map (weight W by default)
        w = self.w if weight is None else weight
        return self._bwd(y.reshape(self.F, self.Oh, self.Ow), self._xshape, w, [True, False, False])[0][0]

    def weight_grad(self, x, dO):  # X -> ∂ℓ/∂W[f, c_local, k, l] = Σ_pq ∂O[f,p,q]·X[c, i, j]
        return self._bwd(dO, x.reshape(1, self.N, self.H, self.W), self.w, [False, True, False])[1]

    def weight_grad_t(self, y, dO):  # W-shaped -> X-shaped: transpose of weight_grad (the gradient rows' Aᵀ)
        return self._bwd(dO, self._xshape, y, [True, False, False])[0][0]

    @property
    def _xshape(self):
        return torch.empty(1, self.N, self.H, self.W, dtype=torch.float64)

    def gradient_matrix(self, dO, grp):
        """Rows (f_local,k,l), columns (i,j) of the unpadded input; coefficient ∂O[f,p,q] (ConvConstraints.GradientMatrix)."""
        A = torch.zeros(self.fpg, self.kh, self.kw, self.H, self.W, dtype=torch.float64)
        d = dO[grp * self.fpg:(grp + 1) * self.fpg]
        sh, sw = self.stride
        for k in range(self.kh):
            for l in range(self.kw):
                i = torch.arange(self.Oh) * sh + k * self.dil[0] - self.pad[0]
                j = torch.arange(self.Ow) * sw + l * self.dil[1] - self.pad[1]
                pi, qj = (i >= 0) & (i < self.H), (j >= 0) & (j < self.W)
                A[:, k, l, i[pi][:, None], j[qj][None, :]] += d[:, pi][:, :, qj]
        return A.reshape(self.fpg * self.kh * self.kw, self.H * self.W)

    def gradient_rhs(self, dW, grp):
        """Column c_local = ∂W[f, c_local, k, l] in row order (f_local, k, l)."""
        return dW[grp * self.fpg:(grp + 1) * self.fpg].permute(0, 2, 3, 1).reshape(-1, self.cpg)


def solve_gradient_system(cv, dO, dW, tol):
    """Per group: SVD of the gradient matrix; minimum-norm X over the group's channels and the null space."""
    hw = cv.H * cv.W
    x = torch.zeros(cv.N, hw, dtype=torch.float64)
    nulls, full = [], True
    for grp in range(cv.groups):
        A, B = cv.gradient_matrix(dO, grp), cv.gradient_rhs(dW, grp)
        U, S, Vh = torch.linalg.svd(A, full_matrices=False)
        r = int((S > tol * S.max()).sum()) if S.numel() and S.max() > 0 else 0
        sol = Vh[:r].t() @ ((U[:, :r].t() @ B) / S[:r, None])
        x[grp * cv.cpg:(grp + 1) * cv.cpg] = sol.t()
        z = Vh[r:].t()  # hw x (hw - r)
        nulls.append(z)
        full = full and z.shape[1] == 0
    return x, nulls, full


def solve_combined(cv, x0, nulls, o, tol):
    """X = X0 + Z·α per channel, α from least squares of W*(X0 + Zα) + b = O (RConvReconstructor.SolveCombined)."""
    hw = cv.H * cv.W
    x = x0.clone()
    o = o.reshape(cv.F, cv.Oh * cv.Ow)
    for grp in range(cv.groups):
        z = nulls[grp]
        d = z.shape[1]
        if d == 0:
            continue
        rows, cols = cv.fpg * cv.Oh * cv.Ow, cv.cpg * d
        if rows < cols:
            return None
        wg = cv.w[grp * cv.fpg:(grp + 1) * cv.fpg]
        # column (c_local, k): the group's forward map applied to the image whose channel c_local is z[:, k]
        basis = torch.zeros(cv.cpg, d, cv.cpg, hw, dtype=torch.float64)
        for cl in range(cv.cpg):
            basis[cl, :, cl, :] = z.t()
        M = F.conv2d(basis.reshape(cols, cv.cpg, cv.H, cv.W), wg, None, cv.stride, cv.pad, cv.dil).reshape(cols, rows).t()
        xg = x[grp * cv.cpg:(grp + 1) * cv.cpg].reshape(1, cv.cpg, cv.H, cv.W)
        rhs = (o[grp * cv.fpg:(grp + 1) * cv.fpg] - cv.b[grp * cv.fpg:(grp + 1) * cv.fpg, None]).reshape(-1) \
            - F.conv2d(xg, wg, None, cv.stride, cv.pad, cv.dil).reshape(-1)
        Q, R = torch.linalg.qr(M)
        rd = R.diagonal().abs()
        if rd.min() <= tol * rd.max():
            return None
        alpha = torch.linalg.solve_triangular(R, (Q.t() @ rhs)[:, None], upper=True)[:, 0]
        x[grp * cv.cpg:(grp + 1) * cv.cpg] += (z @ alpha.reshape(cv.cpg, d).t()).t()
    return x


def lsqr(matvec, rmatvec, b, n, tol, max_iter):
    """LSQR (Paige & Saunders 1982) with the same stopping rules as JointSystem.Lsqr."""
    x = torch.zeros(n, dtype=torch.float64)
    u = b.clone()
    beta = float(u.norm())
    if beta == 0:
        return x, 0
    u /= beta
    v = rmatvec(u)
    alpha = float(v.norm())
    if alpha == 0:
        return x, 0
    v /= alpha
    w = v.clone()
    phibar, rhobar, norma2, bnorm = beta, alpha, 0.0, beta
    it = 0
    while it < max_iter:
        it += 1
        u = matvec(v) - alpha * u
        beta = float(u.norm())
        if beta > 0:
            u /= beta
        norma2 += alpha * alpha + beta * beta
        v = rmatvec(u) - beta * v
        alpha = float(v.norm())
        if alpha > 0:
            v /= alpha
        rho = (rhobar * rhobar + beta * beta) ** 0.5
        c, s = rhobar / rho, beta / rho
        theta = s * alpha
        rhobar = -c * alpha
        phi = c * phibar
        phibar *= s
        x += (phi / rho) * w
        w = v - (theta / rho) * w
        if phibar <= tol * bnorm or phibar * alpha * abs(c) <= tol * norma2 ** 0.5 * phibar or alpha == 0 or beta == 0:
            break
    return x, it


def solve_joint(cv, o, dO, dW, tol):
    """Forward rows W*X + b = O stacked on the gradient rows; blocks scaled to equal Frobenius norm, columns to unit
    norm, LSQR (JointSystem.Solve). Returns (X, forward residual, iterations)."""
    n = cv.N * cv.H * cv.W
    col_f = cv.forward_t(torch.ones(cv.F, cv.Oh, cv.Ow, dtype=torch.float64), cv.w * cv.w)  # Σ W² over rows reading (c,i,j)
    col_g = cv.weight_grad_t(torch.ones_like(cv.w), dO * dO)                                # Σ ∂O² over rows reading (c,i,j)
    wg = float((col_f.sum() / col_g.sum()) ** 0.5) if col_g.sum() > 0 else 1.0
    cn = (col_f + wg * wg * col_g).sqrt().reshape(-1)
    cn = torch.where(cn > 0, cn, torch.ones_like(cn))
    nf = cv.F * cv.Oh * cv.Ow
    bf = (o.reshape(cv.F, -1) - cv.b[:, None]).reshape(-1)
    b = torch.cat([bf, wg * dW.reshape(-1)])

    def matvec(y):
        xx = y / cn
        return torch.cat([cv.forward(xx).reshape(-1), wg * cv.weight_grad(xx, dO).reshape(-1)])

    def rmatvec(u):
        return (cv.forward_t(u[:nf]) + wg * cv.weight_grad_t(u[nf:].reshape(cv.w.shape), dO)).reshape(-1) / cn

    y, it = lsqr(matvec, rmatvec, b, n, tol, 4 * n)
    x = y / cn
    rf = float((cv.forward(x).reshape(-1) - bf).norm()) / max(float(bf.norm()), 1e-300)
    return x.reshape(cv.N, cv.H * cv.W), rf, it


class Reconstructor:
    def __init__(self, chain, image_shape):
        self.chain = chain
        self.st = stages(chain)
        self.P = {k: v.double() for k, v in chain.params.items()}
        self.shapes = []  # input shape of each stage (per sample)
        with torch.no_grad():
            env = {chain.input: torch.zeros(1, *image_shape)}
            env.update(chain.params)
            for op, n, a in self.st:
                self.shapes.append(tuple(env[n.input[0]].shape[1:]))
                if op == "Gemm":
                    break
                sub = Chain.__new__(Chain)
                sub.params, sub.input, sub.nodes = chain.params, n.input[0], [n]
                env[n.output[0]], _ = sub.forward(env[n.input[0]], chain.params)
            self.convs = {idx: Conv(n, a, self.shapes[idx], tuple(env[n.output[0]].shape[1:]), self.P)
                          for idx, (op, n, a) in enumerate(self.st) if op == "Conv"}
        self.last_methods = []

    def run(self, grads):
        """Returns (image [C,H,W] float64 or None, failure or None); self.last_methods lists (layer, method, detail)."""
        g = {k: torch.as_tensor(np.asarray(v), dtype=torch.float64) for k, v in grads.items()}
        steps = self.last_methods = []
        op, n, a = self.st[-1]
        if op != "Gemm":
            return None, f"{op} '{n.name}': no Gemm"
        if len(n.input) < 3 or not n.input[2]:
            return None, f"Gemm '{n.name}': no bias"
        al, be = a.get("alpha", 1.0), a.get("beta", 1.0)
        dW, db = g[n.input[1]], g[n.input[2]]
        Wfc = self.P[n.input[1]]
        if not a.get("transB", 0):  # stored [in, out]; use [out, in]
            dW, Wfc = dW.t(), Wfc.t()
        k = int(torch.argmax(db.abs()))
        if db[k] == 0:
            return None, f"Gemm '{n.name}': zero bias gradient"
        # why: R-CONV "Reconstructing FC Layer Input": x = β·∂W[k,:] / (α·∂b[k]); ∂x = α·Wᵀ·(∂b/β)
        value = be * dW[k] / (al * db[k])
        grad = al * (Wfc.t() @ (db / be))
        steps.append((n.name, "division", ""))
        known = True
        for idx in range(len(self.st) - 2, -1, -1):
            op, n, a = self.st[idx]
            if op in ("Flatten", "Reshape", "Identity", "Dropout"):
                continue
            if op in ("MaxPool", "AveragePool"):
                return None, f"{op} '{n.name}': not invertible"
            if op in ACTIVATIONS:
                if not known:
                    return None, f"{op} '{n.name}': output unknown"
                grad = grad * deriv_from_output(op, a, value)
                inv = inverse(op, a, value)
                known, value = inv is not None, inv
                continue
            if op != "Conv":
                return None, f"unsupported {op}"
            cv = self.convs[idx]
            dO = grad.reshape(cv.F, cv.Oh, cv.Ow)
            dWc = g[cv.wname]
            hw, rows = cv.H * cv.W, cv.fpg * cv.kh * cv.kw
            X, nulls = None, None
            if rows >= hw:
                X, nulls, full = solve_gradient_system(cv, dO, dWc, RANK_TOL)
                if full:
                    steps.append((cv.name, "gradient", ""))
                else:
                    X0, X = X, None
            if X is None:
                if not known:
                    return None, f"Conv '{cv.name}': gradient system short or rank-deficient and its output unknown"
                if nulls is None and cv.F * cv.Oh * cv.Ow + cv.N * rows >= cv.N * hw:
                    X, res, it = solve_joint(cv, value, dO, dWc, JOINT_TOL)
                    if res > JOINT_RES_LIMIT:
                        return None, f"Conv '{cv.name}': joint forward residual {res:.3g}"
                    steps.append((cv.name, "joint", f"it {it} res {res:.1e}"))
                elif nulls is not None:
                    X = solve_combined(cv, X0, nulls, value, RANK_TOL)
                    if X is None:
                        return None, f"Conv '{cv.name}': forward rows do not fix the gradient's null space"
                    steps.append((cv.name, "combined", f"free {sum(z.shape[1] for z in nulls) * cv.cpg}"))
                else:
                    return None, f"Conv '{cv.name}': gradient and forward constraints short"
            grad = cv.forward_t(dO).reshape(-1)  # ∂ℓ/∂X = convᵀ(∂ℓ/∂O)
            value, known = X.reshape(-1), True
        shape = self.shapes[0]
        return value.reshape(shape), None


def psnr(x, y):
    """Peak-1 PSNR on float32 images (as ImageMetrics.Psnr on the float32 reconstruction)."""
    x, y = np.asarray(x, np.float32).astype(np.float64), np.asarray(y, np.float32).astype(np.float64)
    mse = float(((x - y) ** 2).mean())
    return 10 * np.log10(1.0 / mse) if mse > 0 else float("inf")


# ---------------------------------------------------------------------------------------------- jobs
def model_path(name):
    return os.path.join(OUT, "rconv_lenet.onnx") if name == "rconv_lenet" else os.path.join(ROOT, "models", name + ".onnx")


def data_for(name, n=10):
    if name == "rconv_lenet":
        x = smooth_images(n)
        y = torch.tensor(np.random.default_rng(2).integers(0, 10, n), dtype=torch.int64)
        return x, y
    return fashion_mnist(n)


def single_sample_grads(chain, x, y):
    params = {k: v.clone().requires_grad_(True) for k, v in chain.params.items() if v.dtype == torch.float32}
    logits, conv_out = chain.forward(x[None], params)
    for t in conv_out.values():
        t.retain_grad()
    loss = F.cross_entropy(logits, y[None])
    loss.backward()
    grads = {k: v.grad.detach().numpy().copy() for k, v in params.items() if v.grad is not None}
    outg = {"dO:" + k: v.grad[0].detach().numpy().copy() for k, v in conv_out.items()}
    return grads, outg


def load_fixture(name, out):
    """(chain, images, gradients per image, meta) of a fixture written by `fixtures`."""
    meta = json.load(open(os.path.join(out, name + ".json")))
    chain = Chain(os.path.join(ROOT, meta["model"]))
    x = np.load(os.path.join(out, name + ".images.npy"))
    allg = np.load(os.path.join(out, name + ".grads.npy"))
    grads = [{e["name"]: allg[i, e["offset"]:e["offset"] + int(np.prod(e["shape"]))].reshape(e["shape"])
              for e in meta["index"] if not e["name"].startswith("dO:")} for i in range(x.shape[0])]
    return chain, x, grads, meta


def reference_psnrs(name, out):
    """Runs the reconstruction on the stored gradients and writes reference_psnr_db / reference_failure into the json."""
    chain, x, grads, meta = load_fixture(name, out)
    rec = Reconstructor(chain, tuple(x.shape[1:]))
    psnrs, reasons = [], []
    for i, g in enumerate(grads):
        img, why = rec.run(g)
        psnrs.append(psnr(img.numpy(), x[i]) if img is not None else None)
        reasons.append(why)
    meta["reference_psnr_db"], meta["reference_failure"] = psnrs, reasons
    meta["reference_methods"] = [f"{l}: {m} {d}".strip() for l, m, d in rec.last_methods]
    with open(os.path.join(out, name + ".json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(name, "psnr", ["%.1f" % p if p is not None else None for p in psnrs], reasons[0], file=sys.stderr)


def fixtures(names, out, export):
    os.makedirs(out, exist_ok=True)
    if export and "rconv_lenet" in names:
        rconv_lenet_onnx(model_path("rconv_lenet"))
    for name in names:
        path = model_path(name)
        if not os.path.exists(path):
            print(f"skip {name}: {path} not found", file=sys.stderr)
            continue
        chain = Chain(path)
        x, y = data_for(name)
        rows, index = [], None
        for i in range(x.shape[0]):
            grads, outg = single_sample_grads(chain, x[i], y[i])
            allg = {**grads, **outg}
            if index is None:
                index, off = [], 0
                for k, v in allg.items():
                    index.append({"name": k, "offset": off, "shape": list(v.shape)})
                    off += v.size
            rows.append(np.concatenate([allg[e["name"]].ravel() for e in index]).astype(np.float32))
        np.save(os.path.join(out, name + ".images.npy"), x.numpy().astype(np.float32))
        np.save(os.path.join(out, name + ".labels.npy"), y.numpy().astype(np.int64))
        np.save(os.path.join(out, name + ".grads.npy"), np.stack(rows))
        meta = {"model": os.path.relpath(path, ROOT), "images": "smooth random 3x32x32 (8x8 uniform noise, bicubic x4, clip)"
                if name == "rconv_lenet" else "first 10 Fashion-MNIST test images",
                "loss": "cross-entropy, single sample", "index": index}
        with open(os.path.join(out, name + ".json"), "w") as f:
            json.dump(meta, f, indent=1)
        reference_psnrs(name, out)


def reconstruct(name, out, repeats):
    """Per-image reconstruction time (warm: one untimed run first; best of `repeats`) and PSNR, as one JSON line."""
    chain, x, grads, _ = load_fixture(name, out)
    t0 = time.perf_counter()
    rec = Reconstructor(chain, tuple(x.shape[1:]))
    setup = time.perf_counter() - t0
    rec.run(grads[0])
    times, psnrs = [], []
    for i, g in enumerate(grads):
        best = None
        for _ in range(repeats):
            t = time.perf_counter()
            img, why = rec.run(g)
            dt = time.perf_counter() - t
            best = dt if best is None else min(best, dt)
        times.append(best)
        psnrs.append(psnr(img.numpy(), x[i]) if img is not None else None)
    print(json.dumps({"model": name, "impl": "pytorch", "threads": torch.get_num_threads(), "seconds_per_image": times,
                      "mean_seconds_per_image": float(np.mean(times)), "setup_seconds": setup, "psnr_db": psnrs,
                      "methods": [f"{l}: {m} {d}".strip() for l, m, d in rec.last_methods]}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("job", choices=["fixtures", "refresh", "reconstruct"])
    ap.add_argument("--model", default="rconv_lenet", help="fixture name (rconv_lenet, cnn6, lenet5)")
    ap.add_argument("--out", default=OUT, help="fixture directory (default tests/reference/rconv)")
    ap.add_argument("--export", action="store_true", help="fixtures: re-export rconv_lenet.onnx from PyTorch")
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args()
    if args.job == "fixtures":
        fixtures([args.model], args.out, args.export)
    elif args.job == "refresh":
        reference_psnrs(args.model, args.out)
    else:
        reconstruct(args.model, args.out, args.repeats)


if __name__ == "__main__":
    main()
