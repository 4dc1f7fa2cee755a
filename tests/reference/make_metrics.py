#!/usr/bin/python3
"""Reference values for OnnxAudit.Metrics.ImageMetrics (MSE, PSNR, Gaussian SSIM).

Writes tests/reference/metrics/: one float32 .npy pair per case (case_K_x.npy, case_K_y.npy, shape C×H×W)
and cases.json with mse, psnr and ssim computed here in float64.

SSIM follows Wang et al. 2004 with the scikit-image convention
structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1):
separable normalised Gaussian (sigma 1.5, truncate 3.5 -> radius 5, 11 taps), 'reflect' boundary
(scipy.ndimage: d c b a | a b c d | d c b a), population covariance, SSIM map averaged over the valid
region (5-pixel border cropped), then averaged over channels.  The filter is implemented with numpy only;
when scipy is importable it is cross-checked against scipy.ndimage.gaussian_filter.

Run: /usr/bin/python3 tests/reference/make_metrics.py   (numpy only; deterministic)
"""
import json
import math
import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "metrics")
SIGMA, TRUNCATE, K1, K2, L = 1.5, 3.5, 0.01, 0.03, 1.0


def kernel():
    r = int(TRUNCATE * SIGMA + 0.5)
    t = np.arange(-r, r + 1, dtype=np.float64)
    k = np.exp(-0.5 * t * t / (SIGMA * SIGMA))
    return k / k.sum()


def reflect_index(i, n):
    period = 2 * n
    i = np.mod(i, period)
    return np.where(i < n, i, period - 1 - i)


def filt(img):
    k = kernel()
    r = len(k) // 2
    h, w = img.shape
    cols = reflect_index(np.arange(w)[:, None] + np.arange(-r, r + 1)[None, :], w)  # w x taps
    tmp = (img[:, cols] * k[None, None, :]).sum(axis=2)
    rows = reflect_index(np.arange(h)[:, None] + np.arange(-r, r + 1)[None, :], h)  # h x taps
    return (tmp[rows, :] * k[None, :, None]).sum(axis=1)


def ssim_plane(x, y):
    x = x.astype(np.float64)
    y = y.astype(np.float64)
    ux, uy = filt(x), filt(y)
    uxx, uyy, uxy = filt(x * x), filt(y * y), filt(x * y)
    vx, vy, vxy = uxx - ux * ux, uyy - uy * uy, uxy - ux * uy
    c1, c2 = (K1 * L) ** 2, (K2 * L) ** 2
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
    pad = (len(kernel()) - 1) // 2
    return s[pad:-pad, pad:-pad].mean()


def ssim(x, y):
    return float(np.mean([ssim_plane(x[c], y[c]) for c in range(x.shape[0])]))


def check_against_scipy():
    try:
        from scipy.ndimage import gaussian_filter
    except ImportError:
        print("scipy not available: filter cross-check skipped")
        return
    rng = np.random.default_rng(7)
    for shape in [(28, 28), (11, 13), (4, 3)]:
        a = rng.random(shape)
        ref = gaussian_filter(a, sigma=SIGMA, truncate=TRUNCATE, mode="reflect")
        assert np.allclose(filt(a), ref, rtol=0, atol=1e-12), shape
    print("filter matches scipy.ndimage.gaussian_filter (mode=reflect)")


def main():
    check_against_scipy()
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20240611)
    cases = []

    def add(name, x, y):
        x = x.astype(np.float32)
        y = y.astype(np.float32)
        k = len(cases)
        np.save(os.path.join(OUT, f"case_{k}_x.npy"), x)
        np.save(os.path.join(OUT, f"case_{k}_y.npy"), y)
        mse = float(np.mean((x.astype(np.float64) - y.astype(np.float64)) ** 2))
        cases.append({
            "name": name, "x": f"case_{k}_x.npy", "y": f"case_{k}_y.npy", "shape": list(x.shape),
            "mse": mse, "psnr": (10 * math.log10(1 / mse)) if mse > 0 else "inf", "ssim": ssim(x, y),
            "tol_ssim_atol": 1e-6, "tol_mse_rtol": 1e-6,
        })

    a = rng.random((1, 28, 28))
    add("gray28_noise0.1", a, np.clip(a + 0.1 * rng.standard_normal(a.shape), 0, 1))
    smooth = filt(rng.random((28, 28)))[None]
    add("gray28_smooth_vs_shift", smooth, np.roll(smooth, 1, axis=2))
    b = rng.random((3, 32, 32))
    add("rgb32_noise0.05", b, np.clip(b + 0.05 * rng.standard_normal(b.shape), 0, 1))
    c = rng.random((1, 11, 11))
    add("gray11_min_window", c, c * 0.5 + 0.25)
    d = rng.random((2, 16, 20))
    add("two_channel_16x20_unrelated", d, rng.random((2, 16, 20)))
    e = np.zeros((1, 12, 12))
    e[:, :, 6:] = 1.0
    add("edge_vs_inverted", e, 1.0 - e)
    add("identical", b, b)

    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump({"generator": "tests/reference/make_metrics.py", "numpy": np.__version__,
                   "ssim_convention": "skimage gaussian_weights=True, sigma 1.5, truncate 3.5, reflect, valid-region mean",
                   "cases": cases}, f, indent=1)
    for cse in cases:
        print(cse["name"], cse["mse"], cse["psnr"], cse["ssim"])


if __name__ == "__main__":
    main()
