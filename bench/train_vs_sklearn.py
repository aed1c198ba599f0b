"""Epoch time on the 8x8 digits (1,797 images), 64-32-10 tanh, softmax cross-entropy, plain SGD, batch 32,
learning rate 0.1: scikit-learn's MLPClassifier.partial_fit (median of 10 epochs after one warm-up) vs
`regula train --dataset digits` (`train_seconds` per epoch over 20 epochs: time in parameter updates, as
partial_fit measures; CPU f64 and, when an adapter opens, the GPU path including the readback of θ per
frame), run one after the other on the same machine.
"""
import json
import subprocess
import time
import warnings

import numpy as np
from sklearn.neural_network import MLPClassifier

warnings.filterwarnings("ignore")
d = np.loadtxt("static/data/digits8.csv", delimiter=",")
X, y = d[:, :64] / 16.0, d[:, 64].astype(int)
clf = MLPClassifier(hidden_layer_sizes=(32,), activation="tanh", solver="sgd", learning_rate_init=0.1,
                    batch_size=32, momentum=0.0, nesterovs_momentum=False, alpha=0.0, shuffle=True, random_state=0)
clf.partial_fit(X, y, classes=np.arange(10))
times = []
for _ in range(10):
    t = time.perf_counter()
    clf.partial_fit(X, y)
    times.append(time.perf_counter() - t)
sk = sorted(times)[len(times) // 2]
print(f"scikit-learn MLPClassifier: {sk * 1e3:.1f} ms per epoch (accuracy {clf.score(X, y):.3f} after 11 epochs)")

epochs = 20
for backend in ["cpu", "gpu"]:
    run = subprocess.run(
        ["target/release/regula", "train", "--dataset", "digits", "--train-ratio", "1", "--hidden", "32",
         "--activation", "tanh", "--loss", "xent", "--optimizer", "sgd", "--lr", "0.1", "--batch", "32",
         "--epochs", str(epochs), "--backend", backend, "--json"], capture_output=True, text=True)
    if run.returncode != 0:
        print(f"regula ({backend}): not run ({run.stderr.strip().splitlines()[-1] if run.stderr else 'failed'})")
        continue
    res = json.loads(run.stdout.strip().splitlines()[-1])
    per_epoch = res["train_seconds"] / epochs
    print(f"regula ({backend}): {per_epoch * 1e3:.1f} ms per epoch, train accuracy {res['train_accuracy']:.3f} "
          f"-> ratio to scikit-learn {per_epoch / sk:.2f} (goal <= 0.5); updates only, like partial_fit "
          f"(the per-epoch f64 evaluation and the final Hessian are excluded)")
