"""Log-domain Sinkhorn: Regula's native CPU path vs OTT-JAX, side by side in one run (issue 31).

The peer people pick for stable, log-domain Sinkhorn is OTT-JAX (`Sinkhorn(lse_mode=True)`). Both sides solve
uniform 2-D point clouds in [0,1]^2, squared Euclidean cost divided by its largest entry, eps = 0.01, f64, on
this machine's CPU cores. Ours: `regula ot --method log-sinkhorn --backend cpu` (release build); OTT-JAX: jax
on the CPU with x64 enabled, jit-compiled and warmed before timing.

Time per iteration is the slope between N1 = 50 and N2 = 300 iterations, (T(N2) - T(N1)) / (N2 - N1), so
neither side's set-up (the cost matrix, jit compilation, process start) counts; each round runs both sides
back to back and gives one ratio; the figure is the median of the rounds' ratios (ours / OTT's: below 1 means
ours is faster). Both sides do what a user gets by default on top of the iterations: OTT checks its marginal
error every `inner_iterations` = 10 iterations; ours reports a frame (marginal error, <C,P>, dual) on the
CLI's schedule.

Then the time to a tolerance, from scratch (OTT's jit compilation excluded, our process start excluded): the
l1 marginal error <= 1e-6 (ours: both marginals summed; OTT: its `threshold` on its marginal error, checked
every 10 iterations), median of 3 runs each. Run: bench/ot.sh --ott [--quick]
"""
import json
import os
import subprocess
import sys
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import ott  # noqa: E402
from ott.geometry import pointcloud  # noqa: E402
from ott.problems.linear import linear_problem  # noqa: E402
from ott.solvers.linear import sinkhorn  # noqa: E402

QUICK = "--quick" in sys.argv
REGULA = "target/release/regula"
EPS = 0.01
N1, N2 = 50, 300
ROUNDS = 3 if QUICK else 7


def regula(n, iters):
    out = subprocess.run(
        [REGULA, "ot", "--problem", "uniform", "--n", str(n), "--m", str(n), "--eps", str(EPS), "--method",
         "log-sinkhorn", "--backend", "cpu", "--tol", "1e-16", "--max-iter", str(iters), "--json"],
        check=True, capture_output=True, text=True)
    run = json.loads(out.stdout.strip().splitlines()[-1])
    if run["iterations"] != iters:
        sys.exit(f"ours stopped after {run['iterations']} of {iters} iterations at n = {n}: raise eps")
    return run["seconds"]


TOL = 1e-6


def regula_to_tol(n):
    out = subprocess.run(
        [REGULA, "ot", "--problem", "uniform", "--n", str(n), "--m", str(n), "--eps", str(EPS), "--method",
         "log-sinkhorn", "--backend", "cpu", "--tol", str(TOL), "--max-iter", "100000", "--json"],
        check=True, capture_output=True, text=True)
    run = json.loads(out.stdout.strip().splitlines()[-1])
    return run["seconds"], run["iterations"]


def ott_to_tol(n):
    rng = np.random.default_rng(0)
    x, y = jnp.asarray(rng.uniform(size=(n, 2))), jnp.asarray(rng.uniform(size=(n, 2)))
    geom = pointcloud.PointCloud(x, y, epsilon=EPS, scale_cost="max_cost")
    prob = linear_problem.LinearProblem(geom)
    solver = sinkhorn.Sinkhorn(lse_mode=True, threshold=TOL, max_iterations=100000)
    run = jax.jit(lambda: solver(prob))
    out = run()
    out.f.block_until_ready()

    def timed():
        t = time.perf_counter()
        o = run()
        o.f.block_until_ready()
        return time.perf_counter() - t, int(o.n_iters)

    return timed


def ott_solver(n, iters):
    rng = np.random.default_rng(0)
    x, y = jnp.asarray(rng.uniform(size=(n, 2))), jnp.asarray(rng.uniform(size=(n, 2)))
    geom = pointcloud.PointCloud(x, y, epsilon=EPS, scale_cost="max_cost")
    prob = linear_problem.LinearProblem(geom)
    solver = sinkhorn.Sinkhorn(lse_mode=True, threshold=0.0, min_iterations=iters, max_iterations=iters)
    run = jax.jit(lambda: solver(prob).f)

    def timed():
        t = time.perf_counter()
        run().block_until_ready()
        return time.perf_counter() - t

    timed()  # compile and warm
    return timed


print(f"OTT-JAX {ott.__version__} on jax {jax.__version__} ({jax.devices()[0].platform}, x64), "
      f"{os.cpu_count()} cores; eps = {EPS}, C / max C, uniform 2-D clouds")
for n in ([1000] if QUICK else [1000, 2000]):
    ott_runs = {k: ott_solver(n, k) for k in (N1, N2)}
    ours_rounds, ott_rounds = [], []
    for _ in range(ROUNDS):
        t = {}
        for k in (N1, N2):
            t[("ours", k)] = regula(n, k)
            t[("ott", k)] = ott_runs[k]()
        ours_rounds.append((t[("ours", N2)] - t[("ours", N1)]) / (N2 - N1))
        ott_rounds.append((t[("ott", N2)] - t[("ott", N1)]) / (N2 - N1))
    ratios = sorted(o / p for o, p in zip(ours_rounds, ott_rounds) if o > 0 and p > 0)
    ratio = ratios[len(ratios) // 2]
    ours_it, ott_it = sorted(ours_rounds)[len(ours_rounds) // 2], sorted(ott_rounds)[len(ott_rounds) // 2]
    # Each iteration makes one pass of exponentials over the n x n cost (the f-update keeps the plan's column
    # sums, from which the g-update follows without a pass of its own); OTT-JAX makes two.
    rate = n * n / ours_it / 1e9
    print(f"  n={n:5d}: ours {ours_it * 1e3:7.2f} ms, OTT-JAX {ott_it * 1e3:7.2f} ms per iteration (medians), "
          f"ratio {ratio:4.2f} (rounds {ratios[0]:.2f}-{ratios[-1]:.2f}; goal <= 1, then <= 0.5); "
          f"ours {rate:.2f} G exp/s")
    to_tol = ott_to_tol(n)
    ours_t, ott_t = [], []
    for _ in range(3):
        ours_t.append(regula_to_tol(n))
        ott_t.append(to_tol())
    (ot_s, ot_it), (tt_s, tt_it) = sorted(ours_t)[1], sorted(ott_t)[1]
    print(f"  n={n:5d} to l1 marginal error {TOL:g}: ours {ot_s * 1e3:7.1f} ms ({ot_it} iterations), "
          f"OTT-JAX {tt_s * 1e3:7.1f} ms ({tt_it} iterations), ratio {ot_s / tt_s:4.2f}")
