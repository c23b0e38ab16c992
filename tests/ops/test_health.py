"""`/healthz`: 200 when database and queue answer, 503 naming what failed otherwise; no login, no data."""

from __future__ import annotations

import socket

import pytest
from django.db.utils import OperationalError
from django.test import override_settings

REDIS_TEST_URL = "redis://127.0.0.1:6379/15"


def closed_port() -> int:
    """A local port nothing listens on: bound, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.mark.django_db
def test_healthy_without_login_on_the_default_queue(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "queue": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthy_on_redis(client):
    if not redis_answers():
        pytest.skip(f"Redis 未响应（{REDIS_TEST_URL}）：跳过 Redis 队列的健康检查")
    with override_settings(REDIS_URL=REDIS_TEST_URL):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "queue": "ok"}


@pytest.mark.django_db
def test_a_queue_that_does_not_answer_is_503_and_named(client):
    url = f"redis://:secret-password@127.0.0.1:{closed_port()}/0"
    with override_settings(REDIS_URL=url):
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body == {"status": "error", "database": "ok", "queue": "error", "detail": "后台任务队列无响应"}
    assert "secret-password" not in response.content.decode()


@pytest.mark.django_db
def test_a_database_that_does_not_answer_is_503_and_named(client, monkeypatch):
    from django.db.backends.utils import CursorWrapper

    def broken(self, sql, params=None):
        raise OperationalError("connection refused by db.internal:5432")

    monkeypatch.setattr(CursorWrapper, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "error", "queue": "ok", "detail": "数据库无响应"}
    assert "db.internal" not in response.content.decode()


@pytest.mark.django_db
def test_only_get(client):
    assert client.post("/healthz").status_code == 405
