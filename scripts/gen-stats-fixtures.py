#!/usr/bin/env python3
"""Generates the SciPy reference values the statistics tests compare with, once.

The output is committed (Tests/PostmortemCoreTests/Fixtures/statistics/scipy.json), so the test
suite never needs SciPy. Rerun only when adding cases; the draws are seeded, so a rerun with the
same SciPy reproduces the file:

    python3 -m venv /tmp/scipy-venv
    /tmp/scipy-venv/bin/pip install scipy
    /tmp/scipy-venv/bin/python scripts/gen-stats-fixtures.py

Every expected value comes from SciPy itself (scipy.stats.mannwhitneyu, scipy.special.ndtr /
ndtri, scipy.stats.norm, and the exact U distribution SciPy's mannwhitneyu uses); the formulas
around them are the ones docs/analysis.md states.
"""
import json
import math
import pathlib

import numpy as np
import scipy
from scipy import special, stats
from scipy.stats._mannwhitneyu import _MWU  # the exact null distribution mannwhitneyu uses

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests/PostmortemCoreTests/Fixtures/statistics/scipy.json"
rng = np.random.default_rng(20261129)
MAX_EXACT_CELLS = 10_000  # UDistribution.maxCells


def finite_or_none(v):
    v = float(v)
    return v if math.isfinite(v) else None


def samples():
    """Pairs (x, y): continuous draws (no ties), quantised draws (ties), small and large."""
    pairs = []
    for m, n in [(1, 6), (2, 9), (3, 5), (4, 4), (5, 8), (6, 7), (7, 12), (8, 30), (3, 60), (10, 12), (20, 25), (15, 60), (40, 40)]:
        for shift in (0.0, 0.7, 2.5):
            pairs.append((rng.normal(0, 1, m) + shift, rng.normal(0, 1, n)))
    for m, n, step in [(5, 7, 1.0), (6, 6, 0.5), (4, 9, 1.0), (30, 20, 1.0), (18, 60, 0.5), (12, 12, 2.0)]:
        for shift in (0.0, 1.0):
            pairs.append((np.round((rng.normal(0, 1.5, m) + shift) / step) * step, np.round(rng.normal(0, 1.5, n) / step) * step))
    return pairs


SAMPLES = samples()


def mann_whitney_cases():
    cases = []
    for index, (x, y) in enumerate(SAMPLES):
        fits = len(x) * len(y) <= MAX_EXACT_CELLS
        for alternative in ("two-sided", "greater", "less"):
            for method in ("auto", "exact", "asymptotic"):
                if method == "exact" and not fits:
                    continue
                for continuity in ((True, False) if method == "asymptotic" else (True,)):
                    r = stats.mannwhitneyu(x, y, alternative=alternative, method=method, use_continuity=continuity)
                    cases.append({
                        "sample": index, "alternative": alternative, "method": method,
                        "continuity": continuity, "u": float(r.statistic), "pValue": float(r.pvalue),
                    })
    return cases


def chosen_method(x, y, method):
    if method != "auto":
        return method
    ties = len(np.unique(np.concatenate([x, y]))) < len(x) + len(y)
    return "asymptotic" if (len(x) > 8 and len(y) > 8) or ties or len(x) * len(y) > MAX_EXACT_CELLS else "exact"


def hodges_lehmann_cases():
    cases = []
    for index, (x, y) in enumerate(SAMPLES):
        for confidence in (0.9, 0.95, 0.99):
            for method in ("auto", "asymptotic"):
                d = np.sort(np.subtract.outer(y, x).ravel())
                count = d.size
                shift = float(np.median(d))
                alpha = 1 - confidence
                if chosen_method(x, y, method) == "exact":
                    dist = _MWU(len(x), len(y))
                    k = 0
                    while k + 1 <= count and float(dist.cdf(np.array(k))) <= alpha / 2:
                        k += 1
                else:
                    _, t = np.unique(np.concatenate([x, y]), return_counts=True)
                    n1, n2 = len(x), len(y)
                    n = n1 + n2
                    sigma = math.sqrt(n1 * n2 / 12 * ((n + 1) - float(np.sum(t ** 3 - t)) / (n * (n - 1))))
                    k = int(max(0, math.floor(count / 2 + 0.5 + sigma * stats.norm.ppf(alpha / 2))))
                bounded = 1 <= k <= count
                cases.append({
                    "sample": index, "confidence": confidence, "method": method,
                    "shift": shift,
                    "lower": float(d[k - 1]) if bounded else None,
                    "upper": float(d[count - k]) if bounded else None,
                })
    return cases


def normal_cases():
    xs = [-37.0, -20.5, -8.3, -5.0, -3.1, -1.96, -1.0, -0.3, 0.0, 0.25, 1.0, 1.6448536269514722, 2.5, 4.0, 7.7, 12.0]
    ps = [1e-300, 1e-100, 1e-20, 1e-9, 1e-4, 0.001, 0.01, 0.02425, 0.025, 0.05, 0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.975, 0.97575, 0.99, 0.999, 0.999999]
    return {
        "cdf": [{"x": x, "cdf": float(special.ndtr(x)), "sf": float(special.ndtr(-x))} for x in xs],
        "quantile": [{"p": p, "quantile": float(special.ndtri(p))} for p in ps],
    }


def detectable_effect_cases():
    cases = []
    for m, n in [(60, 18), (60, 5), (30, 30), (120, 10), (10, 3), (5, 2), (1, 1), (600, 60)]:
        for noise in (0.4, 12.5):
            for alpha, power in [(0.05, 0.8), (0.02, 0.8), (0.01, 0.9)]:
                p = 0.5 + (stats.norm.ppf(1 - alpha) + stats.norm.ppf(power)) * math.sqrt((m + n + 1) / (12 * m * n))
                shift = noise * math.sqrt(2) * stats.norm.ppf(p) if p < 1 else None
                cases.append({"baselineCount": m, "canaryCount": n, "noise": noise, "alpha": alpha, "power": power,
                              "shift": finite_or_none(shift) if shift is not None else None})
    return cases


document = {
    "generator": "scripts/gen-stats-fixtures.py",
    "scipy": scipy.__version__,
    "numpy": np.__version__,
    "samples": [{"x": x.tolist(), "y": y.tolist()} for x, y in SAMPLES],
    "mannWhitneyU": mann_whitney_cases(),
    "hodgesLehmann": hodges_lehmann_cases(),
    "normal": normal_cases(),
    "detectableEffect": detectable_effect_cases(),
}


def dump(value):
    """One case per line: readable diffs without one number per line."""
    compact = lambda v: json.dumps(v, separators=(",", ":"))
    lines = []
    for key, v in value.items():
        if isinstance(v, list):
            body = ",\n".join("  " + compact(case) for case in v)
            lines.append(f" {compact(key)}: [\n{body}\n ]")
        elif isinstance(v, dict):
            lines.append(f" {compact(key)}: " + dump(v).replace("\n", "\n "))
        else:
            lines.append(f" {compact(key)}: {compact(v)}")
    return "{\n" + ",\n".join(lines) + "\n}"


OUT.write_text(dump(document) + "\n")
print(f"wrote {OUT}: {len(document['mannWhitneyU'])} Mann-Whitney, {len(document['hodgesLehmann'])} Hodges-Lehmann, "
      f"{len(document['detectableEffect'])} detectable-effect cases")
