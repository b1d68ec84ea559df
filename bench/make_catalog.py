"""Write a deterministic synthetic catalog of N songs in the columnar playlist format.

    python bench/make_catalog.py 1000000 --out var/catalog-1m.json [--seed 42]

The same N and seed always give the same bytes. Titles look like real ones: 1-6 words drawn
with a Zipf-like bias (so common words repeat a lot), some accented and a few non-Latin words,
and about 10% carry a "(Remix)" / "- Live" / "(feat. X)" style suffix. Audio features follow
plausible distributions inside the model's ranges; ids are unique 22-character base62 strings.
"""

from __future__ import annotations

import argparse
import base64
import operator
import random
import sys
import time
from itertools import accumulate
from json.encoder import encode_basestring
from pathlib import Path


def _words(text: str) -> list[str]:
    return text.split()


COMMON_WORDS = _words(
    """
love you me my heart night baby time girl boy life world dance feel way home day light
like little dream fire know go all one back want need good tonight sky tell rain
never forever say come rock roll summer blue gold down run free wild young sweet
stay alive real hold break up out money crazy lonely side star road city river shadow
water ocean moon sun kiss bad better lose last first again alone thunder midnight
fall rise high low slow fast hot cold burn shine paradise heaven angel devil ghost
memory story song music radio party body soul mind eyes hands lips fever storm wave
summertime golden silver diamond broken empty lost found hurt heal magic secret
blank space believer romance bleeding shape blinding lights thinking out loud
"""
)

RARE_WORDS = _words(
    """
aurora velvet neon saturday monday sunset sunrise highway satellite electric cherry
wonder echo horizon kingdom crystal thunderstruck avalanche lullaby serenade anthem
carousel marigold lavender hurricane tornado volcano desert canyon island harbor
caravan lantern mirror window garden meadow orchard prairie valley glacier comet
"""
)

ACCENTED_WORDS = _words(
    """
corazón café mañana niño señorita déjà vu über fiancée adiós canción vida amor
noël garçon façade naïve jalapeño años coração saudade björk zürich straße
"""
)

NON_LATIN_WORDS = ["愛", "東京", "夜", "Любовь", "Москва", "사랑", "서울", "Αγάπη", "الحب", "नमस्ते"]

FEATURED = [
    "Drake",
    "Rihanna",
    "Beyoncé",
    "Kendrick Lamar",
    "Ed Sheeran",
    "Dua Lipa",
    "Bad Bunny",
    "Rosalía",
    "The Weeknd",
    "Sia",
    "Pitbull",
    "Shakira",
]

SUFFIXES = [" (Remix)", " - Live", " (Acoustic)", " - Radio Edit", " (Live)", " - Remastered"]

_BASE64_TO_62 = bytes.maketrans(b"+/", b"xQ")


def _vocabulary() -> tuple[list[str], list[float]]:
    """Words with Zipf-like cumulative weights: the first common words dominate."""
    words = COMMON_WORDS + RARE_WORDS + ACCENTED_WORDS + NON_LATIN_WORDS
    weights = [1.0 / (rank + 1) ** 0.9 for rank in range(len(COMMON_WORDS) + len(RARE_WORDS))]
    # Accented words appear in about 3% of word draws, non-Latin in well under 1%.
    weights += [0.01] * len(ACCENTED_WORDS) + [0.002] * len(NON_LATIN_WORDS)
    return words, list(accumulate(weights))


def make_titles(rng: random.Random, n: int) -> list[str]:
    words, cum_weights = _vocabulary()
    capitalized = {w: w[:1].upper() + w[1:] for w in words}
    lengths = rng.choices(range(1, 7), weights=[18, 30, 24, 15, 8, 5], k=n)
    drawn = iter(rng.choices(words, cum_weights=cum_weights, k=sum(lengths)))
    suffix_roll = rng.random
    titles = []
    for length in lengths:
        title = " ".join([capitalized[next(drawn)] for _ in range(length)])
        roll = suffix_roll()
        if roll < 0.04:
            title += f" (feat. {rng.choice(FEATURED)})"
        elif roll < 0.10:
            title += rng.choice(SUFFIXES)
        titles.append(title)
    return titles


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


def make_columns(n: int, seed: int) -> dict[str, list[str]]:
    """Each column as a list of JSON value texts, in the order the file lists them (the
    playlist's own, `class` last)."""
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
    return {
        "id": list(map(encode_basestring, make_ids(rng, n))),
        "title": list(map(encode_basestring, make_titles(rng, n))),
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
    args = parser.parse_args(argv)
    if args.n < 0:
        parser.error("n must be >= 0")

    started = time.perf_counter()
    columns = make_columns(args.n, args.seed)
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
