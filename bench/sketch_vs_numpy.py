"""Sketch-and-precondition (regula, CPU f64) vs numpy.linalg.lstsq on the same A, b, in one run.

A (n x d) has Gaussian entries with column scales exp(1.5 g) (condition number ~ 6e3), b = A x + noise.
numpy's time: median of 3 lstsq calls. regula's: the median per-trial time of `regula sketch --solver
precondition` (sketch, QR of SA, LSQR to --tol; reading the file and the reference QR are not timed).
Accuracy: numpy's relative normal-equation residual ||A^T r|| / (||A|| ||r||), regula's worst
||x - x*|| / ||x*|| against its own direct QR, and the two direct solutions' relative difference.
"""
import argparse
import json
import os
import subprocess
import tempfile
import time

import numpy as np

p = argparse.ArgumentParser()
p.add_argument("--n", type=int, default=100_000)
p.add_argument("--d", type=int, default=200)
p.add_argument("--m", default="4000,8000", help="sketch sizes to try (comma-separated)")
p.add_argument("--sketch", default="countsketch,osnap")
p.add_argument("--tol", default="1e-14")
args = p.parse_args()

rng = np.random.default_rng(0)
A = rng.standard_normal((args.n, args.d)) * np.exp(1.5 * rng.standard_normal(args.d))
b = A @ rng.standard_normal(args.d) + rng.standard_normal(args.n)
with tempfile.TemporaryDirectory() as tmp:
    np.save(os.path.join(tmp, "A.npy"), A)
    np.save(os.path.join(tmp, "b.npy"), b)
    times = []
    for _ in range(3):
        t = time.perf_counter()
        x = np.linalg.lstsq(A, b, rcond=None)[0]
        times.append(time.perf_counter() - t)
    numpy_s = sorted(times)[1]
    r = b - A @ x
    smax = np.linalg.norm(A, 2)
    print(f"numpy.linalg.lstsq  {args.n} x {args.d}: {numpy_s:.3f} s, "
          f"normal-equation residual {np.linalg.norm(A.T @ r) / (smax * np.linalg.norm(r)):.1e}")
    out = subprocess.run(
        ["target/release/regula", "sketch", "--backend", "cpu", "--matrix", os.path.join(tmp, "A.npy"),
         "--rhs", os.path.join(tmp, "b.npy"), "--solver", "precondition", "--sketch", args.sketch,
         "--m", args.m, "--trials", "3", "--tol", args.tol, "--json"],
        check=True, capture_output=True, text=True).stdout
    res = json.loads(out.strip().splitlines()[-1])
    print(f"regula direct QR (faer, reference x*): {res['exact_seconds']:.3f} s")
    best = None
    for cell in res.get("cells", [res]):
        ratio = cell["seconds"] / numpy_s
        print(f"regula {cell['sketch']:<11} m = {cell['m']:>5}: {cell['seconds']:.3f} s per solve, "
              f"{cell['lsqr_iterations']:.0f} LSQR iterations, ||x - x*||/||x*|| <= {cell['relative_error_vs_exact']:.1e}"
              f"  -> ratio to numpy {ratio:.2f}")
        best = ratio if best is None else min(best, ratio)
    print(f"best ratio regula / numpy: {best:.2f} (goal <= 0.5); per pass over A the solve is bandwidth-bound: "
          f"{A.nbytes / 1e6:.0f} MB per LSQR iteration (one fused pass gives A z and A^T A z)")
