#!/usr/bin/python3
"""PNG fixtures for the OnnxAudit.Imaging.ImageDecoder tests (ImageCodecTests), written by independent encoders.

Writes tests/reference/png/: PNG files made by Pillow (gray, gray+alpha, RGB, RGBA, 4-bit palette, palette with
tRNS, 1-bit gray, 16-bit gray) and by a small encoder in this script that uses every filter type (0-4, cycling by row). For each decodable file NAME.png the expected
8-bit pixels (H x W x C, as Pillow decodes them; palette expanded to RGB/RGBA) are saved as NAME.npy, and
manifest.json lists the filter types found in each file's rows.

Run: /usr/bin/python3 tests/reference/make_png.py   (numpy + Pillow; deterministic)
"""
import json
import os
import struct
import zlib

import numpy as np
from PIL import Image

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "png")


def chunks(data):
    pos = 8
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        yield data[pos + 4:pos + 8].decode("ascii"), data[pos + 8:pos + 8 + n]
        pos += 12 + n


def filter_types(path):
    data = open(path, "rb").read()
    ihdr = next(c for t, c in chunks(data) if t == "IHDR")
    w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", ihdr)
    if interlace or depth != 8:
        return None
    bpp = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype]
    raw = zlib.decompress(b"".join(c for t, c in chunks(data) if t == "IDAT"))
    stride = w * bpp
    return sorted({raw[y * (stride + 1)] for y in range(h)})


def write_all_filters(path, pix):
    """RGB 8-bit PNG whose row y uses filter y % 5 (forward filters per PNG spec 9.2)."""
    h, w, c = pix.shape
    bpp, stride = c, w * c
    rows = pix.reshape(h, stride).astype(np.int32)
    out = bytearray()
    for y in range(h):
        f = y % 5
        cur = rows[y]
        prev = rows[y - 1] if y > 0 else np.zeros(stride, np.int32)
        left = np.concatenate([np.zeros(bpp, np.int32), cur[:-bpp]])
        upleft = np.concatenate([np.zeros(bpp, np.int32), prev[:-bpp]])
        if f == 0:
            pred = np.zeros(stride, np.int32)
        elif f == 1:
            pred = left
        elif f == 2:
            pred = prev
        elif f == 3:
            pred = (left + prev) // 2
        else:
            p = left + prev - upleft
            pa, pb, pc = abs(p - left), abs(p - prev), abs(p - upleft)
            pred = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, prev, upleft))
        out.append(f)
        out += bytes(((cur - pred) % 256).astype(np.uint8))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(bytes(out), 9)) + chunk(b"IEND", b"")
    open(path, "wb").write(png)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(5)
    h, w = 13, 17
    yy, xx = np.mgrid[0:h, 0:w]
    smooth = (xx * 9 + yy * 5).astype(np.uint8)
    noisy = rng.integers(0, 256, size=(h, w), dtype=np.uint8)
    gray = np.where(xx < 8, smooth, noisy).astype(np.uint8)
    rgb = np.stack([gray, smooth, 255 - gray], axis=2).astype(np.uint8)
    alpha = (xx * 15).astype(np.uint8)
    manifest = {}

    def save(name, img, expected_mode):
        path = os.path.join(OUT, name + ".png")
        img.save(path)
        expected = np.asarray(Image.open(path).convert(expected_mode))
        if expected.ndim == 2:
            expected = expected[:, :, None]
        np.save(os.path.join(OUT, name + ".npy"), np.ascontiguousarray(expected, dtype=np.uint8))
        manifest[name] = {"mode": img.mode, "shape": list(expected.shape), "filters": filter_types(path)}

    save("gray", Image.fromarray(gray, "L"), "L")
    save("gray_alpha", Image.fromarray(np.stack([gray, alpha], axis=2), "LA"), "LA")
    save("rgb", Image.fromarray(rgb, "RGB"), "RGB")
    save("rgba", Image.fromarray(np.concatenate([rgb, alpha[:, :, None]], axis=2), "RGBA"), "RGBA")
    pal = Image.fromarray(rgb, "RGB").quantize(colors=16, method=Image.Quantize.MEDIANCUT)
    save("palette", pal, "RGB")
    pal_t = pal.copy()
    pal_t.info["transparency"] = bytes([0, 128] + [255] * 14)
    path = os.path.join(OUT, "palette_trns.png")
    pal_t.save(path, transparency=bytes([0, 128] + [255] * 14))
    expected = np.asarray(Image.open(path).convert("RGBA"))
    np.save(os.path.join(OUT, "palette_trns.npy"), np.ascontiguousarray(expected))
    manifest["palette_trns"] = {"mode": "P+tRNS", "shape": list(expected.shape), "filters": filter_types(path)}

    save("bilevel_1bit", Image.fromarray(gray > 128).convert("1"), "L")
    write_all_filters(os.path.join(OUT, "all_filters.png"), rgb)
    np.save(os.path.join(OUT, "all_filters.npy"), rgb)
    manifest["all_filters"] = {"mode": "RGB", "shape": list(rgb.shape), "filters": filter_types(os.path.join(OUT, "all_filters.png"))}

    Image.fromarray((gray.astype(np.uint16) * 257), "I;16").save(os.path.join(OUT, "gray16.png"))
    manifest["gray16"] = {"mode": "I;16", "note": "16-bit: must be rejected"}

    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump({"generator": "tests/reference/make_png.py", "pillow": Image.__version__, "files": manifest}, f, indent=1)
    print(json.dumps(manifest, indent=1))


if __name__ == "__main__":
    main()
