"""Write a deterministic synthetic catalog of N songs in the columnar playlist format.

    python bench/make_catalog.py 1000000 --out var/catalog-1m.json [--seed 42] [--no-artists]

The same N, seed and source file always give the same bytes. Titles and artist names take
their words, and how often each occurs, from the real Spotify tracks file beside the project
(`../shared/data/spotify-tracks-114k.csv`, read at run time, never copied): about 49,000
distinct title words, a few hundred of them common and tens of thousands rare, 18% of them in
non-Latin scripts. Each title has as many words as a real title drawn at random, each word
drawn by its frequency in the real titles (with its most common capitalisation). Each song
credits 1-n artists (n as in the real file) drawn by their number of real songs: the ~30,000
real names, plus, for catalogs larger than the real one, synthetic names made of two words of
real names, so that artists keep about as many songs each as in the real file. The
`artists` column is a list of names per row. What else the real file carries about a track
(album, popularity, explicit, speechiness and its genres, a track listed under several
genres having them all) is copied from a real track drawn at random, so that those columns
keep the real spread: popularity from 0 to 100 with a mode at 0, a dozen songs an album,
114 genres. Audio features follow plausible distributions inside the model's ranges; ids are
unique 22-character base62 strings.

Without the source file the script stops with a message saying so (exit status 2).
"""

from __future__ import annotations

import argparse
import base64
import csv
import json
import operator
import random
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass
from itertools import accumulate
from json.encoder import encode_basestring
from pathlib import Path

# The project's root is bench/..; the shared data sits beside it.
SPOTIFY_CSV = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "spotify-tracks-114k.csv"
# Words are runs of letters and digits in any script: search's own rule (search_text._WORD).
_WORD = re.compile(r"[^\W_]+")
_BASE64_TO_62 = bytes.maketrans(b"+/", b"xQ")
# Songs per artist in the real file (89,741 tracks, 29,858 artists): a larger catalog gets
# synthetic artists so that this stays about the same.
SONGS_PER_ARTIST = 3


class MissingSourceError(Exception):
    """The real tracks file the vocabulary comes from is not there."""


@dataclass(frozen=True)
class Vocabulary:
    """Words and names with cumulative weights, for `random.choices`."""

    words: list[str]
    word_weights: list[int]
    title_lengths: list[int]
    length_weights: list[int]
    names: list[str]
    name_weights: list[int]
    name_words: list[str]
    name_word_weights: list[int]
    credits: list[int]
    credit_weights: list[int]
    # Per real track: (album, popularity, explicit, speechiness as written, its genres).
    traits: list[tuple[str, str, str, str, tuple[str, ...]]]


def _cumulative(counter: Counter) -> tuple[list, list[int]]:
    """Items by decreasing count (ties by item, so the order never depends on the file's),
    with their cumulative counts."""
    items = sorted(counter.items(), key=lambda pair: (-pair[1], pair[0]))
    return [item for item, _ in items], list(accumulate(count for _, count in items))


def read_vocabulary(path: Path = SPOTIFY_CSV) -> Vocabulary:
    """Word, name, title-length and credit-count frequencies of the real tracks (each
    track id once: the file lists a track under each of its genres)."""
    if not path.is_file():
        raise MissingSourceError(
            f"{path} is absent: the benchmark catalog takes its vocabulary from the real "
            "Spotify tracks file (../shared/data/spotify-tracks-114k.csv beside the project)"
        )
    words: Counter = Counter()
    spellings: dict[str, Counter] = {}
    lengths: Counter = Counter()
    names: Counter = Counter()
    name_words: Counter = Counter()
    credits: Counter = Counter()
    traits: dict[str, tuple[str, str, str, str, list[str]]] = {}
    with path.open(newline="", encoding="utf-8") as source:
        for row in csv.DictReader(source):
            if row["track_id"] in traits:
                traits[row["track_id"]][4].append(row["track_genre"])
                continue
            explicit = "true" if row["explicit"] == "True" else "false"
            traits[row["track_id"]] = (
                row["album_name"],
                row["popularity"],
                explicit,
                row["speechiness"],
                [row["track_genre"]],
            )
            title_words = _WORD.findall(row["track_name"])
            if not title_words:
                continue
            lengths[len(title_words)] += 1
            for word in title_words:
                key = word.lower()
                words[key] += 1
                spellings.setdefault(key, Counter())[word] += 1
            credited = [name for name in row["artists"].split(";") if name.strip()]
            credits[len(credited)] += 1
            names.update(credited)
            for name in credited:
                name_words.update(_WORD.findall(name))
    ordered_words, word_weights = _cumulative(words)
    # Each word with its most common spelling (ties: the first in code point order).
    spelled = [min(spellings[w].items(), key=lambda pair: (-pair[1], pair[0]))[0] for w in ordered_words]
    title_lengths, length_weights = _cumulative(lengths)
    ordered_names, name_weights = _cumulative(names)
    ordered_name_words, name_word_weights = _cumulative(name_words)
    credit_counts, credit_weights = _cumulative(credits)
    return Vocabulary(
        spelled,
        word_weights,
        title_lengths,
        length_weights,
        ordered_names,
        name_weights,
        ordered_name_words,
        name_word_weights,
        credit_counts,
        credit_weights,
        # The one track without a title, artist or album is no song of a load.
        [(*t[:4], tuple(sorted(set(t[4])))) for t in traits.values() if t[0]],
    )


