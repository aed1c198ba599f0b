"""The digits the page embeds, as bytes (about 11 kB less to transfer, gzip, than the CSVs, which stay the
readable sources). Run from the repository root: python3 tools/make_digit_bins.py
- static/data/digits8.bin from digits8.csv: the 1,797 8×8 digits pixel-major — 65 planes of 1,797 bytes
  (plane p < 64: pixel p of every image, 0..16; plane 64: the labels);
- static/data/digits28.bin from digits28.csv: the ten 28×28 images, one record of 785 bytes each (the label,
  then the pixels row-major, 0..255).
"""
rows = [list(map(int, l.split(","))) for l in open("static/data/digits8.csv") if l.strip()]
assert all(len(r) == 65 for r in rows) and len(rows) == 1797
planes = bytes(r[p] for p in range(65) for r in rows)
open("static/data/digits8.bin", "wb").write(planes)
print(len(rows), "8×8 images,", len(planes), "bytes")

rows = [list(map(int, l.split(","))) for l in open("static/data/digits28.csv") if l.strip()]
assert all(len(r) == 785 and all(0 <= v <= 255 for v in r) for r in rows) and len(rows) == 10
records = bytes(v for r in rows for v in r)
open("static/data/digits28.bin", "wb").write(records)
print(len(rows), "28×28 images,", len(records), "bytes")
