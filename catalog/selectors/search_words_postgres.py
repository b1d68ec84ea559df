"""The words of a search query looked up on PostgreSQL: `search_words`' rules, each lookup
served by an index.

PostgreSQL looks the words up in `catalog_searchword` and `catalog_artistword` (migrations
0003 and 0007), every lookup with its own parameters so that an index serves it: the
primary keys (C collation) for `word LIKE 'abc%'` and `word = ANY(edits)`, the trigram
indexes for `word LIKE '%abc%'` and `word % 'abc'`.
"""

from __future__ import annotations

from functools import partial

from django.db import connections

from catalog.selectors.search_accents import FOLDED_WORD, accented_params, accented_sql, each_sql
from catalog.selectors.search_corrections import CORRECTION_THRESHOLD, WEAKLY_HELD, Term, pick, prevailing
from catalog.selectors.search_text import MIN_TRIGRAM_TERM, apostrophe_forms, one_edit, several_words, slips
from catalog.selectors.search_words import SIMILAR_CANDIDATES, ParsedQuery, reread

# Candidate corrections: the term's slips (`search_text.slips`) that are words, looked up by
# their primary keys, then the words of either list most similar to the term by trigrams
# (`%`, which their trigram indexes serve), the accented ones also by their folded form
# against the folded term (migration 0019's partial trigram indexes), as [word,
# occurrences, similarity]; the caller prefers those one edit away (`pick`).
_SIMILAR_SQL = f"""(
    SELECT coalesce(
        json_agg(
            json_build_array(g.word, g.ndoc, g.sim) ORDER BY g.slip DESC, g.sim DESC, g.ndoc DESC, g.word
        ),
        '[]'
    )
    FROM (
        SELECT f.word, max(f.ndoc) AS ndoc, max(f.sim) AS sim, bool_or(f.slip) AS slip
        FROM (
            SELECT word, ndoc, similarity(word, %(term{{i}})s) AS sim, true AS slip FROM catalog_searchword
            WHERE word = ANY(%(slips{{i}})s)
            UNION ALL
            SELECT word, nnames, similarity(word, %(term{{i}})s), true FROM catalog_artistword
            WHERE word = ANY(%(slips{{i}})s)
            UNION ALL
            SELECT word, ndoc, similarity(word, %(term{{i}})s), false FROM catalog_searchword
            WHERE word %% %(term{{i}})s AND length(word) >= 3
            UNION ALL
            SELECT word, nnames, similarity(word, %(term{{i}})s), false FROM catalog_artistword
            WHERE word %% %(term{{i}})s AND length(word) >= 3
            UNION ALL
            SELECT word, ndoc, similarity({FOLDED_WORD}, %(plain{{i}})s), false FROM catalog_searchword
            WHERE {FOLDED_WORD} %% %(plain{{i}})s AND word <> {FOLDED_WORD} AND length(word) >= 3
            UNION ALL
            SELECT word, nnames, similarity({FOLDED_WORD}, %(plain{{i}})s), false FROM catalog_artistword
            WHERE {FOLDED_WORD} %% %(plain{{i}})s AND word <> {FOLDED_WORD} AND length(word) >= 3
        ) AS f
        GROUP BY f.word ORDER BY 4 DESC, 3 DESC, 2 DESC, 1 LIMIT {SIMILAR_CANDIDATES}
    ) AS g
)"""
# Per term some word starts with, weakly held: the words one edit from it (`one_edit`), by
# the word lists' primary keys, as [word, occurrences, 0] (`_SIMILAR_SQL`'s rows; trigram
# similarity, a tie-break there, is left out: its lookup costs several milliseconds where
# these cost one).
_EDITS_SQL = """(
    SELECT coalesce(json_agg(json_build_array(e.word, e.n, 0.0)), '[]')
    FROM (
        SELECT w.word, max(w.n) AS n
        FROM (
            SELECT word, ndoc AS n FROM catalog_searchword WHERE word = ANY(%(edits{i})s)
            UNION ALL
            SELECT word, nnames FROM catalog_artistword WHERE word = ANY(%(edits{i})s)
        ) AS w
        GROUP BY w.word
    ) AS e
)"""
# Per term: whether a word starts with it, the occurrences of the words containing it (in
# titles, in names), its accented forms, and whether it is a word itself: ten index lookups.
# The candidate corrections (`_SIMILAR_SQL`) are a statement of their own, for the terms no
# word starts with, nor an accented form: in this one, even unreached, they doubled its
# planning.
_TERM_SQL = f"""
SELECT {{i}} AS ord, t.inside, t.named, t.known, t.accented, t.whole
FROM (SELECT
        EXISTS (SELECT 1 FROM catalog_searchword WHERE word LIKE %(prefix{{i}})s)
            OR EXISTS (SELECT 1 FROM catalog_artistword WHERE word LIKE %(prefix{{i}})s)
            OR EXISTS (SELECT 1 FROM catalog_searchword WHERE word LIKE %(plainprefix{{i}})s)
            OR EXISTS (SELECT 1 FROM catalog_artistword WHERE word LIKE %(plainprefix{{i}})s) AS known,
        (SELECT coalesce(sum(ndoc), 0) FROM catalog_searchword WHERE word LIKE %(inside{{i}})s) AS inside,
        (SELECT coalesce(sum(nnames), 0) FROM catalog_artistword WHERE word LIKE %(inside{{i}})s) AS named,
        {accented_sql()} AS accented,
        EXISTS (SELECT 1 FROM catalog_searchword WHERE word = %(term{{i}})s)
            OR EXISTS (SELECT 1 FROM catalog_artistword WHERE word = %(term{{i}})s) AS whole
     ) AS t
"""
# Per correction: its occurrences in title words and in artist-name words. A sum rather
# than EXISTS for the names: the planner expects EXISTS to stop at an early row of a
# sequential scan, and for a word no name holds that reads the whole list.
_VARIANT_SQL = """
SELECT {i} AS ord,
       (SELECT coalesce(sum(ndoc), 0) FROM catalog_searchword WHERE word LIKE %(inside{i})s),
       (SELECT coalesce(sum(nnames), 0) FROM catalog_artistword WHERE word LIKE %(inside{i})s)
"""


