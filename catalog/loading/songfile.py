"""A validated song file: its songs column by column, and the rows left out."""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from catalog.loading.columns import COLUMNS_BY_NAME
from catalog.loading.problems import Problem


@dataclass(slots=True)
class SongColumns:
    """A validated song file, column by column. `features` holds the song-row columns the
    file has after the id and the title (required ones in typed arrays, optional ones in
    lists that may hold None); `names` the names columns it has (artists, genres), one
    tuple of names per song. A column the file does not have is in neither."""

    spotify_ids: list[str]
    titles: list[str]
    features: dict[str, Sequence[Any]] = field(default_factory=dict)
    names: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.spotify_ids)

    @property
    def fields(self) -> list[str]:
        """The Song fields the file gives, in the order `rows()` yields them."""
        return ["spotify_id", "title", *(COLUMNS_BY_NAME[name].field for name in self.features)]

    def rows(self, start: int = 0, stop: int | None = None) -> Iterator[tuple]:
        """Rows as tuples in `fields` order."""
        stop = len(self) if stop is None else stop
        return zip(
            self.spotify_ids[start:stop],
            self.titles[start:stop],
            *(values[start:stop] for values in self.features.values()),
            strict=True,
        )

    def content_hash(self) -> str:
        """SHA-256 of the columns' names and every value: two files hash alike when they load
        the same songs in the same order. Validated strings hold no NUL, so NUL separates
        them without ambiguity: one NUL between a song's names, two between songs (no name is
        empty; any other separator may stand in a name: with `\x1f` between names, `Alpha`
        and `Beta` hashed as the one name `Alpha\x1fBeta`); typed numbers go in as their
        arrays' bytes."""
        digest = hashlib.sha256(f"{len(self)}|{','.join(self.features)}|{','.join(self.names)}".encode())
        for strings in (self.spotify_ids, self.titles):
            digest.update(b"\x00")
            digest.update("\x00".join(strings).encode())
        for values in self.features.values():
            digest.update(b"\x01")
            if isinstance(values, array):
                digest.update(values.typecode.encode())
                digest.update(values)
            else:
                digest.update(repr(values).encode())
        for names in self.names.values():
            digest.update(b"\x02")
            digest.update("\x00\x00".join("\x00".join(song) for song in names).encode())
        return digest.hexdigest()


@dataclass(slots=True)
class SkippedRow:
    row: str
    problems: list[Problem]


@dataclass(slots=True)
class SongFile:
    """What a read gives: the valid songs, and with `skip_invalid` the rows left out."""

    songs: SongColumns
    skipped: list[SkippedRow] = field(default_factory=list)
