"""A search query's terms resolved against the words of titles and artist names: which
terms can match, their typo corrections, and how often they occur.

The rules, the same on both databases:
- A term of 3+ characters that some word (of a title or an artist's name) starts with is
  taken as typed; and in a query of two words or more, when it is no word itself and the
  words holding it are rare, also as the words one edit away that occur at least PREVAILS
  times as often (`search_corrections.prevailing`: in `teen spirt`, `spirt`, which only
  "Spirto" starts, is spirit too). A word alone may be a beginning or a fragment (`gling`),
  and stays as typed; a word of the lists ("Loote") is meant.
- Any other term may be a typo: its corrections are the words one edit away (a letter
  dropped, swapped, replaced or inserted), the most likely first
  (`search_corrections.likelihood`: the most frequent, unless they lose a typed letter or
  change the first; a letter replaced by its neighbour on the keyboard is no loss), among
  the term's slips (`search_text.slips`: the edits that trigrams miss, looked up as they
  are) and the words
  most similar to it by trigrams (pg_trgm's `%`, at CORRECTION_THRESHOLD). When no word is
  one edit away and no word even contains the term, the most similar words are its
  corrections instead. The term stays one of its own variants: titles holding it match.
- A term also finds the words it folds alike with (`search_text.fold`): "beyonce" is
  "beyoncé" too, "bjor" "björ", "café" "cafe". Its accented forms are the prefixes of the
  term's length of the words whose folded form starts with the folded term, the most
  frequent `search_accents.ACCENTED_PER_TERM`; a term found that way, or whose folded form
  starts a word ("abbá": abba), is known, not a typo.
- A term that neither it nor its corrections find in a title word or an artist name cannot
  match: it is left out, so that "love qwxz" finds love songs instead of nothing; unless, in
  a query of two words or more, it has a reading with an apostrophe (a contraction or a
  possessive: `search_text.apostrophe_forms`), which the lists, split at the apostrophe,
  cannot count.
- When no song has every term of a query of two words or more as typed (its caller looks),
  the query is read again (`reread`): each term some word starts with, a word or not, also
  as the words one edit away that occur PREVAILS_AGAIN times as often (`someone you lived`:
  loved).

PostgreSQL looks the words up in its word lists (`search_words_postgres`); the SQLite path
applies the same rules to the words of every title and name, in Python (`parse_python`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

from catalog.selectors.search_accents import accented_python
from catalog.selectors.search_corrections import (
    CORRECTION_THRESHOLD,
    WEAKLY_HELD,
    Term,
    pick,
    prevailing,
)
from catalog.selectors.search_text import (
    MIN_TRIGRAM_TERM,
    apostrophe_forms,
    fold,
    one_edit,
    several_words,
    slips,
    spelled,
    starts_a_word,
    title_words,
    trigrams,
    trigrams_similarity,
    with_forms,
)

# The most similar words looked at for a term (those one edit away are among them: one edit
# leaves a word of 3+ letters at least CORRECTION_THRESHOLD similar).
SIMILAR_CANDIDATES = 30


@dataclass(frozen=True)
class ParsedQuery:
    text: str
    terms: list[str]
    # Per term of 3+ characters that can match: the term itself, then its corrections (and
    # its readings with an apostrophe: `search_text.apostrophe_forms`).
    variants: list[list[str]]
    # Per such term: occurrences in titles of the words containing a variant (PostgreSQL's
    # word list), and the planner's song count; zeros when unknown.
    occurrences: tuple[int, ...] = ()
    songs: float = 0.0
    # False when the query has terms of 3+ characters and none of them can match anything.
    matchable: bool = True
    # Per such term: how many artist-name words contain a variant (0: the term is looked
    # for in titles only).
    name_occurrences: tuple[int, ...] = ()
    # Per such term: what the corrected query reads for it (`Term.best`).
    best: tuple[str, ...] = ()
    # Per such term: its variants that are accented forms of it, or its folded form.
    accented: tuple[tuple[str, ...], ...] = ()
    # PostgreSQL's first round trip (`search_words_postgres.parse_postgres`), which `reread`
    # does not repeat.
    looked_up: tuple[float, list] | None = field(default=None, compare=False, repr=False)

    @property
    def in_artist_names(self) -> tuple[bool, ...]:
        if not self.name_occurrences:
            return (True,) * len(self.variants)
        return tuple(count > 0 for count in self.name_occurrences)

    def estimated_any(self) -> float:
        """Songs having at least one term: at most the sum of their frequencies."""
        return min(float(sum(self.occurrences)), self.songs)

    def estimated_matches(self) -> float:
        """Songs having every term, if terms were independent: songs x product of frequencies."""
        if not self.occurrences or self.songs <= 0:
            return 0.0
        estimate = self.songs
        for occurrences in self.occurrences:
            estimate *= min(1.0, occurrences / self.songs)
        return estimate

    # Cached: the SQLite ranking asks for them once a song.
    @cached_property
    def corrected(self) -> str:
        """The query with each unknown term replaced by its best correction, and terms that
        can match nothing left out."""
        best = {v[0]: fix for v, fix in zip(self.variants, self.best, strict=True)}
        return " ".join(best.get(t, t) for t in self.terms if t in best or len(t) < MIN_TRIGRAM_TERM)

    @cached_property
    def texts(self) -> list[str]:
        """The texts a title equal to the query, or starting with it, may be: the query as
        typed and as corrected, each as `spelled` (contractions, apostrophes), and as its
        terms' accented forms make it (`with_forms`), in key order."""
        forms = {v[0]: accented for v, accented in zip(self.variants, self.accented, strict=True) if accented}
        return sorted({*spelled(self.text), *spelled(self.corrected), *with_forms(self.text, forms)})

    @property
    def long_terms(self) -> list[str]:
        return [t for t in self.terms if len(t) >= MIN_TRIGRAM_TERM]

    @property
    def short_terms(self) -> list[str]:
        """The terms of 1-2 characters: no trigram finds them, so the long terms decide what
        matches, but the titles holding them as words rank higher (`words_held`)."""
        return [t for t in self.terms if len(t) < MIN_TRIGRAM_TERM]

    def words_held(self, lowered: str) -> tuple[bool, int, int]:
        """Which of the query's words the lowercased title holds: (whether it starts with
        one, `short_words_held`, how many terms are `starting`); the SQL relevance counts
        the same (`search_postgres._held_sql`)."""
        first = any(re.match(r"[\W_]*" + re.escape(v), lowered) for vs in self.variants for v in vs) or any(
            re.match(r"[\W_]*" + re.escape(w) + r"(?![^\W_])", lowered) for w in self.short_terms
        )
        return first, self.short_words_held(lowered), sum(self.starting(lowered))

    def short_words_held(self, lowered: str) -> int:
        """How many of the query's 1-2 character terms are words of the lowercased title."""
        if not self.short_terms:
            return 0
        words = set(title_words(lowered))
        return sum(term in words for term in self.short_terms)

    def starting(self, lowered: str) -> list[bool]:
        """Per term of the query, whether it starts a word of the lowercased title (as one
        of its variants)."""
        return [any(starts_a_word(lowered, v) for v in variants) for variants in self.variants]


