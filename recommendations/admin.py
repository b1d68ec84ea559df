"""Generations in the admin: what each list was, why, from which source, how long it took,
and what went wrong. A record: read only."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html_join

from recommendations.models import Generation

ITEMS_SHOWN = 100


@admin.register(Generation)
class GenerationAdmin(admin.ModelAdmin):
    list_display = ["task_id", "user", "state", "source", "item_count", "duration_ms", "created_at"]
    list_filter = ["state", "source"]
    list_select_related = ["user"]
    search_fields = ["=task_id", "user__username"]
    raw_id_fields = ["user"]
    ordering = ["-created_at", "-id"]
    readonly_fields = [
        "task_id",
        "user",
        "asked_by",
        "state",
        "request",
        "source",
        "duration_ms",
        "created_at",
        "due_at",
        "finished_at",
        "error",
        "items_shown",
    ]
    exclude = ["items"]

    @admin.display(description="items")
    def item_count(self, generation: Generation) -> int:
        return len(generation.items)

    @admin.display(description="items (song id, score: reasons)")
    def items_shown(self, generation: Generation) -> str:
        return format_html_join(
            "",
            "<p>#{} &nbsp; {} &nbsp; {}</p>",
            (
                (item["song"], f"{item['score']:.3f}", "; ".join(item["reasons"]))
                for item in generation.items[:ITEMS_SHOWN]
            ),
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
