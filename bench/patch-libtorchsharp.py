#!/usr/bin/env python3
"""Mark libLibTorchSharp.so's GLIBCXX_3.4.32 version requirement weak (bench only, never the product).

why: TorchSharp 0.107.0's native library asks for GLIBCXX_3.4.32 (GCC 13); Debian 12's libstdc++6 (12.2.0) stops at
3.4.30, so the loader refuses the file. The one symbol bound to that version is never called by the benchmarks, so
setting VER_FLG_WEAK (0x2) in the .gnu.version_r entry lets ld.so load it (a missing weak version is only a warning).
usage: bench/patch-libtorchsharp.py FILE...   (idempotent; patches in place: give it the copies in bench's output)
"""
import struct
import sys

WANT = b"GLIBCXX_3.4.32"
VER_FLG_WEAK = 0x2


def patch(path):
    with open(path, "r+b") as f:
        data = bytearray(f.read())
        if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            sys.exit(f"{path}: not a little-endian ELF64 file")
        shoff, = struct.unpack_from("<Q", data, 0x28)
        shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
        sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
        SHT_GNU_verneed = 0x6FFFFFFE
        done = 0
        for sh in sections:
            if sh[1] != SHT_GNU_verneed:
                continue
            strtab = sections[sh[6]]  # sh_link: the dynamic string table
            stroff = strtab[4]
            off = sh[4]
            while True:
                vn_version, vn_cnt, vn_file, vn_aux, vn_next = struct.unpack_from("<HHIII", data, off)
                aoff = off + vn_aux
                for _ in range(vn_cnt):
                    vna_hash, vna_flags, vna_other, vna_name, vna_next = struct.unpack_from("<IHHII", data, aoff)
                    end = data.index(b"\0", stroff + vna_name)
                    if bytes(data[stroff + vna_name:end]) == WANT:
                        struct.pack_into("<H", data, aoff + 4, vna_flags | VER_FLG_WEAK)
                        done += 1
                    if vna_next == 0:
                        break
                    aoff += vna_next
                if vn_next == 0:
                    break
                off += vn_next
        if done == 0:
            print(f"{path}: no {WANT.decode()} requirement (nothing to do)")
            return
        f.seek(0)
        f.write(data)
        print(f"{path}: {WANT.decode()} marked weak")


for p in sys.argv[1:]:
    patch(p)
