from django.apps import AppConfig


class RecommendationsConfig(AppConfig):
    name = "recommendations"

    def ready(self) -> None:
        from music_discovery.signals import user_signals_changed
        from recommendations.lists import lists_mark_stale

        def mark_stale(sender: object, *, user_id: int, **kwargs: object) -> None:
            lists_mark_stale(user_id=user_id)

        # A rating, a like, a skip, a play: the listener's cached list no longer holds.
        user_signals_changed.connect(mark_stale, weak=False, dispatch_uid="recommendations-stale")
