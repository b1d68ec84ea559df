"""The recommendation scoring: pure logic, arrays in and scores out, so that it can be tested
and benchmarked alone (STYLE.md, "Pure logic apart from the ORM").

It imports no Django, no DRF, no Celery and no app of this project, directly or through
another module: the import contracts in pyproject.toml (`make lint`) refuse any such import.
The code that reads songs, ratings and profiles from the database and hands them here lives
in this app's selectors and services.

Modules: `arrays` (the catalog and a listener as arrays), `credits` (which artists a
listener's songs count for), `collaborative` (the artist-level item-item model), `moods` (the
mood table), `signals` (each signal's score for every song),
`ranking` (the blend, the re-rank for diversity), `reasons` (a recommendation's reasons in
words), `explain` (where a song stands in a list), `similar` (songs that sound alike).
"""

from recommendations.engine.arrays import FEATURES, CatalogArrays, Listener, sound_similarity
from recommendations.engine.collaborative import CollaborativeModel, build_collaborative
from recommendations.engine.moods import MOOD_TARGETS, mood_fit
from recommendations.engine.ranking import (
    ARTIST_CAP,
    BLEND,
    Recommendation,
    Weights,
    recommend,
    within_artist_cap,
)
from recommendations.engine.signals import SIGNALS
from recommendations.engine.similar import similar_songs

__all__ = [
    "ARTIST_CAP",
    "BLEND",
    "FEATURES",
    "MOOD_TARGETS",
    "SIGNALS",
    "CatalogArrays",
    "CollaborativeModel",
    "Listener",
    "Recommendation",
    "Weights",
    "build_collaborative",
    "mood_fit",
    "recommend",
    "similar_songs",
    "sound_similarity",
    "within_artist_cap",
]
