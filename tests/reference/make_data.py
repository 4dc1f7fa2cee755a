#!/usr/bin/python3
"""Small .npy fixtures written by numpy itself, for OnnxAudit.Data.NpyReader / DatasetLoader tests.

Writes tests/reference/data/ (every file < 4 KB) and expected.json describing each one.
Run: /usr/bin/python3 tests/reference/make_data.py   (numpy only; deterministic)
"""
import json
import os

import numpy as np
from numpy.lib import format as npf

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(11)
    expected = {}

    def save(name, arr, version=None, note=""):
        path = os.path.join(OUT, name)
        if version is None:
            np.save(path, arr)
        else:
            with open(path, "wb") as f:
                npf.write_array(f, arr, version=version)
        expected[name] = {"shape": list(arr.shape), "dtype": arr.dtype.str, "version": version or "default",
                          "sum": float(np.asarray(arr, dtype=np.float64).sum()) if arr.dtype.kind in "fiub" else None,
                          "first": float(np.asarray(arr).ravel(order="K")[0]) if arr.dtype.kind in "fiub" and arr.size else None,
                          "note": note}

    gray_u8 = rng.integers(0, 256, size=(5, 6, 7), dtype=np.uint8)
    save("gray_u8_5x6x7.npy", gray_u8, note="N x H x W uint8")
    save("gray_u8_5x6x7.labels.npy", np.array([3, 1, 4, 1, 5], dtype=np.int32), note="labels beside the images")
    nchw = rng.random((4, 3, 5, 6), dtype=np.float32)
    save("rgb_f4_nchw_4x3x5x6.npy", nchw)
    save("rgb_f4_nhwc_4x5x6x3.npy", np.ascontiguousarray(nchw.transpose(0, 2, 3, 1)), note="same images as the NCHW file")
    save("f8_2x3.npy", np.arange(6, dtype=np.float64).reshape(2, 3) / 8)
    save("f4_big_endian_2x3.npy", (np.arange(6, dtype=np.float32).reshape(2, 3) / 8).astype(">f4"))
    save("f4_v2_2x3.npy", np.arange(6, dtype=np.float32).reshape(2, 3) / 8, version=(2, 0))
    save("f4_v3_2x3.npy", np.arange(6, dtype=np.float32).reshape(2, 3) / 8, version=(3, 0))
    save("f4_fortran_2x3.npy", np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)), note="must be rejected")
    save("i8_labels_4.npy", np.array([0, 9, 2, 7], dtype=np.int64))
    save("u1_labels_4.npy", np.array([0, 9, 2, 7], dtype=np.uint8))
    save("bool_3.npy", np.array([True, False, True]))
    save("scalar_f4.npy", np.float32(2.5))
    save("f4_0_255_2x4x4.npy", (rng.random((2, 4, 4)) * 255).astype(np.float32), note="unscaled floats: must be rejected")
    save("c8_complex_2.npy", np.array([1 + 2j, 3j], dtype=np.complex64), note="unsupported dtype")
    save("structured_2.npy", np.zeros(2, dtype=[("a", "<f4"), ("b", "<i4")]), note="structured dtype: rejected")

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump({"generator": "tests/reference/make_data.py", "numpy": np.__version__, "files": expected}, f, indent=1)
    print(f"wrote {len(expected)} files to {OUT}")


if __name__ == "__main__":
    main()
