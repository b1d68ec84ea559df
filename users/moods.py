"""The fixed mood vocabulary shared by profiles and recommendations."""

MOODS: tuple[str, ...] = (
    "happy",
    "sad",
    "energetic",
    "calm",
    "focused",
    "party",
    "romantic",
    "melancholic",
)