class Parser(Protocol):
    def __call__(self, text: str, terms: list[str], *, every_word: bool = False) -> ParsedQuery: ...


def reread(parsed: ParsedQuery, parse: Parser) -> ParsedQuery | None:
    """`parsed` read again, for a caller that found no song with every term as typed: each
    term some word starts with (a word itself, or held often) is read as the words one edit
    from it that prevail (`prevailing`) too, as a weakly held beginning always is, so that
    a typo that makes another word (`set you fere`, `someone you lived`) finds its song
    before any term will do. Only then: the words of a query that matches as typed are
    taken as meant, and looking up every term's neighbours costs every query (bench/
    README.md, "A word's beginning that a frequent word one edit away outweighs"). None for
    a query of one term (its songs hold it), or when no term reads otherwise. `parse`:
    `parse_postgres` or `parse_python` over the same words."""
    if len(parsed.variants) < 2:
        return None
    again = parse(parsed.text, parsed.terms, every_word=True)
    return again if again.variants != parsed.variants else None


# ---------------------------------------------------------------------------------------
# SQLite and anything else: the same rules in Python
# ---------------------------------------------------------------------------------------
class Vocabulary:
    """The words of every title and artist name, with their occurrences, for `parse_python`:
    read once for a query and its reading again (`reread`)."""

    def __init__(self, titles: Iterable[str], artist_names: Iterable[str]) -> None:
        # One text of every title (every name), a line each: words never span a line, so
        # its words are those of each title in turn, split in one pass.
        self.title_counts = Counter(title_words("\n".join(titles)))
        self.name_words = Counter(title_words("\n".join(artist_names)))
        # Each word with its occurrences in titles or in names, whichever is larger (as the
        # PostgreSQL statement's max over both lists).
        self.known: Counter = Counter(self.title_counts)
        for word, count in self.name_words.items():
            self.known[word] = max(self.known[word], count)
        # The words that accent folding may change (`accented_python` skips the others),
        # with their occurrences in titles and names together.
        self.accented: Counter = Counter()
        for counts in (self.title_counts, self.name_words):
            self.accented.update({word: count for word, count in counts.items() if not word.isascii()})
        # Every known word on a line of its own: whether some word holds a text is one
        # search of this string (neither a word nor a term holds a line break).
        self.lines = "\n".join(self.known)


