#!/usr/bin/python3
"""Writes an ImageFolder of 3x64x64 PNGs (one sub-folder per class 0-9) from the first N bundled Fashion-MNIST test
images: resized 28 -> 64 (bilinear) and tinted per sample (RGB = gray * c, c in [0.4, 1]^3, seeded), for the federated
report runs on torchvision models at 64x64. usage: /usr/bin/python3 bench/make_rgb64_folder.py OUTDIR [N]"""
import gzip, os, sys
import numpy as np
from PIL import Image

root = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
def idx(p):
    d = gzip.open(p).read()
    dims = [int.from_bytes(d[4 + 4 * i:8 + 4 * i], "big") for i in range(d[3])]
    return np.frombuffer(d, np.uint8, offset=4 + 4 * d[3]).reshape(dims)
img = idx(os.path.join(root, "samples", "fashion-mnist-test-2000-images-idx3-ubyte.gz"))
lab = idx(os.path.join(root, "samples", "fashion-mnist-test-2000-labels-idx1-ubyte.gz"))
rng = np.random.default_rng(7)
for i in range(n):
    g = np.asarray(Image.fromarray(img[i]).resize((64, 64), Image.BILINEAR), np.float64)
    c = 0.4 + 0.6 * rng.random(3)
    rgb = np.clip(g[:, :, None] * c[None, None, :], 0, 255).astype(np.uint8)
    d = os.path.join(out, str(int(lab[i])))
    os.makedirs(d, exist_ok=True)
    Image.fromarray(rgb, "RGB").save(os.path.join(d, f"{i:04d}.png"))
