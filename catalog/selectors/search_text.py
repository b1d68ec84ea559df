"""Pure text rules of catalog search, shared by the PostgreSQL and SQLite paths.

Words are runs of letters and digits in any script, lowercased: the same rule the
PostgreSQL triggers apply to titles (`[^[:alnum:]]+` splits), so a query term and an
indexed word compare equal when they should. Trigram similarity follows pg_trgm's
definition, so the SQLite path ranks the way PostgreSQL does.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from itertools import islice, product

# A search longer than this is cut, not refused: nobody types 200 characters into a
# search box, and the bound keeps trigram extraction and the SQL small.
MAX_QUERY_LENGTH = 200
MAX_TERMS = 8
MAX_TERM_LENGTH = 50
# Terms shorter than this have no complete trigram: they are served by prefix matching.
MIN_TRIGRAM_TERM = 3

# The database's split of a title into words (`regexp_split_to_table(lower(title), WORD_SPLIT)`),
# which `_WORD` mirrors in Python.
WORD_SPLIT = "[^[:alnum:]]+"
_WORD = re.compile(r"[^\W_]+")
_SPACES = re.compile(r"\s+")


def _fold_table() -> tuple[str, str]:
    """The lowercase Latin letters that carry a mark (U+00C0-U+024F, U+1E00-U+1EFF) and
    the base letter of each, plus four letters whose stroke is no mark to Unicode."""
    marked, bases = ["ø", "ł", "đ", "ı"], ["o", "l", "d", "i"]
    for code in (*range(0xC0, 0x250), *range(0x1E00, 0x1F00)):
        letter = chr(code)
        base = unicodedata.normalize("NFD", letter)[0]
        if letter == letter.lower() and base != letter and base.isascii() and base.isalpha():
            marked.append(letter)
            bases.append(base)
    return "".join(marked), "".join(bases)


# Accent folding: a word and a query term compare equal when their letters differ only by
# marks ("beyonce" finds Beyoncé, "cafe" Café, "café" Cafe). One letter for one, so that a
# folded word's prefix of a term's length is the word's own prefix of that length.
# PostgreSQL applies it as `translate(word, FOLD_FROM, FOLD_TO)` (`folded_sql`), which
# migration 0019 indexes: a change here needs a migration re-creating those indexes.
FOLD_FROM, FOLD_TO = _fold_table()
_FOLD = str.maketrans(FOLD_FROM, FOLD_TO)


def fold(text: str) -> str:
    """`text` (lowercase) with each accented letter as its base letter: 'björk' -> 'bjork'."""
    return text.translate(_FOLD)


def folded_sql(column: str) -> str:
    """`fold` in SQL, constants inline: an index on this expression serves only a query
    holding the very same expression."""
    return f"translate({column}, '{FOLD_FROM}', '{FOLD_TO}')"


def lowered(text: str) -> str:
    """`text` lowercased as PostgreSQL's `lower()` does it: one letter for one, where Python
    makes Turkish `İ` an `i` and a combining dot, which splits a word in two."""
    return text.replace("\u0130", "i").lower()


def normalize_query(raw: str) -> str:
    """Composed (NFC: an `o` and a combining diaeresis are `ö`, as titles write it),
    lowercased, control characters (NUL included) removed, whitespace collapsed, bounded."""
    cleaned = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in raw[: MAX_QUERY_LENGTH * 2])
    return lowered(_SPACES.sub(" ", unicodedata.normalize("NFC", cleaned)).strip())[:MAX_QUERY_LENGTH]


# English contractions typed without their apostrophe, as titles write them: a title's words
# split at the apostrophe ("Don't" is "don" and "t"), so the term `dont` never found "Don't
# Stop Me Now" while "don't stop me now" did. Only those whose plain spelling is no word of
# its own in English or in other languages' titles ("cant", "wont", "ill", "its", "were",
# "well", "im" and "id" are).
CONTRACTIONS = {
    "dont": "don't",
    "doesnt": "doesn't",
    "didnt": "didn't",
    "isnt": "isn't",
    "arent": "aren't",
    "wasnt": "wasn't",
    "werent": "weren't",
    "hasnt": "hasn't",
    "havent": "haven't",
    "hadnt": "hadn't",
    "couldnt": "couldn't",
    "wouldnt": "wouldn't",
    "shouldnt": "shouldn't",
    "aint": "ain't",
    "ive": "i've",
    "youre": "you're",
    "youve": "you've",
    "youll": "you'll",
    "theyre": "they're",
    "theyve": "they've",
    "weve": "we've",
    "whats": "what's",
    "thats": "that's",
    "theres": "there's",
    "wheres": "where's",
    "shes": "she's",
    "itll": "it'll",
    "yall": "y'all",
    "hes": "he's",
    "whos": "who's",
    "hows": "how's",
    "youd": "you'd",
    "theyd": "they'd",
    "theyll": "they'll",
    "wouldve": "would've",
    "couldve": "could've",
    "shouldve": "should've",
    "mustve": "must've",
}


# Contractions typed without their apostrophe whose plain spelling is a word too: in a query
# of two words or more, both readings are looked for (`cant stop` finds "Can't Stop" as it
# would "Cant Stop"), through `spelled` (titles equal to or starting with the query) and
# `apostrophe_forms` (a term's variants). A one-word query keeps its plain reading: `hell`
# is a word far more often than "he'll".
AMBIGUOUS_CONTRACTIONS = {
    "cant": "can't",
    "wont": "won't",
    "im": "i'm",
    "id": "i'd",
    "ill": "i'll",
    "its": "it's",
    "were": "we're",
    "well": "we'll",
    "hell": "he'll",
    "shell": "she'll",
    "wed": "we'd",
    "hed": "he'd",
    "shed": "she'd",
    "lets": "let's",
}
# Apostrophes as titles write them: the typewriter one and the typographic one (U+2019), which
# phone keyboards type. A text holding one is looked for with each (`with_apostrophes`).
APOSTROPHES = ("'", "\u2019")


def with_apostrophes(text: str) -> list[str]:
    """`text` with its apostrophes written each way (just `text` when it has none)."""
    if not any(apostrophe in text for apostrophe in APOSTROPHES):
        return [text]
    return [text.replace(APOSTROPHES[1], APOSTROPHES[0]), text.replace(APOSTROPHES[0], APOSTROPHES[1])]


def several_words(text: str) -> bool:
    """Whether the query `text` has two words or more: then a word in it is more likely a
    whole word than a beginning or a fragment, and is read in the ways a whole word may be
    (`apostrophe_forms`, `search_corrections.prevailing`)."""
    return len(_WORD.findall(text)) > 1


def possessive(word: str) -> str | None:
    """The possessive that `word` may be typed without its apostrophe (`days`: "day's",
    `toms`: "tom's"), else None: a word of 4+ letters ending in `s` after a letter other
    than s, i or u (not `kiss`, `this`, `venus`, `its`)."""
    if len(word) < 4 or word[-1] != "s" or word[-2] in "siu" or not word.isalpha():
        return None
    return word[:-1] + "'s"


def _apostrophe_reading(word: str) -> str | None:
    return AMBIGUOUS_CONTRACTIONS.get(word) or possessive(word)


def apostrophe_forms(term: str, text: str) -> list[str]:
    """A term's readings with an apostrophe in the query `text`, each apostrophe either way:
    its contraction (`AMBIGUOUS_CONTRACTIONS`: `cant` in `cant stop` is "can't" and "can’t"),
    else its possessive (`possessive`: `days` in `a hard days night` is "day's"); none in a
    one-word query."""
    read = _apostrophe_reading(term) if several_words(text) else None
    return with_apostrophes(read) if read else []


def spelled(text: str) -> list[str]:
    """The texts a title equal to `text` (normalized) may be: `text`, and in a query of two
    words or more, with its ambiguous contractions as contractions (`im yours`: "i'm
    yours"), and with its possessives too (`a hard days night`: "a hard day's night"); each
    with its apostrophes written both ways."""
    texts = [text]
    if several_words(text):
        texts.append(_replace_words(text, AMBIGUOUS_CONTRACTIONS.get))
        texts.append(_replace_words(text, _apostrophe_reading))
    return list(dict.fromkeys(form for each in texts for form in with_apostrophes(each)))


def starts_a_word(lowered: str, variant: str) -> bool:
    """Whether `variant` starts a word of `lowered`: it stands at the start or after a
    character that is no letter or digit (PostgreSQL's `(^|[^[:alnum:]])variant`)."""
    return re.search(r"(?:^|[\W_])" + re.escape(variant), lowered) is not None


def song_query(raw: str) -> str:
    """A song search's text: `normalize_query`'s, each contraction typed without its
    apostrophe written with it (`CONTRACTIONS`: `dont stop me now` is "don't stop me now")."""
    return _replace_words(normalize_query(raw), CONTRACTIONS.get)


def query_terms(normalized: str) -> list[str]:
    """Distinct words of a normalized query, in order, each bounded."""
    terms: list[str] = []
    for word in _WORD.findall(normalized):
        word = word[:MAX_TERM_LENGTH]
        if word not in terms:
            terms.append(word)
        if len(terms) == MAX_TERMS:
            break
    return terms


# The most forms of a query's text looked for (`with_forms`): each is a pattern or an index
# range of its own.
MAX_FORMS = 8


def with_forms(text: str, forms: Mapping[str, Sequence[str]]) -> list[str]:
    """`text` (normalized), then the texts its words' other `forms` make, each word
    replaced by one of its forms ("motley crue": "motley crüe", "mötley crue", "mötley
    crüe"), at most MAX_FORMS in all."""
    words = list(forms)
    return [
        _replace_words(text, dict(zip(words, chosen, strict=True)).get)
        for chosen in islice(product(*([word, *forms[word]] for word in words)), MAX_FORMS)
    ]


def _replace_words(text: str, replacement: Callable[[str], str | None]) -> str:
    """`text` with each word replaced by what `replacement` gives for it, when it gives one
    (a mapping's `get`, or a reading such as `_apostrophe_reading`)."""
    return _WORD.sub(lambda match: replacement(match.group(0)) or match.group(0), text)


def title_words(title: str) -> list[str]:
    return _WORD.findall(lowered(title))


def trigrams(text: str) -> set[str]:
    """pg_trgm's trigrams: each word padded with two spaces before and one after."""
    grams: set[str] = set()
    for word in _WORD.findall(lowered(text)):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def similarity(a: str, b: str) -> float:
    return trigrams_similarity(trigrams(a), trigrams(b))


def trigrams_similarity(ga: AbstractSet[str], gb: AbstractSet[str]) -> float:
    """pg_trgm's similarity of two texts' trigrams (`trigrams`), for a caller comparing one
    text with many that computes each text's trigrams once."""
    if not ga or not gb:
        return 0.0
    shared = len(ga & gb)
    return shared / (len(ga) + len(gb) - shared)


def escape_like(value: str) -> str:
    """Escapes LIKE wildcards with backslash, PostgreSQL's default and our SQLite ESCAPE."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# Letters a one-letter insertion or replacement may bring in besides the term's own: the
# ASCII letters and digits (other scripts' typos are found by trigram similarity instead).
_EDIT_LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789"
# Longer terms are corrected by trigram similarity only: their edits would number thousands.
MAX_EDITED_TERM = 20


# The rows of a QWERTY keyboard: a letter replaced by its neighbour there is a common slip.
_KEY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_KEY_NEIGHBOURS = {
    row[i]: row[max(i - 1, 0) : i] + row[i + 1 : i + 2] for row in _KEY_ROWS for i in range(len(row))
}


def neighbouring_key(typed: str, word: str) -> bool:
    """Whether `word` is `typed` with one letter in its place that is a neighbour of the typed
    one on a QWERTY keyboard (`bitd`: "bird")."""
    if len(typed) != len(word):
        return False
    differ = [(a, b) for a, b in zip(typed, word, strict=True) if a != b]
    return len(differ) == 1 and differ[0][1] in _KEY_NEIGHBOURS.get(differ[0][0], "")


def one_edit(term: str) -> list[str]:
    """Every string one edit away from `term` (a letter dropped, two neighbours swapped, a
    letter replaced or inserted), at least MIN_TRIGRAM_TERM characters long, in a fixed
    order; none for a term longer than MAX_EDITED_TERM."""
    if len(term) > MAX_EDITED_TERM:
        return []
    letters = sorted(set(_EDIT_LETTERS) | set(term))
    splits = [(term[:i], term[i:]) for i in range(len(term) + 1)]
    edits = dict.fromkeys(
        [a + b[1:] for a, b in splits if b]
        + [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
        + [a + c + b[1:] for a, b in splits if b for c in letters]
        + [a + c + b for a, b in splits for c in letters]
    )
    edits.pop(term, None)
    return [edit for edit in edits if len(edit) >= MIN_TRIGRAM_TERM]


def slips(term: str) -> list[str]:
    """The strings one slip from `term` that trigram similarity may not rank among its most
    similar words, to be looked up as they are: two neighbouring letters swapped, one
    dropped, or one replaced by its neighbour on the keyboard (each breaks up to three
    trigrams: "lvoe" shares one of five with "love", "bitd" two of five with "bird"); at
    least MIN_TRIGRAM_TERM characters long, none for a term longer than MAX_EDITED_TERM."""
    if len(term) > MAX_EDITED_TERM:
        return []
    swapped = [term[:i] + term[i + 1] + term[i] + term[i + 2 :] for i in range(len(term) - 1)]
    dropped = [term[:i] + term[i + 1 :] for i in range(len(term))]
    replaced = [
        term[:i] + key + term[i + 1 :] for i, c in enumerate(term) for key in _KEY_NEIGHBOURS.get(c, "")
    ]
    return [
        w for w in dict.fromkeys(swapped + dropped + replaced) if w != term and len(w) >= MIN_TRIGRAM_TERM
    ]
