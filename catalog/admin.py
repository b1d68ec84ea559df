from django import forms
from django.contrib import admin
from django.contrib.admin.views.main import ORDER_VAR
from django.contrib.admin.widgets import AutocompleteSelectMultiple
from django.db import transaction
from django.db.models import Count

from catalog.audio import KEY_CHOICES, MODE_CHOICES, key_name, mode_name
from catalog.models import Artist, Genre, Rating, Song, SongArtist, SongFileLoad
from catalog.ratings.services import song_ratings_mark_dirty_on_commit
from catalog.selectors.search import song_search_top
from catalog.song_locks import songs_lock_for_row_writes

# Song fields shown and edited as words instead of Spotify's numbers.
WORD_CHOICES = {"key": KEY_CHOICES, "mode": MODE_CHOICES}


class SongArtistInline(admin.TabularInline):
    model = SongArtist
    extra = 0
    autocomplete_fields = ["artist"]
    ordering = ["position", "id"]

    def get_queryset(self, request):
        # Each credit is labelled with its artist's and song's names.
        return super().get_queryset(request).select_related("artist", "song")


class WordChoiceFilter(admin.SimpleListFilter):
    """Filters a numeric audio feature by its words (`?key=5` still works)."""

    words: list[tuple[int, str]] = []
    parameter_name: str  # each subclass names its column

    def lookups(self, request, model_admin):
        return [(str(value), label) for value, label in self.words]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        try:
            return queryset.filter(**{self.parameter_name: int(value)})
        except ValueError:
            return queryset.none()


class KeyFilter(WordChoiceFilter):
    title = "key"
    parameter_name = "key"
    words = KEY_CHOICES


class ModeFilter(WordChoiceFilter):
    title = "mode"
    parameter_name = "mode"
    words = MODE_CHOICES


@admin.register(Song)
class SongAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "artist_names",
        "genre_names",
        "popularity",
        "explicit",
        "key_word",
        "mode_word",
        "average_rating",
        "total_ratings",
        "rating_score_rounded",
    ]
    list_filter = ["genres", "explicit", ModeFilter, KeyFilter]
    # The box is served by the catalog's own typo-tolerant search (get_search_results):
    # the best 1,000 matches, in relevance order unless a column is sorted.
    search_fields = ["title"]
    search_help_text = "Title or artist; typos are tolerated."
    readonly_fields = ["average_rating", "total_ratings", "rating_score", "created_at", "updated_at"]
    autocomplete_fields = ["genres"]
    inlines = [SongArtistInline]
    show_full_result_count = False
    list_per_page = 50

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("credits__artist", "genres")

    # Deleting a song deletes its credits, genre links and ratings first, the song last: the
    # table's lock is taken before any of those rows (`song_locks`), or it deadlocks with a
    # load that relinks the song.
    def delete_model(self, request, obj):
        with transaction.atomic():
            songs_lock_for_row_writes()
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            songs_lock_for_row_writes()
            super().delete_queryset(request, queryset)

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        found = song_search_top(queryset, search_term)
        if ORDER_VAR in request.GET:
            # A column header was clicked: its order, which the change list set on
            # `queryset` before the search, not relevance.
            found = found.order_by(*queryset.query.order_by)
        return found, False

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        # The admin shows no field for a relation through a model of the project's own
        # (SongGenre), which might carry more than the link. This one carries nothing else,
        # so the genres are chosen as they were through Django's own table.
        if db_field.name != "genres":
            return super().formfield_for_manytomany(db_field, request, **kwargs)
        kwargs.setdefault(
            "widget", AutocompleteSelectMultiple(db_field, self.admin_site, using=kwargs.get("using"))
        )
        return db_field.formfield(**kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in WORD_CHOICES:
            return forms.TypedChoiceField(
                choices=WORD_CHOICES[db_field.name], coerce=int, label=db_field.verbose_name.capitalize()
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description="artists")
    def artist_names(self, song: Song) -> str:
        return ", ".join(credit.artist.name for credit in song.credits.all())

    @admin.display(description="genres")
    def genre_names(self, song: Song) -> str:
        return ", ".join(sorted(genre.name for genre in song.genres.all()))

    @admin.display(description="key", ordering="key")
    def key_word(self, song: Song) -> str | None:
        return None if song.key is None else key_name(song.key)

    @admin.display(description="mode", ordering="mode")
    def mode_word(self, song: Song) -> str | None:
        return None if song.mode is None else mode_name(song.mode)

    @admin.display(description="rating score", ordering="rating_score")
    def rating_score_rounded(self, song: Song) -> str:
        return f"{song.rating_score:.2f}"


@admin.register(Artist)
class ArtistAdmin(admin.ModelAdmin):
    list_display = ["name", "spotify_id"]
    search_fields = ["name"]
    readonly_fields = ["name_key"]
    ordering = ["name", "id"]


@admin.register(Genre)
class GenreAdmin(admin.ModelAdmin):
    """Genres are named by their normalised name (`Genre.save`). The song counts are
    counted for the page shown: a few hundred genres."""

    list_display = ["name", "song_count"]
    search_fields = ["name"]
    ordering = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(song_total=Count("songs"))

    @admin.display(description="songs", ordering="song_total")
    def song_count(self, genre: Genre) -> int:
        return genre.song_total


# ------------------------------------------------------------------------------
# Ratings
# ------------------------------------------------------------------------------
@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    """Writes here bypass the API, so each one asks for its song's aggregates to be
    recomputed after commit, as the rating services do."""

    list_display = ["id", "user", "song", "score", "updated_at"]
    list_filter = ["score"]
    list_select_related = ["user", "song"]
    search_fields = ["user__username"]
    raw_id_fields = ["user", "song"]
    readonly_fields = ["created_at", "updated_at"]
    show_full_result_count = False
    list_per_page = 50

    def get_readonly_fields(self, request, obj=None):
        # A rating is one (user, song) pair: another pair is another rating, not an edit.
        if obj is not None:
            return [*self.readonly_fields, "user", "song"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        song_ratings_mark_dirty_on_commit(song_ids=[obj.song_id])

    def delete_model(self, request, obj):
        song_id = obj.song_id
        super().delete_model(request, obj)
        song_ratings_mark_dirty_on_commit(song_ids=[song_id])

    def delete_queryset(self, request, queryset):
        song_ids = sorted(set(queryset.values_list("song_id", flat=True)))
        super().delete_queryset(request, queryset)
        song_ratings_mark_dirty_on_commit(song_ids=song_ids)


# ------------------------------------------------------------------------------
# Loads
# ------------------------------------------------------------------------------
@admin.register(SongFileLoad)
class SongFileLoadAdmin(admin.ModelAdmin):
    """What `load_music` did, for reading only: a record changed by hand could make a
    re-load take a changed catalog for the file it last loaded."""

    list_display = ["loaded_at", "songs", "created", "updated", "content_hash"]
    date_hierarchy = "loaded_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
