"""Discovery playlists on real listeners: how much a daily mix repeats from one day to the
next, and how many artists a playlist names.

    DATABASE_URL=postgres://.../md_reco_eval python bench/playlists.py [--users 200] [--days 5]

Runs on the database bench/reco_eval.py filled (the 114k catalog and the Last.fm 2K
listeners' plays; run that first); skips, saying why, without it. Each listener's daily mix
is generated for `--days` consecutive days starting ten days after now (so that every play
is older than the mix's "not heard this week"), and their weekly discovery once. Printed:
the day-to-day overlap of the mix (shared songs / mix length: mean, p90, max), and per
playlist kind the distinct artists over items and the most songs of one artist.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "music_discovery.settings")

BACKGROUND = "lfm-"
EVALUATED = "lfm-eval-"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--days", type=int, default=5)
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from catalog.selectors.songs import song_list, songs_attach
    from recommendations.model import build_model
    from recommendations.playlists import playlist_generate

    listeners = list(
        get_user_model()
        .objects.filter(username__startswith=BACKGROUND)
        .exclude(username__startswith=EVALUATED)
        .order_by("id")
        .values_list("id", flat=True)[: args.users]
    )
    if not listeners:
        print("skipped: no Last.fm listeners in this database (run bench/reco_eval.py on it first)")
        return
    build_model()
    start = timezone.now() + dt.timedelta(days=10)
    overlaps: list[float] = []
    shapes: dict[str, list[tuple[int, int, int]]] = {"daily_mix": [], "weekly_discovery": []}

    def shape(items: list[dict]) -> tuple[int, int, int]:
        songs = {s.pk: s for s in songs_attach(song_list().filter(pk__in=[i["song"] for i in items]))}
        firsts = Counter(
            songs[i["song"]].artist_credits[0]["id"] for i in items if songs[i["song"]].artist_credits
        )
        return len(items), len(firsts), max(firsts.values(), default=0)

    for user_id in listeners:
        previous: set[int] | None = None
        for day in range(args.days):
            mix = playlist_generate(user_id=user_id, kind="daily_mix", now=start + dt.timedelta(days=day))
            songs = {item["song"] for item in mix.items}
            if previous is not None and songs:
                overlaps.append(len(songs & previous) / len(songs))
            previous = songs
            if day == 0:
                shapes["daily_mix"].append(shape(mix.items))
        weekly = playlist_generate(user_id=user_id, kind="weekly_discovery", now=start)
        shapes["weekly_discovery"].append(shape(weekly.items))
    overlaps.sort()
    print(f"load average {os.getloadavg()[0]:.1f}; {len(listeners)} listeners, {args.days} days")
    print(
        f"daily mix, day-to-day overlap: mean {statistics.mean(overlaps):.3f}, "
        f"p90 {overlaps[int(0.9 * (len(overlaps) - 1))]:.3f}, max {overlaps[-1]:.3f} ({len(overlaps)} pairs)"
    )
    for kind, rows in shapes.items():
        items = sum(r[0] for r in rows)
        artists = sum(r[1] for r in rows)
        print(
            f"{kind}: {items / len(rows):.1f} songs a playlist, distinct first artists / songs "
            f"{artists / max(items, 1):.3f}, most songs of one artist {max(r[2] for r in rows)}"
        )


if __name__ == "__main__":
    main()
