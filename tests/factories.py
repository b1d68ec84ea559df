"""factory-boy factories for the test suite and the benchmarks."""

import factory
from factory.django import DjangoModelFactory
from faker import Faker

from catalog.models import Artist, Genre, Rating, Song, SongArtist
from users.models import Profile, User

_fake = Faker()


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"listener{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("correct-horse-battery-staple")
    profile = factory.RelatedFactory("tests.factories.ProfileFactory", factory_related_name="user")


class ProfileFactory(DjangoModelFactory):
    class Meta:
        model = Profile
        django_get_or_create = ("user",)

    user = factory.SubFactory(UserFactory, profile=None)
    favorite_genres = factory.LazyFunction(lambda: ["pop"])
    favorite_artists = factory.LazyFunction(list)
    moods = factory.LazyFunction(lambda: ["happy"])


class ArtistFactory(DjangoModelFactory):
    class Meta:
        model = Artist

    spotify_id = factory.Sequence(lambda n: f"artist{n:018d}")
    # Artists are one row per normalised name: a made-up name, told apart by a number.
    name = factory.LazyAttributeSequence(lambda _, n: f"{_fake.name()} {n}")


class GenreFactory(DjangoModelFactory):
    class Meta:
        model = Genre
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"genre {n}")


class SongFactory(DjangoModelFactory):
    class Meta:
        model = Song
        skip_postgeneration_save = True

    spotify_id = factory.Sequence(lambda n: f"song{n:018d}")
    title = factory.Faker("sentence", nb_words=3)
    danceability = factory.Faker("pyfloat", min_value=0, max_value=1)
    energy = factory.Faker("pyfloat", min_value=0, max_value=1)
    key = factory.Faker("pyint", min_value=-1, max_value=11)
    loudness = factory.Faker("pyfloat", min_value=-30, max_value=0)
    mode = factory.Faker("pyint", min_value=0, max_value=1)
    acousticness = factory.Faker("pyfloat", min_value=0, max_value=1)
    instrumentalness = factory.Faker("pyfloat", min_value=0, max_value=1)
    liveness = factory.Faker("pyfloat", min_value=0, max_value=1)
    valence = factory.Faker("pyfloat", min_value=0, max_value=1)
    tempo = factory.Faker("pyfloat", min_value=60, max_value=200)
    duration_ms = factory.Faker("pyint", min_value=60_000, max_value=400_000)
    time_signature = 4
    num_bars = factory.Faker("pyint", min_value=20, max_value=200)
    num_sections = factory.Faker("pyint", min_value=1, max_value=15)
    num_segments = factory.Faker("pyint", min_value=100, max_value=1500)
    album = factory.Faker("sentence", nb_words=2)
    popularity = factory.Faker("pyint", min_value=0, max_value=100)
    explicit = False
    speechiness = factory.Faker("pyfloat", min_value=0, max_value=1)

    @factory.post_generation
    def genres(self, create, extracted, **kwargs):
        """`SongFactory(genres=["pop", "rock"])`: genre names, created as needed."""
        if create and extracted:
            self.genres.set([GenreFactory(name=name) for name in extracted])


class SongArtistFactory(DjangoModelFactory):
    class Meta:
        model = SongArtist

    song = factory.SubFactory(SongFactory)
    artist = factory.SubFactory(ArtistFactory)
    position = 0


class RatingFactory(DjangoModelFactory):
    class Meta:
        model = Rating

    user = factory.SubFactory(UserFactory)
    song = factory.SubFactory(SongFactory)
    score = factory.Faker("pyint", min_value=1, max_value=5)
