"""Analytics reads, one module per concern. Other apps import from here only."""

from analytics.selectors.signals import SongSignals, user_song_signals

__all__ = ["SongSignals", "user_song_signals"]
