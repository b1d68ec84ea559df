from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"

    def ready(self) -> None:
        from analytics.services.account_deletion import activity_forget
        from music_discovery.signals import user_deleting

        def forget(sender: object, *, user_id: int, **kwargs: object) -> None:
            activity_forget(user_id=user_id)

        # The per-song rollups hold the account's counts, which its cascade cannot reach.
        user_deleting.connect(forget, weak=False, dispatch_uid="analytics-forget")