def parse_postgres(
    using: str,
    text: str,
    terms: list[str],
    *,
    every_word: bool = False,
    looked_up: tuple[float, list] | None = None,
) -> ParsedQuery:
    """The terms looked up in the word lists: in one round trip, whether each is known, its
    occurrences and accented forms (with theirs); in a second one, only for terms that are
    neither known nor accented forms of a word, their candidate corrections, and for the
    weakly held beginnings (`WEAKLY_HELD`; with `every_word`, every known term: `reread`),
    the words one edit away; in a third, only when there are corrections (or an accented
    term's folded form), their occurrences. `looked_up`: the first round trip's answer, from
    an earlier parse of the same query on the same connection.

    Terms are runs of letters and digits, and so are the words: neither can hold a LIKE
    wildcard, so they are put into patterns unescaped."""
    long_terms = [t for t in terms if len(t) >= MIN_TRIGRAM_TERM]
    if not long_terms:
        return ParsedQuery(text=text, terms=terms, variants=[])
    with connections[using].cursor() as cursor:
        params: dict[str, str | int | list[str]] = {}
        for i, term in enumerate(long_terms):
            params.update(accented_params(i, term), **{f"prefix{i}": f"{term}%", f"inside{i}": f"%{term}%"})
            params[f"slips{i}"] = slips(term)
        if looked_up is None:
            # Session-wide, for the `%` operator that the word lists' trigram indexes serve.
            cursor.execute(
                "SELECT set_config('pg_trgm.similarity_threshold', %s, false),"
                " (SELECT reltuples FROM pg_class WHERE oid = 'catalog_song'::regclass)",
                [str(CORRECTION_THRESHOLD)],
            )
            songs = max(float(cursor.fetchone()[1] or 0.0), 0.0)
            cursor.execute(each_sql(_TERM_SQL, len(long_terms)), params)
            looked_up = (songs, cursor.fetchall())
        songs, found = looked_up
        unknown = [i for i, (_, _, _, known, accented, _) in enumerate(found) if not known and not accented]
        weak = [
            i
            for i, (_, inside, named, known, _, whole) in enumerate(found)
            if known
            and (every_word or (not whole and max(inside, named) < WEAKLY_HELD and several_words(text)))
        ]
        similar: dict[int, list] = {}
        if unknown or weak:
            for i in weak:
                params[f"edits{i}"] = one_edit(long_terms[i])
            branches = [f"(SELECT {i} AS ord, {_SIMILAR_SQL.format(i=i)})" for i in unknown] + [
                f"(SELECT {i} AS ord, {_EDITS_SQL.format(i=i)})" for i in weak
            ]
            cursor.execute(f"SELECT * FROM ({' UNION ALL '.join(branches)}) AS each", params)
            similar = dict(cursor.fetchall())
        # An accented form's occurrences are those of the words it starts, counted with it
        # (an estimate, as every count here is: the words holding it further in are not).
        counted: dict[str, tuple[int, int]] = {
            form: (int(titles), int(names)) for *_, accented, _ in found for form, titles, names in accented
        }
        rows = [
            Term(
                term,
                inside,
                named,
                known,
                [form for form, _, _ in accented],
                prevailing(
                    term,
                    [tuple(r) for r in similar.get(i, [])],
                    max(int(inside), int(named)),
                    again=every_word,
                )
                if known
                else pick(term, [tuple(r) for r in similar.get(i, [])], bool(inside or named)),
            )
            for i, (term, (_, inside, named, known, accented, _)) in enumerate(
                zip(long_terms, found, strict=True)
            )
        ]
        fixes = list(dict.fromkeys(word for row in rows for word in row.fixes if word not in counted))
        if fixes:
            cursor.execute(
                each_sql(_VARIANT_SQL, len(fixes)), {f"inside{i}": f"%{w}%" for i, w in enumerate(fixes)}
            )
            counted.update(
                (word, (int(inside), int(named)))
                for word, (_, inside, named) in zip(fixes, cursor.fetchall(), strict=True)
            )
    alive = []
    for row in rows:
        # A fix no word holds (the folded form of an accented term, unless some word holds
        # it) would only cost a pattern that matches nothing.
        variants = [row.term, *dict.fromkeys(w for w in row.fixes if w != row.term and any(counted[w]))]
        title_count = int(row.inside) + sum(counted[w][0] for w in variants[1:])
        name_count = int(row.named) + sum(counted[w][1] for w in variants[1:])
        # A reading with an apostrophe (a contraction, a possessive) is no word of the lists
        # (they split at the apostrophe), so it adds nothing to the counts, and keeps its
        # term whatever they say.
        readings = apostrophe_forms(row.term, text)
        if title_count or name_count or readings:
            alive.append(([*variants, *readings], title_count, name_count, row))
    return ParsedQuery(
        text=text,
        terms=terms,
        variants=[variants for variants, _, _, _ in alive],
        occurrences=tuple(count for _, count, _, _ in alive),
        songs=songs,
        matchable=bool(alive),
        name_occurrences=tuple(count for _, _, count, _ in alive),
        best=tuple(row.best for _, _, _, row in alive),
        accented=tuple(row.accented_among(variants) for variants, _, _, row in alive),
        looked_up=looked_up,
    )


def reread_postgres(using: str, parsed: ParsedQuery) -> ParsedQuery | None:
    """`reread` on PostgreSQL, reusing the first reading's lookups."""
    return reread(parsed, partial(parse_postgres, using, looked_up=parsed.looked_up))
