"""Consequences of changed facts, scheduled by the service that changed them.

Policy: every service that writes annual figures (an import, a hand edit, a confirmed submission, the API) calls
`facts_changed(years, actor)` inside its transaction. On commit — never inside the writer's transaction, and not
at all when the write is rolled back — one background job runs per consequence listed in
`settings.FACTS_CHANGED_CONSEQUENCES` (today: the monitoring alerts of those years). A consequence that fails is
a failed job on its page, never an error swallowed in a log; the registry knows no other domain by name.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from . import jobs


def facts_changed(*, years, actor=None) -> None:
    years = sorted({int(y) for y in years})
    if not years:
        return
    user = actor if getattr(actor, "is_authenticated", False) else None

    def schedule() -> None:
        for title, func in settings.FACTS_CHANGED_CONSEQUENCES:
            jobs.start(
                kind="facts_followup",
                title=f"{title}（{'、'.join(map(str, years))} 年度）",
                func=func,
                user=user,
                years=years,
                user_id=getattr(user, "pk", None),
            )

    transaction.on_commit(schedule)
