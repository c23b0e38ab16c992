"""`/healthz`: does this web process reach the database and the job queue? For load balancers and monitors.

No login, no data: the body names only which check failed, never an error text (which could carry a host name or
a password from a URL); the cause goes to the log. A queue on Redis is pinged with short timeouts so that a dead
Redis makes the check answer 503 quickly instead of hanging the monitor.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

log = logging.getLogger(__name__)

# Seconds a check may wait for Redis before calling it down (monitors usually time out after 5–10 s).
REDIS_TIMEOUT_SECONDS = 2
FAILED_LABELS = {"database": "数据库无响应", "queue": "后台任务队列无响应"}


def database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # any failure is "down"; the log keeps the cause
        log.exception("health check: database")
        return False


def queue_answers() -> bool:
    try:
        if settings.REDIS_URL:
            import redis

            client = redis.Redis.from_url(
                settings.REDIS_URL, socket_connect_timeout=REDIS_TIMEOUT_SECONDS, socket_timeout=REDIS_TIMEOUT_SECONDS
            )
            try:
                return bool(client.ping())
            finally:
                client.close()
        from huey.contrib.djhuey import HUEY

        HUEY.pending_count()  # the SQLite queue file (or the in-memory queue of immediate mode) answers
        return True
    except Exception:
        log.exception("health check: queue")
        return False


@never_cache
@require_GET
def healthz(request):
    checks = {"database": database_answers(), "queue": queue_answers()}
    failed = [name for name, ok in checks.items() if not ok]
    body = {"status": "ok" if not failed else "error", **{k: "ok" if v else "error" for k, v in checks.items()}}
    if failed:
        body["detail"] = "；".join(FAILED_LABELS[name] for name in failed)
        return JsonResponse(body, status=503, json_dumps_params={"ensure_ascii": False})
    return JsonResponse(body)
