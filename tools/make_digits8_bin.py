"""static/data/digits8.bin from static/data/digits8.csv: the same 1,797 8×8 digits as bytes, pixel-major —
65 planes of 1,797 bytes (plane p < 64: pixel p of every image, 0..16; plane 64: the labels). The page
embeds this file (about 9 kB less gzip than the CSV); the CSV stays the readable source.
Run from the repository root: python3 tools/make_digits8_bin.py
"""
rows = [list(map(int, l.split(","))) for l in open("static/data/digits8.csv") if l.strip()]
assert all(len(r) == 65 for r in rows) and len(rows) == 1797
planes = bytes(r[p] for p in range(65) for r in rows)
open("static/data/digits8.bin", "wb").write(planes)
print(len(rows), "images,", len(planes), "bytes")
