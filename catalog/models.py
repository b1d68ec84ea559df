from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now

from catalog.audio import LOUDNESS_RANGE, MAX_TEMPO
from catalog.loading.columns import GENRE_MAX_LENGTH, TITLE_MAX_BYTES
from catalog.naming import name_key
from music_discovery.storable import MaxBytesValidator

# The prior of the Bayesian `rating_score`: every song starts as if it already had
# RATING_PRIOR_WEIGHT votes of RATING_PRIOR_MEAN stars, so one lucky 5 cannot top a
# thousand 4.8s. rating_score = (PRIOR_WEIGHT * PRIOR_MEAN + sum) / (PRIOR_WEIGHT + count).
RATING_PRIOR_MEAN = 3.0
RATING_PRIOR_WEIGHT = 10

# The audio features of a song: what a song file always gives and what Spotify no longer
# gives new apps (its audio-features endpoint is closed to them), so a song brought from a
# Spotify search has none of them. They are null together: a feature filter or ordering
# leaves such songs out (or last), and similarity compares only songs that have them.
AUDIO_FEATURE_FIELDS = (
    "danceability",
    "energy",
    "key",
    "loudness",
    "mode",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
    "time_signature",
)


class SongSource(models.TextChoices):
    """Where a song entered the catalog."""

    FILE = "file", "song file (load_music)"
    SPOTIFY = "spotify", "Spotify search"


