#!/usr/bin/env python3
"""Makes static/data/digits28.csv: one 28x28 image per digit 0-9 for the OT lab's grid densities.

Source: the first image of each label in static/data/digits.csv.gz (UCI Optical Recognition of Handwritten
Digits, as distributed with scikit-learn; CC BY 4.0), upsampled from 8x8 to 28x28 by bilinear interpolation
and scaled to 0..255. Output: one line per image, `label,p0,...,p783` (row-major). Pure Python; rerun with
`python3 tools/make_digits28.py` from the repository root.
"""
import gzip

rows = [list(map(int, line.split(","))) for line in gzip.open("static/data/digits.csv.gz", "rt")]
first = {}
for r in rows:
    first.setdefault(r[64], r[:64])


def upsample(img, size=28):
    out = []
    for i in range(size):
        y = i * 7 / (size - 1)
        y0 = min(int(y), 6)
        fy = y - y0
        for j in range(size):
            x = j * 7 / (size - 1)
            x0 = min(int(x), 6)
            fx = x - x0
            v = (img[y0 * 8 + x0] * (1 - fx) * (1 - fy) + img[y0 * 8 + x0 + 1] * fx * (1 - fy)
                 + img[(y0 + 1) * 8 + x0] * (1 - fx) * fy + img[(y0 + 1) * 8 + x0 + 1] * fx * fy)
            out.append(round(v * 255 / 16))
    return out


with open("static/data/digits28.csv", "w") as f:
    for label in range(10):
        f.write(",".join(map(str, [label] + upsample(first[label]))) + "\n")
