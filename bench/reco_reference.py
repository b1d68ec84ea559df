"""EVAL.md's reference points recomputed directly at artist level (no catalog, no API), on
the same users and held-out artists as bench/reco_eval.py, leave one user out: what the
service's figures should be read against when only some users are evaluated."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

EASE_L2 = 200.0


def reference_scores(
    users: dict[int, dict[str, int]],
    evaluated: list[int],
    held_out_of: Callable[[int, dict[str, int]], set[str]],
) -> dict[str, list[tuple[list[str], set[str]]]]:
    """Per method, each evaluated user's top 10 new artists and held-out set."""
    keys = sorted({key for artists in users.values() for key in artists})
    column = {key: i for i, key in enumerate(keys)}
    ids = sorted(users)
    rows = np.zeros((len(ids), len(keys)))
    for r, user in enumerate(ids):
        rows[r, [column[key] for key in users[user]]] = 1.0
    gram = rows.T @ rows
    precision = np.linalg.inv(gram + EASE_L2 * np.eye(len(keys)))
    listeners = rows.sum(axis=0)
    out: dict[str, list[tuple[list[str], set[str]]]] = {"popularity": [], "item-kNN": [], "EASE": []}
    for user in evaluated:
        x = rows[ids.index(user)]
        held_out = held_out_of(user, users[user])
        kept = np.array([column[key] for key in users[user] if key not in held_out])
        # Popularity: background listeners.
        scores = {"popularity": listeners - x}
        # item-kNN: cosine over the background (the user's own row taken out), summed.
        g_kept = gram[kept] - np.outer(x[kept], x)
        norms = np.sqrt(np.maximum(np.diagonal(gram) - x, 0))
        with np.errstate(divide="ignore", invalid="ignore"):
            cosine = np.nan_to_num(g_kept / norms[kept][:, None] / norms[None, :])
        scores["item-kNN"] = cosine.sum(axis=0)
        # EASE without the user's row (Sherman-Morrison), B = I - P/diag(P).
        u = precision @ x
        p_kept = precision[kept] + np.outer(u[kept], u) / (1 - x @ u)
        diagonal = np.diagonal(precision) + u * u / (1 - x @ u)
        scores["EASE"] = -(p_kept / diagonal[None, :]).sum(axis=0)
        for method, values in scores.items():
            values = values.astype(float)
            values[kept] = -np.inf
            top = np.lexsort((np.arange(len(keys)), -values))[:10]
            out[method].append(([keys[i] for i in top], held_out))
    return out
