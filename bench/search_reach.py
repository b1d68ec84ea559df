"""How many of the songs a common word's searcher most likely wants the first page of
`search=` lists, on the real catalog.

    DATABASE_URL=postgres://.../md_search_typos python bench/search_reach.py [--words 30]

The catalog is readied as `bench/search_typos.py` readies it. For each of the --words most
common title words of three letters or more (`catalog_searchword`, letters a-z only): of
the 10 most popular titles starting with the word, and of the 10 most popular titles
holding it anywhere (`ILIKE`), how many the first page of `GET /api/songs/?search=word`
lists (default page size, through Django's test client).

Prints each word's two counts and their totals, for bench/README.md.
"""

from __future__ import annotations

import argparse
import sys

from search_typos import real_catalog

TOP = 10


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--words", type=int, default=30)
    args = parser.parse_args()
    if not real_catalog():
        return 0
    from django.db import connection
    from django.test import Client

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT word FROM catalog_searchword WHERE length(word) >= 3 AND word ~ '^[a-z]+$'"
            " ORDER BY ndoc DESC, word LIMIT %s",
            [args.words],
        )
        words = [word for (word,) in cursor.fetchall()]
    client = Client()
    starting = holding = 0
    rows = []
    for word in words:
        with connection.cursor() as cursor:
            top = "ORDER BY popularity DESC NULLS LAST, id LIMIT %s"
            cursor.execute(f"SELECT id FROM catalog_song WHERE lower(title) LIKE %s {top}", [word + "%", TOP])
            first = {song_id for (song_id,) in cursor.fetchall()}
            cursor.execute(f"SELECT id FROM catalog_song WHERE title ILIKE %s {top}", [f"%{word}%", TOP])
            anywhere = {song_id for (song_id,) in cursor.fetchall()}
        response = client.get("/api/songs/", {"search": word}, HTTP_HOST="localhost")
        page = {song["id"] for song in response.json()["results"]}
        starting += len(first & page)
        holding += len(anywhere & page)
        rows.append(f"`{word}` {len(first & page)} / {len(anywhere & page)}")
    print(", ".join(rows))
    print(
        f"of the {TOP} most popular titles, on the first page: starting with the word"
        f" {starting} / {TOP * len(words)}, holding it {holding} / {TOP * len(words)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
