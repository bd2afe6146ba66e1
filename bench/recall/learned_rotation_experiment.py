#!/usr/bin/env python3
"""Experiment (issue 31): would a learned rotation pay at low byte budgets?

Simulates tqdb's centered cosine code in numpy and compares, at equal code bits:
  - a random orthogonal rotation with every coordinate at the same width (fractional widths:
    the first h coordinates at one bit more), as tqdb codes today;
  - the PCA rotation of the centered directions, with bits allocated coordinate by coordinate
    by reverse water-filling (each bit where it removes the most expected error, variance x the
    Gaussian Lloyd-Max error of that width; widths 0 to 6), coordinates scaled to unit variance
    before their Gaussian Lloyd-Max codebook.
Both use tqdb's ratio estimator and its centered key <q - m, r> + (1 - |m|^2 - |r|^2) / 2, so the
random-rotation rows reproduce the engine's recall (GloVe 2 bits 0.618 against the engine's
0.615; ada-002 1 and 2 bits 0.864 / 0.929 against 0.862 / 0.929). Factors are not counted: the
budget is code bits. A measurement to decide on, not a product path (it trains a rotation).

    /usr/bin/python3 learned_rotation_experiment.py BITS[,BITS...] [FILE.fvecs]

Base: all but the last 1,000 rows (unit-normalized); queries: the last 1,000; recall@10@10
against the exact cosine top 10. Needs Debian's python3-numpy.
"""
import os
import sys

import numpy as np


def fvecs(path):
    raw = np.fromfile(path, dtype=np.int32)
    d = raw[0]
    return raw.reshape(-1, d + 1)[:, 1:].view(np.float32).copy()


def lloyd_max_gaussian(bits, samples, iterations=200):
    k = 1 << bits
    centroids = np.quantile(samples, (np.arange(k) + 0.5) / k)
    for _ in range(iterations):
        cells = np.searchsorted((centroids[1:] + centroids[:-1]) / 2, samples)
        centroids = np.array([samples[cells == i].mean() for i in range(k)])
    return centroids


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    totals = [int(v) for v in sys.argv[1].split(",")]
    # Default: the shared GloVe set beside the repository.
    path = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "../../../shared/datasets/glove-100.fvecs")
    x = fvecs(path)
    base, queries = x[:-1000], x[-1000:]
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    n, d = base.shape
    truth = np.argsort(-(queries @ base.T), axis=1)[:, :10]
    m = base.mean(0)
    r = base - m
    norms = np.linalg.norm(r, axis=1)
    u = r / norms[:, None]

    samples = np.sort(np.random.default_rng(0).standard_normal(400000))
    books = {b: lloyd_max_gaussian(b, samples) for b in range(1, 7)}
    mse = [1.0] + [np.mean((samples - books[b][np.searchsorted(
        (books[b][1:] + books[b][:-1]) / 2, samples)]) ** 2) for b in range(1, 7)]

    def recall(rotation, sigma, widths):
        y = u @ rotation.T
        c = np.zeros_like(y)
        for j in range(d):
            if widths[j] > 0:
                book = books[widths[j]] * sigma[j]
                c[:, j] = book[np.searchsorted((book[1:] + book[:-1]) / 2, y[:, j])]
        dot = np.einsum("ij,ij->i", y, c)
        scale = np.where(dot > 0, 1.0 / np.where(dot > 0, dot, 1), 0.0)  # ratio estimator
        estimate = (((queries - m) @ rotation.T) @ c.T) * scale[None, :]
        key = estimate * norms[None, :] + 0.5 * (1 - m @ m - norms ** 2)[None, :]
        top = np.argpartition(-key, 10, axis=1)[:, :10]
        return sum(len(set(top[i]) & set(truth[i])) for i in range(len(queries))) / (
            10 * len(queries))

    random_rotation, _ = np.linalg.qr(np.random.default_rng(1).standard_normal((d, d)))
    variances, vectors = np.linalg.eigh((u.T @ u) / n)
    order = np.argsort(-variances)
    variances, pca = variances[order], vectors[:, order].T
    print(f"{path}: {n} base, d = {d}; eigenvalues' arithmetic / geometric mean "
          f"{variances.mean() / np.exp(np.mean(np.log(variances))):.2f}")
    print("| code bits | bits/coordinate | random rotation | PCA + allocated widths | "
          "widths 0..6 (coordinates) |\n|---|---|---|---|---|")
    drop = np.array([mse[b] - mse[b + 1] for b in range(6)] + [-1e9])
    for total in totals:
        whole, extra = divmod(total, d)
        uniform = np.array([whole + 1] * extra + [whole] * (d - extra))
        allocated = np.zeros(d, dtype=int)
        for _ in range(total):
            allocated[np.argmax(variances * drop[allocated])] += 1
        print(f"| {total} | {total / d:.2f} | {recall(random_rotation, np.full(d, d ** -0.5), uniform):.3f} | "
              f"{recall(pca, np.sqrt(variances), allocated):.3f} | "
              f"{' '.join(str(c) for c in np.bincount(allocated, minlength=7))} |", flush=True)


if __name__ == "__main__":
    main()
