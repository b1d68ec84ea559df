"""How well song search finds the song a user meant through a typo, on the real catalog.

    DATABASE_URL=postgres://.../md_search_typos python bench/search_typos.py [--per-kind 200]

The Spotify tracks file of ../shared/data is loaded first (`load_music --skip-invalid`) when
the songs table is empty. Queries are made from songs people know (popularity >= 50, drawn
at random with --seed): a song's title, or its first artist's name and the title's first
word, with one typo in a word of 4+ letters: past its first letter, two neighbouring letters
swapped, one dropped, one doubled, one replaced by its neighbour on the keyboard; and, as a
kind of its own (people seldom make it, and the corrections count on that), the first letter
replaced by its neighbour; and a title that holds an apostrophe typed without it (`cant
stop` for "Can't Stop": its first six words before any " - " or "(" part, when they hold
one). Each query goes through `song_search_ranked`, what
`GET /api/songs/?search=` runs; a query counts as found when the song, or another id of its
recording (same title and first artist), is in the first 1 / 10 results.

Prints, per kind of typo, found@1 and found@10, and the time of a query's first page in
process (p50 / p95 ms: `song_search_ranked` and the ids of its first 10), for bench/README.md.
On the embedded default (DATABASE_URL unset, or a sqlite:// one) it measures the SQLite path.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "music_discovery.settings")
CSV = BASE_DIR.parent / "shared" / "data" / "spotify-tracks-114k.csv"
KINDS = ("swapped", "dropped", "doubled", "neighbour key", "first letter", "apostrophe left out")
_WORD = re.compile(r"[a-z]+")
_APOSTROPHE = re.compile(r"(?<=[a-z])['\u2019](?=[a-z])")
_KEYBOARD = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _neighbours(letter: str) -> str:
    for row in _KEYBOARD:
        at = row.find(letter)
        if at >= 0:
            return row[max(0, at - 1) : at] + row[at + 1 : at + 2]
    return ""


def typo(kind: str, rng: random.Random, word: str) -> str | None:
    """`word` with one typo of `kind` past its first letter; None when it has none to make."""
    if kind == "swapped":
        spots = [i for i in range(1, len(word) - 1) if word[i] != word[i + 1]]
        i = rng.choice(spots) if spots else None
        return None if i is None else word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "first letter":  # its neighbour on the keyboard: the slip the others avoid
        keys = _neighbours(word[0])
        return rng.choice(keys) + word[1:] if keys else None
    i = rng.randrange(1, len(word))
    if kind == "dropped":
        return word[:i] + word[i + 1 :]
    if kind == "doubled":
        return word[:i] + word[i] + word[i:]
    keys = _neighbours(word[i])
    return word[:i] + rng.choice(keys) + word[i + 1 :] if keys else None


def make_queries(per_kind: int, seed: int) -> list[tuple[str, str, int]]:
    """(kind, query, song id) triples, per_kind of each kind."""
    from catalog.models import SongArtist

    rng = random.Random(seed)
    firsts = list(
        SongArtist.objects.filter(position=0, song__popularity__gte=50)
        # By Spotify id, not ours: a load draws our ids in its own order (most popular first).
        .order_by("song__spotify_id")
        .values_list("song_id", "song__title", "artist__name")
    )
    queries: list[tuple[str, str, int]] = []
    # The title's words before any " - " or "(" part, when they hold an apostrophe.
    typed = {song_id: re.split(r" - |\(", title.lower())[0].split()[:6] for song_id, title, _ in firsts}
    with_apostrophe = sorted(
        song_id for song_id, words in typed.items() if _APOSTROPHE.search(" ".join(words))
    )
    for song_id in rng.sample(with_apostrophe, min(per_kind, len(with_apostrophe))):
        queries.append(("apostrophe left out", _APOSTROPHE.sub("", " ".join(typed[song_id])), song_id))
    for kind in KINDS[:-1]:
        made = 0
        while made < per_kind:
            song_id, title, name = rng.choice(firsts)
            words = _WORD.findall(title.lower())
            if not words or len(words) > 6:
                continue
            text = words if rng.random() < 0.5 else [*_WORD.findall(name.lower())[:2], words[0]]
            long_words = [i for i, w in enumerate(text) if len(w) >= 4]
            if not long_words:
                continue
            at = rng.choice(long_words)
            wrong = typo(kind, rng, text[at])
            if wrong is None or wrong == text[at]:
                continue
            queries.append((kind, " ".join([*text[:at], wrong, *text[at + 1 :]]), song_id))
            made += 1
    return queries


def real_catalog() -> bool:
    """Django set up on DATABASE_URL, migrated, the Spotify tracks file loaded when the songs
    table is empty; False (having said why) when the file is absent."""
    if not CSV.exists():
        print(f"skipped: the Spotify tracks file is not at {CSV}")
        return False
    import django

    django.setup()
    from django.core.management import call_command

    from catalog.models import Song

    call_command("migrate", verbosity=0)
    if not Song.objects.exists():
        call_command("load_music", str(CSV), skip_invalid=True, verbosity=0)
    return True


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--per-kind", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--show", type=int, default=0, help="print this many misses of each kind")
    args = parser.parse_args()
    if not real_catalog():
        return 0
    from catalog.models import Song, SongArtist
    from catalog.selectors.search import song_search_ranked
    from catalog.selectors.songs import song_list

    firsts = dict(SongArtist.objects.filter(position=0).values_list("song_id", "artist_id"))
    titles = dict(Song.objects.values_list("id", "title"))

    def recording(song_id: int) -> tuple[str, int | None]:
        return titles[song_id].lower(), firsts.get(song_id)

    every = make_queries(args.per_kind, args.seed)
    rows = []
    for kind in KINDS:
        queries = [q for q in every if q[0] == kind]
        at1 = at10 = 0
        misses = []
        took = []
        for _, query, song_id in queries:
            start = time.perf_counter()
            found = song_search_ranked(song_list(), query)
            ids = found.ranked_ids(0, 10) if hasattr(found, "ranked_ids") else [s.pk for s in found[:10]]
            took.append((time.perf_counter() - start) * 1000)
            places = [i for i, other in enumerate(ids) if recording(other) == recording(song_id)]
            at1 += bool(places and places[0] == 0)
            at10 += bool(places)
            if not places:
                misses.append(f"{query!r} for {titles[song_id]!r}")
        p50, p95 = statistics.median(took), statistics.quantiles(took, n=20)[-1]
        rows.append(
            f"| {kind} | {len(queries)} | {at1 / len(queries):.3f} | {at10 / len(queries):.3f}"
            f" | {p50:.1f} | {p95:.1f} |"
        )
        for miss in misses[: args.show]:
            print(f"  missed ({kind}): {miss}")
    print("| typo | queries | found@1 | found@10 | p50 ms | p95 ms |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
