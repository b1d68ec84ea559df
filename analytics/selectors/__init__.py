"""Analytics reads, one module per concern. Other apps import from here only."""

from analytics.selectors.signals import SongSignals, user_song_signals
from analytics.selectors.summary import users_active_since

__all__ = ["SongSignals", "user_song_signals", "users_active_since"]
