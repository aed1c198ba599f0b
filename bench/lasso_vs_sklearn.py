"""The Lasso path: Regula's coordinate descent (`regula bench lasso-path`, f64, one thread) vs scikit-learn's
`lasso_path` (Cython coordinate descent), on the same data, side by side in one run (issue 26's goal: at most
1x its time, the same coefficients to 1e-8).

Both solve min (1/2N)||y - Xw||^2 + lambda ||w||_1 on the same grid (100 lambda from lambda_max down to
1e-3 lambda_max, warm starts) and stop each lambda by the same rule (duality gap <= tol ||y||^2). The
coefficient check runs both at tol 1e-12; the timing at scikit-learn's default tol 1e-4 and at 1e-8.
Ratios are ours / scikit-learn's: below 1 means we are faster. Run: bench/lasso.sh [--quick]
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import sklearn
from sklearn.linear_model import lasso_path

QUICK = "--quick" in sys.argv
REGULA = "target/release/regula"
REPS = 3 if QUICK else 7


def design(n, d, rho, seed):
    """AR(1) rows (adjacent columns correlated rho), a 6-sparse signal, noise 0.1 (the solvers lab's)."""
    rng = np.random.default_rng(seed)
    x = np.empty((n, d))
    x[:, 0] = rng.standard_normal(n)
    c = np.sqrt(1 - rho * rho)
    for j in range(1, d):
        x[:, j] = rho * x[:, j - 1] + c * rng.standard_normal(n)
    w = np.zeros(d)
    w[rng.choice(d, 6, replace=False)] = rng.choice([-1.0, 1.0], 6)
    return x, x @ w + 0.1 * rng.standard_normal(n)


def ours(xf, yf, tol, out=None):
    args = [REGULA, "bench", "lasso-path", "--x", xf, "--y", yf, "--points", "100", "--eps", "1e-3",
            "--tol", str(tol), "--reps", str(REPS), "--json"]
    if out:
        args += ["--out", out]
    r = subprocess.run(args, check=True, capture_output=True, text=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def theirs(x, y, tol):
    times = []
    for _ in range(REPS):
        t = time.perf_counter()
        alphas, coefs, _ = lasso_path(x, y, eps=1e-3, n_alphas=100, tol=tol, max_iter=100_000)
        times.append(time.perf_counter() - t)
    return float(np.median(times)), alphas, coefs


print(f"scikit-learn {sklearn.__version__}, numpy {np.__version__}; median of {REPS} runs each")
print(f"{'N':>5} {'d':>5} {'rho':>4} {'tol':>6} {'ours s':>9} {'sklearn s':>10} {'ratio':>6} {'max |dw| (tol 1e-12)':>22}")
rows = []
with tempfile.TemporaryDirectory() as tmp:
    for n, d, rho in ([(200, 500, 0.9)] if QUICK else [(200, 500, 0.5), (200, 500, 0.9), (1000, 200, 0.9), (500, 2000, 0.5)]):
        x, y = design(n, d, rho, 0)
        xf, yf, cf = (os.path.join(tmp, f) for f in ("x.npy", "y.npy", "c.npy"))
        np.save(xf, np.ascontiguousarray(x))
        np.save(yf, y)
        # Coefficients at a tight tolerance: the same path.
        ours(xf, yf, 1e-12, cf)
        _, alphas, coefs = theirs(x, y, 1e-12)
        ours_c = np.load(cf)  # points x d
        diff = float(np.max(np.abs(ours_c - coefs.T)))
        for tol in (1e-4, 1e-8):
            o = ours(xf, yf, tol)
            t, _, _ = theirs(x, y, tol)
            ratio = o["seconds"] / t
            print(f"{n:>5} {d:>5} {rho:>4} {tol:>6.0e} {o['seconds']:>9.4f} {t:>10.4f} {ratio:>6.2f} {diff:>22.2e}")
            rows.append({"n": n, "d": d, "rho": rho, "tol": tol, "ours_seconds": o["seconds"], "sklearn_seconds": t, "ratio": ratio, "max_coef_diff": diff})
print(json.dumps({"rows": rows}))
