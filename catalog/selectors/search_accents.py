"""Accent folding in the word lists: a term's accented forms, the words that differ from it
only by marks on their letters (`search_text.fold`), read from the partial indexes of
migration 0019 on PostgreSQL, from in-memory words elsewhere. Song search
(`search_words`) takes them as variants of its terms; the artist search and the naming of
artists (`refs.artist_keys_named`) as forms of a name (`accented_texts`)."""

from __future__ import annotations

from collections import Counter

from django.db import connections

from catalog.models import Artist
from catalog.selectors.search_text import fold, folded_sql, query_terms, title_words, with_forms

# A term's accented forms looked for, the most frequent first ("the": thé, thè).
ACCENTED_PER_TERM = 3
# Terms whose forms in names one statement looks up: a statement's planning grows faster
# than its branches (a history's 2,000 unknown name words in one statement took 97 s, in
# statements of 100 about 2 s: bench/README.md, "Import: matching a history").
TERMS_PER_STATEMENT = 100
FOLDED_WORD = folded_sql("word")


# Per term: its accented forms (the prefixes of its length of the accented words whose
# folded form starts with the folded term), most frequent first, each as [form,
# occurrences in titles, in names] of the words it starts, read from the partial indexes of
# migration 0019, which hold the accented words only. `lists`: the word lists looked in,
# each (table, its count as titles', as names').
WORD_LISTS = (("catalog_searchword", "ndoc", "0"), ("catalog_artistword", "0", "nnames"))


def accented_sql(lists: tuple[tuple[str, str, str], ...] = WORD_LISTS) -> str:
    each = " UNION ALL ".join(
        f"SELECT left(word, %(length{{i}})s) AS part, {titles} AS t, {names} AS n FROM {words}"
        f" WHERE {FOLDED_WORD} LIKE %(folded{{i}})s AND word <> {FOLDED_WORD}"
        for words, titles, names in lists
    )
    return f"""(
    SELECT coalesce(json_agg(json_build_array(a.part, a.t, a.n) ORDER BY a.t + a.n DESC, a.part), '[]') FROM (
        SELECT w.part, sum(w.t) AS t, sum(w.n) AS n FROM ({each}) AS w
        WHERE w.part <> %(term{{i}})s AND w.part <> %(plain{{i}})s
        GROUP BY 1 ORDER BY sum(w.t) + sum(w.n) DESC, 1 LIMIT {ACCENTED_PER_TERM}
    ) AS a
)"""


def accented_params(i: int, term: str) -> dict[str, str | int]:
    return {
        f"folded{i}": f"{fold(term)}%",
        f"plain{i}": fold(term),
        f"plainprefix{i}": f"{fold(term)}%",
        f"length{i}": len(term),
        f"term{i}": term,
    }


def each_sql(template: str, items: int | list[int]) -> str:
    """`template` for items 0 to `items` - 1 (or those of the list), as one statement whose
    rows come in that order."""
    indices = range(items) if isinstance(items, int) else items
    branches = " UNION ALL ".join(f"({template.format(i=i)})" for i in indices)
    return f"SELECT * FROM ({branches}) AS each ORDER BY ord"


def accented_python(term: str, occurrences: Counter) -> list[str]:
    """`accented_sql` over in-memory words with their occurrences."""
    folded, parts = fold(term), Counter[str]()
    for word, count in occurrences.items():
        if word.isascii():  # no accent to fold
            continue
        plain = fold(word)
        if plain != word and plain.startswith(folded) and word[: len(term)] not in (term, folded):
            parts[word[: len(term)]] += count
    return [
        part for part, _ in sorted(parts.items(), key=lambda item: (-item[1], item[0]))[:ACCENTED_PER_TERM]
    ]


def name_accented(using: str, terms: list[str]) -> list[list[str]]:
    """Per term, its other forms in artist names: its accented forms among the words of
    names (as song search finds them: "ze" is "zé", "omur" "ömür", "u" "ü"), and its
    folded form when it is accented."""
    forms: dict[str, list[str]] = {}
    looked_up = list(dict.fromkeys(terms))
    if looked_up and connections[using].vendor == "postgresql":
        with connections[using].cursor() as cursor:
            for start in range(0, len(looked_up), TERMS_PER_STATEMENT):
                chunk = looked_up[start : start + TERMS_PER_STATEMENT]
                params: dict[str, str | int] = {}
                for i, term in enumerate(chunk):
                    params.update(accented_params(i, term))
                cursor.execute(
                    each_sql(f"SELECT {{i}} AS ord, {accented_sql(WORD_LISTS[1:])}", len(chunk)), params
                )
                forms.update(
                    (term, [form for form, _, _ in found])
                    for term, (_, found) in zip(chunk, cursor.fetchall(), strict=True)
                )
    elif looked_up:
        # Every name on a line of its own: words never span a line.
        words = Counter(title_words("\n".join(Artist.objects.using(using).values_list("name", flat=True))))
        forms = {term: accented_python(term, words) for term in looked_up}
    return [[*forms.get(term, []), *([fold(term)] if fold(term) != term else [])] for term in terms]


def accented_texts(using: str, texts: list[str]) -> list[list[str]]:
    """Per text (normalized), the text first, then the texts its words' other forms in
    artist names make (`name_accented`, `with_forms`): "motley crue" is also "mötley crüe".
    One query for every text."""
    terms = list(dict.fromkeys(term for text in texts for term in query_terms(text)))
    others = dict(zip(terms, name_accented(using, terms), strict=True))
    return [with_forms(text, {term: others[term] for term in query_terms(text)}) for text in texts]