class Artist(models.Model):
    """A credited artist. Artists are one row per normalised name (`catalog.naming`):
    `name_key` is derived from `name` on every save, and bulk writers set it themselves.
    An artist's genres are those of its songs (`catalog.selectors.catalog`)."""

    # Not columns: what selectors.artists.artists_attach sets on the artists it returns.
    song_count: int
    genre_names: list[str]

    spotify_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    name = models.CharField(max_length=500)
    name_key = models.TextField(unique=True, editable=False)
    created_at = models.DateTimeField(db_default=Now(), editable=False)
    updated_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        ordering = ["name", "id"]
        # The artist list's order (migration 0010).
        indexes = [models.Index(fields=["name", "id"], name="artist_name_id_idx")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.name_key = name_key(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_key"}
        super().save(*args, **kwargs)


class Genre(models.Model):
    """A genre, named by its normalised name (`catalog.naming.name_key`): `Pop` and `pop`
    are one genre."""

    name = models.CharField(max_length=GENRE_MAX_LENGTH, unique=True)
    # Not a column: the admin's genre list annotates it.
    song_total: int

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.name = name_key(self.name)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        # Stored as its key, which NFKC and case folding can make longer than the name (`ß` is
        # `ss`): the admin's form checks the key's length, as the loader does.
        super().clean()
        if len(name_key(self.name)) > GENRE_MAX_LENGTH:
            raise ValidationError({"name": f"Longer than {GENRE_MAX_LENGTH} characters once normalised."})


class Song(models.Model):
    """A song and its Spotify audio features (null for a song brought from a Spotify
    search: AUDIO_FEATURE_FIELDS).

    `average_rating`, `total_ratings` and `rating_score` are denormalized from Rating and
    written only by the ratings aggregation; loading never touches them. Their database
    defaults let bulk loads (COPY) insert songs without naming them.
    """

    # Not columns: what the read selectors set on the songs they return (songs_attach).
    artist_credits: list[dict[str, Any]]
    genre_names: list[str]
    my_rating: int | None

    # COLLATE "C" on PostgreSQL (migration 0006): keep it if this field is ever altered.
    spotify_id = models.CharField(max_length=64, unique=True)
    # Real titles run past 500 characters (the Spotify tracks dataset has one of 511); and
    # at most TITLE_MAX_BYTES in UTF-8, what the title's B-tree indexes hold (the admin's
    # form as the loader: beyond it, PostgreSQL refused the row with a 500).
    title = models.CharField(max_length=1000, validators=[MaxBytesValidator(TITLE_MAX_BYTES)])
    artists = models.ManyToManyField(Artist, through="SongArtist", related_name="songs", blank=True)
    genres = models.ManyToManyField(Genre, through="SongGenre", related_name="songs", blank=True)
    # What a source may not give (the playlist format has none of these four, the Spotify
    # tracks CSV none of the num_* counts) is null.
    album = models.CharField(max_length=500, null=True, blank=True)
    popularity = models.SmallIntegerField(null=True, blank=True)
    explicit = models.BooleanField(null=True, blank=True)
    speechiness = models.FloatField(null=True, blank=True)

    danceability = models.FloatField(null=True, blank=True)
    energy = models.FloatField(null=True, blank=True)
    key = models.SmallIntegerField(null=True, blank=True)
    loudness = models.FloatField(null=True, blank=True)
    mode = models.SmallIntegerField(null=True, blank=True)
    acousticness = models.FloatField(null=True, blank=True)
    instrumentalness = models.FloatField(null=True, blank=True)
    liveness = models.FloatField(null=True, blank=True)
    valence = models.FloatField(null=True, blank=True)
    tempo = models.FloatField(null=True, blank=True)
    duration_ms = models.IntegerField()
    time_signature = models.SmallIntegerField(null=True, blank=True)
    num_bars = models.IntegerField(null=True, blank=True)
    num_sections = models.IntegerField(null=True, blank=True)
    num_segments = models.IntegerField(null=True, blank=True)
    # Kept when a song file later brings the features of a song first found on Spotify.
    source = models.CharField(
        max_length=16,
        choices=SongSource.choices,
        default=SongSource.FILE,
        db_default=SongSource.FILE,
        editable=False,
    )
    # When Spotify was last asked for this song's details (recommendations.spotify.enrich),
    # so that an id Spotify does not know is not asked about again on every run.
    spotify_checked_at = models.DateTimeField(null=True, blank=True, editable=False)

    average_rating = models.FloatField(default=0.0, db_default=0.0, editable=False)
    total_ratings = models.IntegerField(default=0, db_default=0, editable=False)
    rating_score = models.FloatField(default=RATING_PRIOR_MEAN, db_default=RATING_PRIOR_MEAN, editable=False)

    created_at = models.DateTimeField(db_default=Now(), editable=False)
    updated_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        ordering = ["id"]
        # "Best rated" lists (`ordering=-rating_score`) read their first page from this index
        # instead of sorting the whole catalog. Its key changes with every vote; a vote that
        # changes the song's count already leaves the HOT path (catalog_song_rated_idx's
        # predicate reads total_ratings), so only a changed score pays for it anew.
        indexes = [models.Index(fields=["-rating_score", "id"], name="song_rating_score_desc")]
        constraints = [
            models.CheckConstraint(
                condition=Q(danceability__gte=0, danceability__lte=1), name="song_danceability_range"
            ),
            models.CheckConstraint(condition=Q(energy__gte=0, energy__lte=1), name="song_energy_range"),
            models.CheckConstraint(condition=Q(key__gte=-1, key__lte=11), name="song_key_range"),
            models.CheckConstraint(condition=Q(mode__in=[0, 1]), name="song_mode_range"),
            models.CheckConstraint(
                condition=Q(acousticness__gte=0, acousticness__lte=1), name="song_acousticness_range"
            ),
            models.CheckConstraint(
                condition=Q(instrumentalness__gte=0, instrumentalness__lte=1),
                name="song_instrumentalness_range",
            ),
            models.CheckConstraint(condition=Q(liveness__gte=0, liveness__lte=1), name="song_liveness_range"),
            models.CheckConstraint(condition=Q(valence__gte=0, valence__lte=1), name="song_valence_range"),
            models.CheckConstraint(condition=Q(tempo__gte=0, tempo__lte=MAX_TEMPO), name="song_tempo_range"),
            models.CheckConstraint(
                condition=Q(loudness__gte=LOUDNESS_RANGE[0], loudness__lte=LOUDNESS_RANGE[1]),
                name="song_loudness_range",
            ),
            models.CheckConstraint(condition=Q(duration_ms__gt=0), name="song_duration_ms_positive"),
            models.CheckConstraint(
                condition=Q(time_signature__gte=0, time_signature__lte=12), name="song_time_signature_range"
            ),
            models.CheckConstraint(
                condition=Q(popularity__gte=0, popularity__lte=100), name="song_popularity_range"
            ),
            models.CheckConstraint(
                condition=Q(speechiness__gte=0, speechiness__lte=1), name="song_speechiness_range"
            ),
            models.CheckConstraint(condition=Q(num_bars__gte=0), name="song_num_bars_range"),
            models.CheckConstraint(condition=Q(num_sections__gte=0), name="song_num_sections_range"),
            models.CheckConstraint(condition=Q(num_segments__gte=0), name="song_num_segments_range"),
            models.CheckConstraint(
                condition=Q(average_rating__gte=0, average_rating__lte=5), name="song_average_rating_range"
            ),
            models.CheckConstraint(condition=Q(total_ratings__gte=0), name="song_total_ratings_range"),
        ]

    def __str__(self) -> str:
        return self.title


class SongArtist(models.Model):
    """Ordered credit of an artist on a song (position 0 is the main artist)."""

    # No index of its own: songartist_unique (song, artist) leads with the song and serves
    # every lookup by song; a second one only cost each loaded credit another index entry.
    song = models.ForeignKey(Song, on_delete=models.CASCADE, related_name="credits", db_index=False)
    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="credits")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["song", "artist"], name="songartist_unique"),
        ]

    def __str__(self) -> str:
        # Read by people (the song page's credits, the admin's history): names, not ids.
        # Listing many credits? select_related("artist", "song").
        return f"{self.artist.name} on {self.song.title}"