def make_titles(rng: random.Random, n: int, vocabulary: Vocabulary) -> list[str]:
    lengths = rng.choices(vocabulary.title_lengths, cum_weights=vocabulary.length_weights, k=n)
    drawn = iter(rng.choices(vocabulary.words, cum_weights=vocabulary.word_weights, k=sum(lengths)))
    return [" ".join([next(drawn) for _ in range(length)]) for length in lengths]


def make_artists(rng: random.Random, n: int, vocabulary: Vocabulary) -> list[list[str]]:
    """Credited names per song: the real names by their song counts, plus synthetic
    two-word names (one song each on average in the weights) for a catalog larger than the
    real file."""
    names = list(vocabulary.names)
    weights = [b - a for a, b in zip([0, *vocabulary.name_weights], vocabulary.name_weights, strict=False)]
    extra = max(0, n // SONGS_PER_ARTIST - len(names))
    if extra:
        known = set(names)
        parts = rng.choices(vocabulary.name_words, cum_weights=vocabulary.name_word_weights, k=4 * extra)
        for first, second in zip(parts[::2], parts[1::2], strict=True):
            name = f"{first} {second}"
            if name not in known and first != second:
                known.add(name)
                names.append(name)
                weights.append(SONGS_PER_ARTIST)
                if len(names) == len(vocabulary.names) + extra:
                    break
    cumulative = list(accumulate(weights))
    counts = rng.choices(vocabulary.credits, cum_weights=vocabulary.credit_weights, k=n)
    drawn = iter(rng.choices(names, cum_weights=cumulative, k=sum(counts)))
    songs = []
    for count in counts:
        credited: list[str] = []
        for _ in range(count):
            name = next(drawn)
            if name not in credited:
                credited.append(name)
        songs.append(credited)
    return songs


def make_ids(rng: random.Random, n: int) -> list[str]:
    """Unique 22-character base62 ids: random bytes through base64 with its two
    non-alphanumeric symbols mapped onto letters, cut into 22-character pieces."""
    ids: list[str] = []
    seen: set[str] = set()
    while len(ids) < n:
        missing = n - len(ids)
        text = base64.b64encode(rng.randbytes(missing * 17)).translate(_BASE64_TO_62).decode()
        for start in range(0, missing * 22, 22):
            candidate = text[start : start + 22]
            if candidate not in seen:
                seen.add(candidate)
                ids.append(candidate)
    return ids


def _decimals(low: int, high: int, scale: int) -> list[str]:
    """JSON text of every multiple of 1/scale between low/scale and high/scale, so each
    value is written by a table lookup instead of a float repr."""
    return [repr(k / scale) for k in range(low, high + 1)]


def make_columns(
    n: int, seed: int, vocabulary: Vocabulary | None = None, *, artists: bool = True
) -> dict[str, list[str]]:
    """Each column as a list of JSON value texts, in the order the file lists them (the
    playlist's own, `class`, then `artists`)."""
    vocabulary = vocabulary or read_vocabulary()
    rng = random.Random(seed)
    r = rng.random
    gauss = rng.gauss
    milli = _decimals(0, 1000, 1000)
    unit_peak = milli.__getitem__

    def unit(mean_shift: float, spread: float) -> list[str]:
        # A hump around mean_shift: a clipped sum of two uniforms, in thousandths.
        return list(
            map(
                unit_peak,
                [min(1000, max(0, int(1000 * (mean_shift + spread * (r() + r() - 1))))) for _ in range(n)],
            )
        )

    duration = [max(30_000, int(gauss(215_000, 45_000))) for _ in range(n)]
    tempo_milli = [min(220_000, max(50_000, int(gauss(120_000, 28_000)))) for _ in range(n)]
    tempo_text = _decimals(50_000, 220_000, 1000)
    loudness_text = _decimals(-40_000, 0, 1000)
    tiny = _decimals(0, 10_000, 10_000)
    small = ["0", "1"]
    key_text = [str(k) for k in range(-1, 12)]
    # Bars follow from duration and tempo (4 beats a bar), as in real analyses.
    bars = [d * t // 240_000_000 for d, t in zip(duration, tempo_milli, strict=True)]
    columns = {
        "id": list(map(encode_basestring, make_ids(rng, n))),
        "title": list(map(encode_basestring, make_titles(rng, n, vocabulary))),
        "danceability": unit(0.62, 0.35),
        "energy": unit(0.65, 0.4),
        "key": [key_text[int(r() * 13)] for _ in range(n)],
        "loudness": [
            loudness_text[40_000 + max(-40_000, min(0, int(gauss(-7_000, 3_000))))] for _ in range(n)
        ],
        "mode": [small[int(r() * 2)] for _ in range(n)],
        "acousticness": [milli[int(1000 * r() ** 3)] for _ in range(n)],
        "instrumentalness": [tiny[int(10_000 * r() ** 12)] if r() < 0.6 else "0.0" for _ in range(n)],
        "liveness": [milli[int(1000 * (0.03 + 0.6 * r() ** 3))] for _ in range(n)],
        "valence": unit(0.5, 0.5),
        "tempo": [tempo_text[t - 50_000] for t in tempo_milli],
        "duration_ms": list(map(str, duration)),
        "time_signature": rng.choices(["3", "4", "5", "1"], weights=[8, 88, 3, 1], k=n),
        "num_bars": list(map(str, bars)),
        "num_sections": [str(max(1, d // 25_000 + int(r() * 5) - 2)) for d in duration],
        "num_segments": [str(max(1, int(d * (3 + 2 * r()) / 1000))) for d in duration],
        "class": [small[int(r() * 2)] for _ in range(n)],
    }
    if artists:
        # Drawn last, so that the other columns are the same with or without them.
        credited = make_artists(rng, n, vocabulary)
        columns["artists"] = [json.dumps(names, ensure_ascii=False) for names in credited]
    # From a generator of their own, so that the columns above stay what they were without.
    drawn = random.Random(f"{seed}:traits").choices(vocabulary.traits, k=n)
    columns["album"] = [encode_basestring(t[0]) for t in drawn]
    columns["popularity"] = [t[1] for t in drawn]
    columns["explicit"] = [t[2] for t in drawn]
    columns["speechiness"] = [t[3] for t in drawn]
    columns["genres"] = [json.dumps(t[4], ensure_ascii=False) for t in drawn]
    return columns


def stale(path: Path) -> bool:
    """Whether a catalog file must be (re)written: absent, or older than this script (an
    earlier version's catalog, which may lack columns)."""
    return not path.exists() or path.stat().st_mtime < Path(__file__).stat().st_mtime


def write_catalog(columns: dict[str, list[str]], out) -> None:
    """Columnar JSON as pandas' `to_json()` writes it: {"column": {"0": value, ...}, ...}.

    Values arrive as JSON text; each column is one C-level join of key and value texts,
    which keeps a 1M-song catalog to seconds."""
    n = len(columns["id"])
    keys = [f'"{i}":' for i in range(n)]
    out.write("{")
    for position, (name, values) in enumerate(columns.items()):
        out.write(f'{"," if position else ""}"{name}":{{')
        out.write(",".join(map(operator.add, keys, values)))
        out.write("}")
    out.write("}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="number of songs")
    parser.add_argument("--out", help="output file (default: standard output)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-artists", action="store_true", help="leave out the artists column")
    args = parser.parse_args(argv)
    if args.n < 0:
        parser.error("n must be >= 0")

    started = time.perf_counter()
    try:
        columns = make_columns(args.n, args.seed, artists=not args.no_artists)
    except MissingSourceError as missing:
        print(f"make_catalog.py: {missing}", file=sys.stderr)
        return 2
    if args.out:
        path = Path(args.out)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as out:
            write_catalog(columns, out)
        elapsed = time.perf_counter() - started
        print(f"wrote {args.n} songs to {path} in {elapsed:.1f} s", file=sys.stderr)
    else:
        write_catalog(columns, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
