"""Recommendation quality on real listeners: ../shared/EVAL.md, exactly, leave one user out.

    DATABASE_URL=postgres://.../md_reco_eval python bench/reco_eval.py [--users N] [--configs a,b]

World (EVAL.md): the 114k catalog loaded with `load_music --skip-invalid` (skipped when the
songs table is already filled); Last.fm artists matched by `name_key`; each Last.fm user with
at least 10 matched artists becomes a listener whose plays and likes go in through
`activity_record` (with event ids, so a re-run stores nothing twice).

Leave one user out, built once: every Last.fm user is a background listener with all of its
artists, and the model is built once over all of them (`build_model`). To evaluate user u, a
second account ("evaluated u") gets only u's kept artists, through `activity_record`; its list
comes from `recommend(limit=50)`, the service a client's GET goes through, with the model
`excluding(u's background account)`: that account's row is subtracted from the collaborative
model at scoring time (Sherman-Morrison for EASE, the Gram matrix for kNN), so u's held-out
artists reach neither the model nor u's evidence. The evaluated account was created after
the build, so it is not in the model either: the model is exactly "every other user".

Printed (and written to bench/README.md by hand): hit@10, recall@10, NDCG@10 and coverage for
popularity only, each signal alone and the blend; then per mood, the mean of its target
features in a cold user's top 20 against the catalog mean.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reco_world import (  # bench/, the script's own directory, is on sys.path
    DATA,
    EVALUATED,
    MIN_ARTISTS,
    account,
    held_out_of,
    ingest,
    load_world,
)

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "music_discovery.settings")
LIMIT = 50
TOP = 10


@dataclass
class Metrics:
    hits: float = 0.0
    recall: float = 0.0
    ndcg: float = 0.0
    users: int = 0
    artists: set[str] = field(default_factory=set)
    seconds: float = 0.0
    violations: int = 0

    def add(self, top: list[str], held_out: set[str]) -> None:
        found = [rank for rank, artist in enumerate(top) if artist in held_out]
        ideal = min(TOP, len(held_out))
        self.users += 1
        self.hits += bool(found)
        self.recall += len(found) / ideal
        self.ndcg += sum(1 / math.log2(rank + 2) for rank in found) / sum(
            1 / math.log2(i + 2) for i in range(ideal)
        )
        self.artists.update(top)

    def row(self, name: str, matched: int) -> str:
        n = max(self.users, 1)
        return (
            f"| {name} | {self.hits / n:.3f} | {self.recall / n:.3f} | {self.ndcg / n:.3f} | "
            f"{len(self.artists) / matched:.3f} | {1000 * self.seconds / n:.0f} |"
        )


def roll_up(recommended: list[dict], known: set[str]) -> list[str]:
    """The first 10 distinct artists of the list, in order, that the user does not know."""
    from catalog.selectors.arrays import name_key

    top: list[str] = []
    for item in recommended:
        for credit in item["song"].artist_credits:
            key = name_key(credit["name"])
            if key not in known and key not in top:
                top.append(key)
                if len(top) == TOP:
                    return top
    return top


def configs() -> dict[str, tuple[str, Any]]:
    """Name -> (collaborative model kind, weights): popularity, each signal alone, the blend."""
    from recommendations.engine import BLEND, Weights

    alone = {signal: 0.0 for signal in ("collaborative", "artist", "genre", "content", "mood", "popularity")}
    return {
        "popularity only": ("ease", Weights(**{**alone, "popularity": 1.0})),
        "collaborative alone, EASE": ("ease", Weights(**{**alone, "collaborative": 1.0})),
        "collaborative alone, item-kNN": ("knn", Weights(**{**alone, "collaborative": 1.0})),
        "artist affinity alone": ("ease", Weights(**{**alone, "artist": 1.0})),
        "genre affinity alone": ("ease", Weights(**{**alone, "genre": 1.0})),
        "content (sound) alone": ("ease", Weights(**{**alone, "content": 1.0})),
        "blend, EASE (the service's default)": ("ease", BLEND),
        "blend, item-kNN": ("knn", BLEND),
    }


def tried_blends(specs: list[str]) -> dict[str, tuple[str, Any]]:
    from recommendations.engine import Weights

    tried: dict[str, tuple[str, Any]] = {}
    for spec in specs:
        kind, _, rest = spec.partition(":") if ":" in spec else ("ease", "", spec)
        values = {k: float(v) for k, v in (pair.split("=") for pair in rest.split(","))}
        alone = {s: 0.0 for s in ("collaborative", "artist", "genre", "content", "mood", "popularity")}
        tried[f"{kind} {rest}"] = (kind, Weights(**{**alone, **values}))
    return tried


# What the forked evaluation workers share (copy-on-write): set by `evaluate` before forking.
_SHARED: dict[str, Any] = {}


def _evaluate_users(evaluated: list[int]) -> dict[str, Metrics]:
    from recommendations.services import recommend

    users, tracks, background, models, chosen, now = (
        _SHARED[k] for k in ("users", "tracks", "background", "models", "chosen", "now")
    )
    results = {name: Metrics() for name in chosen}
    started = time.perf_counter()
    for n, user in enumerate(evaluated):
        held_out = held_out_of(user, users[user])
        kept = {key: weight for key, weight in users[user].items() if key not in held_out}
        eval_id = ingest(f"{EVALUATED}{user}", kept, tracks, now)
        for name, (kind, weights) in chosen.items():
            model = models[kind].excluding(background[user])
            began = time.perf_counter()
            listed = recommend(user_id=eval_id, limit=LIMIT, weights=weights, model=model)
            results[name].seconds += time.perf_counter() - began
            results[name].add(roll_up(listed, set(kept)), held_out)
        if _SHARED.get("controls"):
            _control(results, eval_id, kept, held_out, models["ease"].excluding(background[user]))
        if n % 100 == 0:
            print(
                f"  worker {os.getpid()}: {n}/{len(evaluated)} ({time.perf_counter() - started:.0f} s)",
                flush=True,
            )
    return results


CONTROL = "blend, the user's top known artist blocked"


def _control(
    results: dict[str, Metrics], eval_id: int, kept: dict[str, int], held_out: set[str], model
) -> None:
    """Issue 14's check of blocks under this protocol: block the user's most played kept
    artist, list again; no item may credit it (counted in `Metrics.violations`)."""
    from catalog.models import Artist
    from recommendations.engine import BLEND
    from recommendations.services import recommend
    from users.models import Block

    top_known = max(kept, key=lambda key: kept[key])
    artist = Artist.objects.get(name_key=top_known).pk
    Block.objects.update_or_create(user_id=eval_id, artist_id=artist)
    listed = recommend(user_id=eval_id, limit=LIMIT, weights=BLEND, model=model)
    metrics = results.setdefault(CONTROL, Metrics())
    metrics.violations += sum(
        1 for item in listed if any(credit["id"] == artist for credit in item["song"].artist_credits)
    )
    metrics.add(roll_up(listed, set(kept)), held_out)


def evaluate(
    users,
    tracks,
    background,
    models,
    chosen: dict,
    now: dt.datetime,
    limit_users,
    jobs: int,
    controls: bool = False,
):
    """Every user once (or the first `limit_users`), split over `jobs` forked workers that
    share the built models; the metrics are summed."""
    import multiprocessing

    from django.db import connections

    _SHARED.update(users=users, tracks=tracks, background=background, models=models, chosen=chosen, now=now)
    _SHARED["controls"] = controls
    evaluated = sorted(users)[:limit_users] if limit_users else sorted(users)
    shards = [evaluated[i::jobs] for i in range(jobs)]
    connections.close_all()  # each worker opens its own
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        parts = pool.map(_evaluate_users, shards)
    results = {name: Metrics() for name in chosen}
    for part in parts:
        for name in part:
            results.setdefault(name, Metrics())
        for name, metrics in part.items():
            total = results[name]
            total.hits += metrics.hits
            total.recall += metrics.recall
            total.ndcg += metrics.ndcg
            total.users += metrics.users
            total.seconds += metrics.seconds
            total.artists |= metrics.artists
            total.violations += metrics.violations
    return results


def mood_table(model) -> list[str]:
    """Per mood: its target features' mean in a cold user's top 20 against the catalog's."""
    from recommendations.engine import FEATURES, MOOD_TARGETS
    from recommendations.services import recommend

    cold = account("mood-cold-user")
    means = model.catalog.features.mean(axis=0)
    lines = ["| mood | feature (target range) | top 20 mean | catalog mean |", "|---|---|---|---|"]
    for mood, targets in MOOD_TARGETS.items():
        listed = recommend(user_id=cold, limit=20, moods=(mood,), model=model)
        for feature, (low, high) in targets.items():
            top = sum(getattr(item["song"], feature) or 0.0 for item in listed) / max(len(listed), 1)
            catalog_mean = float(means[FEATURES.index(feature)])
            lines.append(f"| {mood} | {feature} ({low:g}-{high:g}) | {top:.3f} | {catalog_mean:.3f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--users", type=int, default=None, help="evaluate only the first N users (all by default)"
    )
    parser.add_argument(
        "--configs", default="", help="comma-separated substrings of the configurations to run"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="keep the listeners an earlier run stored (skips their ingest)"
    )
    parser.add_argument("--jobs", type=int, default=3, help="evaluation workers (forked; default 3)")
    parser.add_argument(
        "--try-blend",
        action="append",
        default=[],
        help="an extra blend to measure, as [knn:]signal=weight,... (e.g. collaborative=1,genre=0.2)",
    )
    parser.add_argument(
        "--controls",
        action="store_true",
        help="also list for every user with their top known artist blocked (issue 14's check)",
    )
    args = parser.parse_args()
    if not (DATA / "spotify-tracks-114k.csv").exists() or not (DATA / "lastfm-2k").exists():
        print(f"skipped: the evaluation data is not at {DATA} (see EVAL.md)")
        return
    import django

    django.setup()
    from django.core.management import call_command
    from reco_reference import reference_scores

    call_command("migrate", verbosity=0)

    from recommendations.model import build_model

    now = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    users, tracks, background = load_world(now, args.reuse)
    matched = len({key for artists in users.values() for key in artists})
    print(f"{len(users)} users with >= {MIN_ARTISTS} matched artists; {matched} matched artists")
    wanted = [w.strip() for w in args.configs.split(",") if w.strip()]
    chosen = {name: c for name, c in configs().items() if not wanted or any(w in name for w in wanted)}
    chosen.update(tried_blends(args.try_blend))
    models = {}
    for kind in sorted({kind for kind, _ in chosen.values()} | {"ease"}):
        models[kind] = build_model(kind=kind)
        print(f"model {kind}: built in {models[kind].build_seconds:.1f} s")
    evaluated = sorted(users)[: args.users] if args.users else sorted(users)
    print("\nReference points at artist level on the same users (bench/reco_reference.py):")
    print("| method | hit@10 | recall@10 | NDCG@10 | coverage |\n|---|---|---|---|---|")
    for method, lists in reference_scores(users, evaluated, held_out_of).items():
        metrics = Metrics()
        for top, held_out in lists:
            metrics.add(top, held_out)
        print(metrics.row(method, matched).rsplit(" | ", 1)[0] + " |")
    results = evaluate(users, tracks, background, models, chosen, now, args.users, args.jobs, args.controls)
    print("\n| configuration | hit@10 | recall@10 | NDCG@10 | coverage | ms per list |")
    print("|---|---|---|---|---|---|")
    for name, metrics in results.items():
        print(metrics.row(name, matched))
    if CONTROL in results:
        control = results[CONTROL]
        print(f"\nitems crediting the blocked artist, over {control.users} lists: {control.violations}")
    print()
    print("\n".join(mood_table(models["ease"])))


if __name__ == "__main__":
    main()
