"""Which word a typo meant: the rules that both readings of a query (`search_words`'
`parse_postgres` and `parse_python`) apply to the words one edit from a term or most similar
to it, as (word, occurrences, similarity) rows, whichever database found them."""

from __future__ import annotations

import math
from dataclasses import dataclass

from catalog.selectors.search_text import fold, neighbouring_key, one_edit

CORRECTIONS_PER_TERM = 3
# A term that some word starts with and no word is, in a query of two words or more, is
# corrected too when the words holding it occur fewer than WEAKLY_HELD times, by the words
# one edit away that occur PREVAILS times as often: as for a letter lost (`likelihood`),
# ten times as frequent makes up for it. Past WEAKLY_HELD (a common beginning such as `lov`)
# no correction could prevail often enough to be worth looking one up
# (`search_words_postgres._EDITS_SQL`).
WEAKLY_HELD = 1000
PREVAILS = 10
# In a query read again because no song has every term as typed (`search_words.reread`), a
# word one edit away prevails when it occurs this many times as often: `someone you lived`
# is "Someone You Loved" (loved 57 times in the real catalog's titles, lived 6).
PREVAILS_AGAIN = 2
# Trigram similarity a word needs to count as a correction when no word is one edit away.
# Below pg_trgm's default (0.3) so that a word with two letters wrong can still be found.
CORRECTION_THRESHOLD = 0.25
# Corrections clearly worse than the best one are noise ("blnk": blank 0.38, blue 0.25).
CORRECTION_MARGIN = 0.1


def likelihood(folded: str, word: str, occurrences: int) -> float:
    """How likely `word`, one edit from the folded term `folded`, is what was meant: its
    occurrences as a power of ten, less one when it lacks a typed letter or has another in
    its place (a word from which the user left a letter out, or swapped two, holds them
    all: the commonest slips), unless that other letter is the typed one's neighbour on
    the keyboard (`neighbouring_key`: "bitd" is "bird" before "bite"), and less two when it
    changes the first letter (people seldom get that one wrong). A word ten times as
    frequent makes up for a lost letter ("ryaan": ryan before royaan), a hundred times for
    a first letter ("adelle": adele before delle)."""
    plain = fold(word)
    keeps_letters = (
        len(plain) > len(folded) or sorted(plain) == sorted(folded) or neighbouring_key(folded, plain)
    )
    return math.log10(max(occurrences, 1)) - (not keeps_letters) - 2 * (plain[:1] != folded[:1])


def pick(term: str, similar: list[tuple[str, int, float]], contained: bool) -> list[str]:
    """The corrections of `term` among `similar` (word, occurrences in titles or names,
    similarity): the words one edit away, most likely first (`likelihood`: "blnk" is
    "blank" before "bank", "spce" "space" before "spc", "lvoe" "love"); else,
    when no word even contains the term, the most similar words, none clearly worse than
    the best. At most CORRECTIONS_PER_TERM. Accents do not count: a word is one edit away
    when its folded form is from the folded term ("beyonse": beyonce and beyoncé), and a
    word that only its accents tell from the term is nearer still ("café": cafe)."""
    close = near(term, similar)
    if close:
        return [word for word, _, _ in close[:CORRECTIONS_PER_TERM]]
    if contained or not similar:
        return []
    chosen = sorted(similar, key=lambda row: (-row[2], -row[1], row[0]))
    best = chosen[0][2]
    return [word for word, _, sim in chosen[:CORRECTIONS_PER_TERM] if sim >= best - CORRECTION_MARGIN]


def prevailing(
    term: str, similar: list[tuple[str, int, float]], held: int, *, again: bool = False
) -> list[str]:
    """The corrections of a term some word starts with, whose words occur `held` times:
    the words one edit away (as `pick` finds them) that occur at least PREVAILS times as
    often (`again`, in a query read again: PREVAILS_AGAIN times), most likely first."""
    prevails = PREVAILS_AGAIN if again else PREVAILS
    return [word for word, count, _ in near(term, similar) if count >= prevails * max(held, 1)][
        :CORRECTIONS_PER_TERM
    ]


def near(term: str, similar: list[tuple[str, int, float]]) -> list[tuple[str, int, float]]:
    """Those of `similar` one edit from `term`, accents aside, most likely first."""
    folded = fold(term)
    edits = {*one_edit(folded), folded}
    return sorted(
        (row for row in similar if row[0] != term and fold(row[0]) in edits),
        key=lambda row: (-likelihood(folded, row[0], row[1]), -row[2], row[0]),
    )


@dataclass(frozen=True)
class Term:
    """A term as the word lists know it: the occurrences of the words containing it (in
    titles, in names), whether a word starts with it, its accented forms, corrections."""

    term: str
    inside: int
    named: int
    known: bool
    accented: list[str]
    corrections: list[str]

    @property
    def fixes(self) -> list[str]:
        """Its other variants: its accented forms, its folded form when it is accented, its
        corrections."""
        folded = fold(self.term)
        return [*self.accented, *([folded] if folded != self.term else []), *self.corrections]

    def accented_among(self, variants: list[str]) -> tuple[str, ...]:
        """Those of `variants` that are its accented forms or its folded form."""
        return tuple(v for v in variants if v in self.accented or v == fold(self.term) != self.term)

    @property
    def best(self) -> str:
        """What the corrected query reads for it: for a term no word starts with, its best
        correction; else, when only an accented form is a word's beginning ("bjork":
        björk), that form; else itself (a term some word starts with is taken as typed,
        whatever corrections it has too)."""
        if self.corrections and not self.known:
            return self.corrections[0]
        if self.accented and not self.known:
            return self.accented[0]
        return self.term
