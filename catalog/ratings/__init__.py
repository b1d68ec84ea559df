"""Ratings: a user's 1-5 star score of a song, and the song aggregates derived from them.

A rating is stored by one statement and the request returns. A song's `average_rating`,
`total_ratings` and `rating_score` follow in the background, always recomputed from the
ratings table (absolute values, never increments), so a repeated, duplicated or late
recompute is harmless:

1. After commit, the song id is marked dirty (`dirty_queue`: a Redis sorted set). The first
   mark since the last flush started also schedules one `ratings_flush` task a moment later,
   so a burst of votes on a hot song costs one recompute, not one per vote.
2. The flush recomputes the dirty songs (`aggregates`) and unmarks a song only if it was not
   marked again meanwhile, and only once its recompute has committed. A flush killed half way
   leaves its ids marked for the next one.
3. `ratings_reconcile` (beat, see RATINGS_RECONCILE_SECONDS in settings; by hand
   `manage.py ratings_reconcile`) compares every rated song with the truth of the ratings
   table and repairs the ones that disagree: the safety net for a mark lost while Redis was
   down or with its data.

Without Redis (the embedded default) there is no set to coalesce in: the recompute task is
called with the song id and Celery runs it in-process.

Modules: `services` (writes: submit, delete, flush, reconcile), `upsert` (storing one vote),
`formula` (the rating formula, defined once), `aggregates` (the recompute), `drift`
(reconcile's check), `dirty_queue` (the Redis set) and `selectors` (reads). `upsert`,
`aggregates` and `drift` each hold a portable version and the PostgreSQL-only path that
bench/README.md ("Ratings", "PostgreSQL-only paths") justifies. The Rating model is
`catalog.models.Rating`; the formula's prior is RATING_PRIOR_MEAN / RATING_PRIOR_WEIGHT next
to it.
"""