class SongGenre(models.Model):
    """A song listed under a genre: the table Django made for `Song.genres` (migration 0017
    took it over as it was), with the indexes the reads need and no others."""

    # No index of its own: the unique (song, genre) leads with the song and serves every
    # lookup by song. The genre's index carries the song, so that a genre's songs are read
    # from the index alone (a genre's list, trends and artists by genre).
    song = models.ForeignKey(Song, on_delete=models.CASCADE, db_index=False)
    genre = models.ForeignKey(Genre, on_delete=models.CASCADE, db_index=False)

    class Meta:
        db_table = "catalog_song_genres"
        # The constraint as Django named it for the table it made (a UniqueConstraint would
        # rebuild it under another name).
        unique_together = [("song", "genre")]
        indexes = [models.Index(fields=["genre", "song"], name="songgenre_genre_song")]

    def __str__(self) -> str:
        return f"{self.song_id} in {self.genre_id}"


class Rating(models.Model):
    """One user's 1-5 star score of one song; at most one per (user, song)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ratings")
    song = models.ForeignKey(Song, on_delete=models.CASCADE, related_name="ratings")
    score = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "song"], name="rating_user_song_unique"),
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="rating_score_range"),
        ]
        indexes = [models.Index(fields=["song", "score"], name="rating_song_score_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} rated {self.song_id}: {self.score}"


class SongFileLoad(models.Model):
    """One `load_music` run that reached the database: what it loaded and what it changed.

    On PostgreSQL, `songs_generation` is the value of the `catalog_song_generation` sequence
    after the load, which a statement trigger advances on every write to the songs table
    (migration 0008). When the latest load has the same content hash and the sequence has
    not moved since, the catalog still holds exactly that file: a re-load of it writes and
    compares nothing.
    """

    content_hash = models.CharField(max_length=64)
    songs = models.PositiveIntegerField()
    created = models.PositiveIntegerField()
    updated = models.PositiveIntegerField()
    songs_generation = models.BigIntegerField(null=True, blank=True)
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.songs} songs ({self.created} new, {self.updated} updated)"