def parse_python(text: str, terms: list[str], words: Vocabulary, *, every_word: bool = False) -> ParsedQuery:
    """The PostgreSQL rules over in-memory words (`words`)."""
    title_counts, name_words, known, lines = words.title_counts, words.name_words, words.known, words.lines
    variants = []
    name_occurrences: list[int] = []
    best = []
    accented_forms = []
    for term in (t for t in terms if len(t) >= MIN_TRIGRAM_TERM):
        accented = accented_python(term, words.accented)
        beginnings = (term, fold(term))
        is_known = any(word.startswith(beginnings) for word in known)
        corrections: list[str] = []
        if not is_known and not accented:
            corrections = pick(term, _similar_python(term, known), term in lines)
        elif is_known and (every_word or (term not in known and several_words(text))):
            holding = max(
                sum(c for w, c in title_counts.items() if term in w),
                sum(c for w, c in name_words.items() if term in w),
            )
            if every_word or holding < WEAKLY_HELD:
                edits = [(w, known[w], 0.0) for w in one_edit(term) if w in known]
                corrections = prevailing(term, edits, holding, again=every_word)
        row = Term(term, 0, 0, is_known, accented, corrections)
        held = [w for w in row.fixes if w != term and w in lines]
        term_variants = [term, *dict.fromkeys(held)]
        readings = apostrophe_forms(term, text)
        if readings or any(v in lines for v in term_variants):
            term_variants += readings
            variants.append(term_variants)
            name_occurrences.append(
                sum(c for w, c in name_words.items() if any(v in w for v in term_variants))
            )
            best.append(row.best)
            accented_forms.append(row.accented_among(term_variants))
    long_terms = [t for t in terms if len(t) >= MIN_TRIGRAM_TERM]
    return ParsedQuery(
        text=text,
        terms=terms,
        variants=variants,
        matchable=bool(variants) or not long_terms,
        name_occurrences=tuple(name_occurrences),
        best=tuple(best),
        accented=tuple(accented_forms),
    )


def _similar_python(term: str, known: Counter) -> list[tuple[str, int, float]]:
    """`search_words_postgres._SIMILAR_SQL`'s candidates over in-memory words: the term's
    slips that are words, then the words most similar to it. Only the words sharing a
    trigram with it (as typed, or both folded) are scored: the others' similarity is 0."""
    slipped = {w for w in slips(term) if w in known}
    grams, folded_grams = trigrams(term), trigrams(fold(term))

    def similar(word: str) -> float:
        padded, folded = f"  {word} ", word if word.isascii() else fold(word)
        plain = trigrams_similarity(trigrams(word), grams) if any(g in padded for g in grams) else 0.0
        if folded == word or not any(g in f"  {folded} " for g in folded_grams):
            return plain
        return max(plain, trigrams_similarity(trigrams(folded), folded_grams))

    scored = ((w, c, similar(w)) for w, c in known.items() if len(w) >= MIN_TRIGRAM_TERM)
    similar_words = sorted(
        (row for row in scored if row[2] >= CORRECTION_THRESHOLD or row[0] in slipped),
        key=lambda r: (r[0] not in slipped, -r[2], -r[1], r[0]),
    )
    return similar_words[:SIMILAR_CANDIDATES]
