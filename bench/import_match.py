"""What matching an imported history to the catalog costs (POST /api/analytics/import/).

    DATABASE_URL=postgres://.../md_bench python bench/import_match.py [--lines 20000] [--seed 7]

Needs the real catalog (`manage.py load_music ../shared/data/spotify-tracks-114k.csv
--skip-invalid`; any database). Builds ListenBrainz files in memory and times, in-process,
reading one (`parse_listens`) and matching its listens (`songs_match`, what the import runs
before it stores anything), on three files:

- `george-jones`: `--lines` JSON lines crediting George Jones (332 songs in that catalog, the
  most of any artist), each with a distinct random 60-letter title: no exact title, so
  every listen is compared with every song of his;
- `worst`: the same shape at the import's size limit (ANALYTICS_IMPORT_MAX_BYTES) with
  12-letter titles, as many distinct listens as the limit allows;
- `artists`: at the size limit, random 12-letter titles of every artist of the catalog in turn:
  the most songs whose titles a file can make the match prepare (their trigrams);
- `real`: `--lines` listens of catalog songs drawn at random (artists weighted by their
  number of songs), a third with the title as is, a third with one letter changed, a third
  with " - Remastered 2011" appended: what a real history asks of the fuzzy match, and how
  many it finds.

Figures go to bench/README.md, "Import: matching a history".
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import string
import sys
import time
from collections.abc import Iterator
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "music_discovery.settings")

# A year ago: within the import's bounds whatever the retention.
LISTENED_AT = int(time.time()) - 365 * 86400


def _line(artist: str, title: str, at: int) -> bytes:
    import json

    return json.dumps(
        {"listened_at": at, "track_metadata": {"artist_name": artist, "track_name": title}}
    ).encode()


def _random_title(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(length))


def george_jones(rng: random.Random, lines: int) -> bytes:
    return b"\n".join(_line("George Jones", _random_title(rng, 60), LISTENED_AT + i) for i in range(lines))


def _up_to(limit: int, lines: Iterator[bytes]) -> bytes:
    out: list[bytes] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > limit:
            break
        out.append(line)
        size += len(line) + 1
    return b"\n".join(out)


def worst(rng: random.Random, limit: int) -> bytes:
    return _up_to(
        limit, (_line("George Jones", _random_title(rng, 12), LISTENED_AT + i) for i in itertools.count())
    )


def every_artist(rng: random.Random, limit: int) -> bytes:
    from catalog.models import Artist

    names = list(Artist.objects.order_by("id").values_list("name", flat=True))
    return _up_to(
        limit,
        (_line(names[i % len(names)], _random_title(rng, 12), LISTENED_AT + i) for i in itertools.count()),
    )


def real(rng: random.Random, lines: int) -> bytes:
    from catalog.models import SongArtist

    credits = list(SongArtist.objects.filter(position=0).values_list("artist__name", "song__title"))
    out = []
    for i in range(lines):
        artist, title = rng.choice(credits)
        kind = i % 3
        if kind == 1 and len(title) > 3:
            at = rng.randrange(len(title))
            title = title[:at] + rng.choice(string.ascii_lowercase) + title[at + 1 :]
        elif kind == 2:
            title = f"{title} - Remastered 2011"
        out.append(_line(artist, title, LISTENED_AT + i))
    return b"\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", default="george-jones,worst,artists,real")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings

    from analytics.listens_in import parse_listens
    from catalog.models import Artist
    from catalog.selectors.match import songs_match

    if not Artist.objects.filter(name="George Jones").exists():
        print(
            "bench/import_match.py needs the real catalog: load_music spotify-tracks-114k.csv",
            file=sys.stderr,
        )
        return 1
    builders = {
        "george-jones": lambda rng: george_jones(rng, args.lines),
        "worst": lambda rng: worst(rng, settings.ANALYTICS_IMPORT_MAX_BYTES),
        "artists": lambda rng: every_artist(rng, settings.ANALYTICS_IMPORT_MAX_BYTES),
        "real": lambda rng: real(rng, args.lines),
    }
    for name in args.only.split(","):
        raw = builders[name](random.Random(args.seed))
        started = time.perf_counter()
        listens = parse_listens(raw)
        parsed = time.perf_counter()
        pairs = {(listen.artist, listen.title) for listen in listens}
        matches = songs_match(pairs)
        matched = time.perf_counter()
        print(
            f"{name}: {len(raw) / 2**20:.1f} MiB, {len(listens):,} listens, {len(pairs):,} pairs: "
            f"parse {parsed - started:.2f} s, match {matched - parsed:.2f} s, "
            f"{len(matches):,} pairs matched",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
