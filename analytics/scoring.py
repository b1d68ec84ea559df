"""How much each action says about a listener's interest: the one definition, used by
trends, a user's top songs, artists and genres, and anything else that ranks by activity.

A share is the strongest signal (the listener put their name to it), then a like, then a
play; a skip counts against.
"""

from __future__ import annotations

from django.db.models import F, Sum
from django.db.models.expressions import CombinedExpression

ACTION_WEIGHTS: dict[str, int] = {"share": 4, "like": 3, "play": 1, "skip": -2}

# The rollup tables' counter column for each action.
COUNT_FIELDS: dict[str, str] = {"play": "plays", "like": "likes", "skip": "skips", "share": "shares"}


def score(*, plays: int = 0, likes: int = 0, skips: int = 0, shares: int = 0) -> int:
    counts = {"plays": plays, "likes": likes, "skips": skips, "shares": shares}
    return sum(weight * counts[COUNT_FIELDS[action]] for action, weight in ACTION_WEIGHTS.items())


def score_sql(count_of: dict[str, str]) -> str:
    """The score as SQL, given each action's count as an SQL expression (keyed by action
    name), for statements written in SQL (the refresh's on PostgreSQL)."""
    return " + ".join(f"({count_of[action]}) * ({weight})" for action, weight in ACTION_WEIGHTS.items())


def score_expression(prefix: str = "") -> CombinedExpression:
    """The weighted score of rollup rows' counters as one SQL expression summed over rows
    (`prefix` reaches the counters through a relation, e.g. "songday__")."""
    terms = [Sum(F(f"{prefix}{COUNT_FIELDS[action]}")) * weight for action, weight in ACTION_WEIGHTS.items()]
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total
