"""The rank-1 (row × column) analysis against numpy's SVD and direct numpy computations."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from paper_code.analysis.structure import pair_sides, rank_one, structure_tables
from paper_code.analysis.trained import TrainedTask


def _positive(rows: int, columns: int, seed: int) -> np.ndarray:
    generator = np.random.default_rng(seed)
    return generator.gamma(0.5, size=(rows, columns)) * np.outer(generator.random(rows), generator.random(columns))


def test_rank_one_against_numpys_svd():
    matrix = _positive(30, 47, 0)
    fit = rank_one(torch.from_numpy(matrix).float())
    u, s, vt = np.linalg.svd(matrix.astype(np.float32).astype(np.float64), full_matrices=False)
    reference = s[0] * np.outer(u[:, 0], vt[0])
    assert fit.sigma == pytest.approx(s[0], rel=1e-10)
    np.testing.assert_allclose(fit.approximation.numpy(), reference, rtol=1e-9, atol=1e-12)
    # Non-negative matrix: the oriented singular vectors are non-negative (Perron-Frobenius).
    assert (fit.row.numpy() >= -1e-12).all() and (fit.column.numpy() >= -1e-12).all()
    values = matrix.astype(np.float32).astype(np.float64)
    assert fit.energy_share == pytest.approx(s[0] ** 2 / (s**2).sum(), rel=1e-10)
    residual = ((values - reference) ** 2).sum()
    assert fit.variance_share == pytest.approx(1 - residual / ((values - values.mean()) ** 2).sum(), rel=1e-9)


def test_an_outer_product_is_explained_entirely():
    row, column = np.array([1.0, 2.0, 0.5]), np.array([3.0, 0.0, 1.0, 4.0])
    fit = rank_one(torch.from_numpy(np.outer(row, column)))
    assert fit.energy_share == pytest.approx(1.0) and fit.variance_share == pytest.approx(1.0)
    np.testing.assert_allclose(fit.approximation.numpy(), np.outer(row, column), atol=1e-12)


def _trained(importances: dict[str, np.ndarray]) -> TrainedTask:
    """A stand-in for a results folder: only the importances matter to the structure analysis."""
    stats = {}
    for method, layer_one in importances.items():
        generator = np.random.default_rng(len(method))
        stats[method] = {
            "fc1.weight": torch.from_numpy(layer_one),
            "fc2.weight": torch.from_numpy(_positive(6, 9, len(method) + 1)),
            "fc3.weight": torch.from_numpy(generator.random((4, 6)) + 0.1),
        }
    return TrainedTask(results=None, task=1, state={}, accumulated=stats, per_task=stats)  # type: ignore[arg-type]


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.corrcoef(x.reshape(-1), y.reshape(-1))[0, 1])


def _ranks(x: np.ndarray) -> np.ndarray:
    flat = x.reshape(-1)
    order = flat.argsort(kind="stable")
    ranks = np.empty(flat.size)
    ranks[order] = np.arange(1, flat.size + 1)
    return ranks  # no ties in these continuous test matrices


def test_pair_structure_against_numpy():
    a, b = _positive(12, 20, 1), _positive(12, 20, 2) + 0.3 * _positive(12, 20, 1)
    trained = _trained({"mas": a, "fis": b})
    fits, pairs = structure_tables(trained, ["mas_fis", "fis_mas2"], kinds=("accumulated",))
    assert set(fits.method) == {"mas", "fis", "mas2"} and len(pairs) == 2 * 3

    def svd1(m: np.ndarray) -> np.ndarray:
        u, s, vt = np.linalg.svd(m, full_matrices=False)
        return s[0] * np.outer(u[:, 0], vt[0])

    for pair, (x, y) in {"mas_fis": (a, b), "fis_mas2": (b, a**2)}.items():
        row = pairs[(pairs.pair == pair) & (pairs.layer == 1)].iloc[0]
        rx, ry = svd1(x), svd1(y)
        assert row.pearson == pytest.approx(_pearson(x, y), abs=1e-10)
        assert row.pearson_rank1 == pytest.approx(_pearson(rx, ry), abs=1e-9)
        assert row.pearson_residual == pytest.approx(_pearson(x - rx, y - ry), abs=1e-9)
        covariance = np.cov(x.reshape(-1), y.reshape(-1), bias=True)[0, 1]
        assert row.rank1_share == pytest.approx(np.cov(rx.reshape(-1), ry.reshape(-1), bias=True)[0, 1] / covariance,
                                                rel=1e-9)
        assert row.spearman == pytest.approx(_pearson(_ranks(x), _ranks(y)), abs=1e-10)
        assert row.spearman_rank1 == pytest.approx(_pearson(_ranks(rx), _ranks(ry)), abs=1e-10)
    fit = fits[(fits.method == "mas2") & (fits.layer == 1)].iloc[0]
    assert fit.pearson_fit == pytest.approx(_pearson(a**2, svd1(a**2)), abs=1e-9)


def test_pair_sides_lists_each_matrix_once():
    assert pair_sides(["mas_fis", "fis_mas2", "mas_sig"]) == [("mas", 1), ("fis", 1), ("mas", 2), ("sig", 1)]
