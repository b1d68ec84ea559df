"""Words for Spotify's numeric audio features, for people reading them (the admin)."""

from __future__ import annotations

# Spotify's `key`: the pitch class, 0 = C ... 11 = B, -1 when none was detected.
PITCH_CLASSES = ["C", "C♯/D♭", "D", "D♯/E♭", "E", "F", "F♯/G♭", "G", "G♯/A♭", "A", "A♯/B♭", "B"]
KEY_CHOICES = [(-1, "none"), *enumerate(PITCH_CLASSES)]
# Spotify's `mode`.
MODE_CHOICES = [(0, "minor"), (1, "major")]
# Bounds on the two features without a natural scale, far past any real song (Spotify's
# tempos stay under 250 BPM, its loudness between -60 and +5 dB): a value past them is a
# broken file, and one huge value would flatten every song's standardised sound for "similar".
MAX_TEMPO = 1000.0
LOUDNESS_RANGE = (-100.0, 100.0)


def key_name(key: int) -> str:
    return dict(KEY_CHOICES).get(key, str(key))


def mode_name(mode: int) -> str:
    return dict(MODE_CHOICES).get(mode, str(mode))
