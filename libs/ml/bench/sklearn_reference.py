#!/usr/bin/python3
"""The ML benchmark's reference side: the work of libs/ml/bench/ml.bench.ts done with
scikit-learn and scipy (Debian's python3-sklearn, python3-scipy), on the files that script
wrote. Prints one JSON document of timings in seconds; progress goes to stderr.

    sklearn_reference.py --data DIR --rows-drift N --runs R --gbdt-runs G --single-rows S
"""
import argparse
import json
import statistics
import sys
import time

import numpy as np
import scipy
import sklearn
from scipy.spatial.distance import jensenshannon
from scipy.stats import wasserstein_distance
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

FEATURES = 20
DRIFT_NUMERIC = 16
DRIFT_CATEGORICAL = 4
DRIFT_CATEGORIES = 8


def log(message):
    print(message, file=sys.stderr, flush=True)


def timed(runs, work, warmup=0):
    """Seconds of each of `runs` calls of `work`, after `warmup` unrecorded ones."""
    for _ in range(warmup):
        work()
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - start)
    return seconds


def models(settings):
    """The estimators matching the TypeScript side: standardised linear models, unscaled trees."""
    return {
        "logreg": lambda: make_pipeline(
            StandardScaler(),
            LogisticRegression(C=1.0, max_iter=settings["logreg_max_iter"], tol=settings["logreg_tol"]),
        ),
        "linear": lambda: make_pipeline(StandardScaler(), LinearRegression()),
        "gbdt": lambda: HistGradientBoostingClassifier(
            learning_rate=0.1,
            max_iter=settings["gbdt_max_iter"],
            max_leaf_nodes=31,
            min_samples_leaf=20,
            l2_regularization=0.0,
            max_bins=255,
            early_stopping=False,
        ),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--rows-drift", type=int, required=True)
    parser.add_argument("--runs", type=int, required=True)
    parser.add_argument("--gbdt-runs", type=int, required=True)
    parser.add_argument("--single-rows", type=int, required=True)
    parser.add_argument("--settings", required=True, help="JSON: logreg_max_iter, logreg_tol, gbdt_max_iter")
    args = parser.parse_args()
    settings = json.loads(args.settings)

    table = np.loadtxt(f"{args.data}/train.csv", delimiter=",", skiprows=1)
    X = np.ascontiguousarray(table[:, :FEATURES])
    labels = {"logreg": table[:, FEATURES].astype(np.int64), "gbdt": table[:, FEATURES].astype(np.int64), "linear": table[:, FEATURES + 1]}

    out = {"versions": {"sklearn": sklearn.__version__, "scipy": scipy.__version__, "numpy": np.__version__}, "fit": {}, "batch": {}, "single": {}}
    for name, make in models(settings).items():
        runs = args.gbdt_runs if name == "gbdt" else args.runs
        log(f"reference: fit {name} ({runs} runs)")
        fitted = []

        def fit():
            fitted.append(make().fit(X, labels[name]))

        out["fit"][name] = timed(runs, fit)
        model = fitted[-1]
        last = model[-1] if hasattr(model, "steps") else model
        out.setdefault("iterations", {})[name] = int(np.max(getattr(last, "n_iter_", 0)))
        if name == "logreg":
            out["logregCoefficients"] = [*last.coef_[0].tolist(), *last.intercept_.tolist()]
        predict = model.predict if name == "linear" else model.predict_proba
        log(f"reference: predict {name}")
        out["batch"][name] = timed(args.runs, lambda: predict(X), warmup=1)
        single = X[: args.single_rows]

        def one_by_one():
            for i in range(single.shape[0]):
                predict(single[i : i + 1])

        out["single"][name] = {"rows": int(single.shape[0]), "seconds": timed(args.runs, one_by_one, warmup=0)}

    n = args.rows_drift
    numeric = np.fromfile(f"{args.data}/numeric.f64", dtype="<f8").reshape(2 * DRIFT_NUMERIC, n)
    categorical = np.fromfile(f"{args.data}/categorical.i32", dtype="<i4").reshape(2 * DRIFT_CATEGORICAL, n)

    def drift():
        # What Evidently's defaults do above 1000 reference rows: normed Wasserstein, Jensen–Shannon.
        scores = []
        for j in range(DRIFT_NUMERIC):
            ref, cur = numeric[j], numeric[DRIFT_NUMERIC + j]
            scores.append(wasserstein_distance(ref, cur) / max(np.std(ref), 0.001))
        for j in range(DRIFT_CATEGORICAL):
            ref = np.bincount(categorical[j], minlength=DRIFT_CATEGORIES) / n
            cur = np.bincount(categorical[DRIFT_CATEGORICAL + j], minlength=DRIFT_CATEGORIES) / n
            scores.append(float(jensenshannon(ref, cur)))
        return scores

    log(f"reference: drift report ({args.runs} runs)")
    out["drift"] = timed(args.runs, drift)
    out["driftScores"] = drift()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
