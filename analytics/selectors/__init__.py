"""Analytics reads, one module per concern. Other apps import from here only."""

from analytics.scoring import ACTION_WEIGHTS
from analytics.selectors.signals import SongSignals, songs_heard_since, user_song_signals
from analytics.selectors.summary import users_active_since

# The weights of actions (the one definition, analytics.scoring), for apps that weigh signals alike.
__all__ = ["ACTION_WEIGHTS", "SongSignals", "songs_heard_since", "user_song_signals", "users_active_since"]
