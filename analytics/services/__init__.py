"""Analytics writes. Other apps import from here only (see the import contracts)."""

from analytics.services.events import EventIn, Recorded
from analytics.services.ingest import activity_record
from music_discovery.signals import signals_changed as user_signals_changed

__all__ = ["EventIn", "Recorded", "activity_record", "user_signals_changed"]
