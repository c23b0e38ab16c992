"""Several worker processes on Redis: every job claimed once, a killed worker's job started again after a back-off
by the other worker, all finished, none finished twice. Real processes: two `kechuang worker`s, a real Redis, on
SQLite and on PostgreSQL (the workers share the test database: tests/ops/childdb.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from kechuang.core import jobs
from kechuang.core.models import Job
from tests.ops.childdb import ChildDatabase

ROOT = Path(__file__).resolve().parents[2]
# A Redis database of its own and a key prefix per run, so tests never touch a deployment's queue.
REDIS_TEST_URL = "redis://127.0.0.1:6379/15"
JOBS = 6
JOB_SECONDS = 3
DEADLINE_SECONDS = 120


def redis_client():
    import redis

    client = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        if os.environ.get("KECHUANG_REQUIRE_REDIS") == "1":  # CI (.ci/run) must prove the workers
            pytest.fail(f"Redis 未响应（{REDIS_TEST_URL}），但 KECHUANG_REQUIRE_REDIS=1")
        pytest.skip(f"Redis 未响应（{REDIS_TEST_URL}）：跳过多进程后台任务测试（启动 redis-server 后再运行）")
    return client


def wait_for(predicate, what: str, timeout: float = DEADLINE_SECONDS):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"超时：{what}")


def log_lines(log: Path) -> list[tuple[str, str, int]]:
    if not log.exists():
        return []
    return [(a, b, int(c)) for a, b, c in (line.split() for line in log.read_text().splitlines() if line)]


@pytest.fixture
def deployment(transactional_db, tmp_path):
    """The test database, shared with the child processes (tests/ops/childdb.py), and an environment naming it
    and the test Redis: on SQLite and on PostgreSQL alike."""
    client = redis_client()
    child_db = ChildDatabase(tmp_path)
    name = f"kechuang-test-{uuid.uuid4().hex[:8]}"
    env = {
        **child_db.env,
        "REDIS_URL": REDIS_TEST_URL,
        "HUEY_NAME": name,
        "JOB_LEASE_SECONDS": "2",
        "JOB_RETRY_BASE_SECONDS": "1",
    }
    yield child_db, env
    for key in client.scan_iter(match=f"*{name}*"):
        client.delete(key)


def start_worker(env, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "kechuang.cli", "worker", "--threads", "1"],
        env=env,
        cwd=ROOT,
        stdout=out.open("w"),
        stderr=subprocess.STDOUT,
    )


ENQUEUE = """
from kechuang.djangosetup import setup
setup()
from django.db import transaction
from kechuang.core import jobs
with transaction.atomic():
    for i in range({n}):
        jobs.start(kind="test", title=f"测试任务 {{i}}", func="tests.ops.worker_jobs.slow", seconds={s}, log={log!r})
"""


def job_rows(database) -> list[tuple]:
    """(id as text, status, attempts, done, total, message) of every job, read from the database itself."""
    rows = database.query("SELECT id, status, attempts, done, total, message FROM core_job")
    return [(str(uuid.UUID(str(job))), *rest) for job, *rest in rows]


def test_two_workers_a_killed_one_and_no_job_run_twice(deployment, tmp_path):
    database, env = deployment
    log = tmp_path / "runs.log"
    workers = [start_worker(env, tmp_path / f"worker{i}.out") for i in range(2)]
    try:
        wait_for(
            lambda: all("已启动" in (tmp_path / f"worker{i}.out").read_text() for i in range(2)),
            "两个后台任务处理进程启动",
        )
        enqueue = subprocess.run(
            [sys.executable, "-c", ENQUEUE.format(n=JOBS, s=JOB_SECONDS, log=str(log))],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert enqueue.returncode == 0, enqueue.stderr

        # Both workers take jobs at once; kill one in the middle of its job.
        wait_for(lambda: len({pid for what, _, pid in log_lines(log) if what == "start"}) == 2, "两个进程同时处理任务")
        victim = workers[0]
        victims_job = next(job for what, job, pid in log_lines(log) if what == "start" and pid == victim.pid)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=30)
        assert ("finish", victims_job, victim.pid) not in log_lines(log)

        rows = wait_for(lambda: (r := job_rows(database)) and all(row[1] == "done" for row in r) and r, "所有任务完成")
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGINT)
                worker.wait(timeout=30)

    survivor = workers[1].pid
    lines = log_lines(log)
    finished = [job for what, job, _ in lines if what == "finish"]
    assert len(rows) == JOBS
    assert sorted(finished) == sorted(row[0] for row in rows)
    assert len(finished) == len(set(finished)) == JOBS  # every job finished, none twice
    started = [job for what, job, _ in lines if what == "start"]
    assert started.count(victims_job) == 2 and len(started) == JOBS + 1  # only the killed job started again
    assert ("start", victims_job, survivor) in lines and ("finish", victims_job, survivor) in lines
    by_id = {row[0]: row for row in rows}
    assert by_id[victims_job][2] == 2  # two starts
    assert all(row[2] == 1 for job, row in by_id.items() if job != victims_job)
    assert all(row[3] == row[4] == 10 for row in rows)  # progress reached the end
    assert by_id[victims_job][5] == f"由进程 {survivor} 完成"


@pytest.mark.django_db
def test_a_stalled_job_is_queued_again_with_back_off_then_failed(settings, monkeypatch):
    import datetime as dt

    from django.utils import timezone

    settings.JOB_LEASE_SECONDS, settings.JOB_RETRY_BASE_SECONDS, settings.JOB_MAX_ATTEMPTS = 60, 30, 3
    scheduled = []
    monkeypatch.setattr(jobs.run_job, "schedule", lambda args, delay: scheduled.append((args, delay)))
    old = timezone.now() - dt.timedelta(seconds=61)
    fresh = timezone.now() - dt.timedelta(seconds=59)
    stalled = Job.objects.create(
        kind="t",
        title="t",
        status="running",
        heartbeat_at=old,
        attempts=2,
        func="tests.ops.worker_jobs.slow",
        kwargs={"seconds": 1, "log": "x"},
    )
    alive = Job.objects.create(kind="t", title="t", status="running", heartbeat_at=fresh, attempts=1, func="f")
    spent = Job.objects.create(kind="t", title="t", status="running", heartbeat_at=old, attempts=3, func="f")

    assert jobs.recover_stalled() == [str(stalled.pk)]
    assert scheduled == [((str(stalled.pk), "tests.ops.worker_jobs.slow", {"seconds": 1, "log": "x"}), 60.0)]
    stalled.refresh_from_db(), alive.refresh_from_db(), spent.refresh_from_db()
    assert (stalled.status, stalled.worker, stalled.message) == ("queued", "", "后台处理进程中断，60 秒后第 3 次尝试")
    assert alive.status == "running"
    assert (spent.status, spent.message) == ("failed", "后台处理进程中断 3 次，已停止重试，请重新提交")
    assert [jobs.retry_delay(n) for n in (1, 2, 3)] == [30, 60, 120]


@pytest.mark.django_db
def test_a_job_is_claimed_once():
    job = Job.objects.create(kind="t", title="t", func="kechuang.core.jobs.no_such_function")
    assert jobs.claim(str(job.pk)) is True
    assert jobs.claim(str(job.pk)) is False
    job.refresh_from_db()
    assert (job.status, job.attempts, job.worker) == ("running", 1, jobs.WORKER_ID)
    jobs.execute(str(job.pk), job.func, {})  # a second delivery of the message does nothing
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("running", 1)


@pytest.mark.django_db
def test_the_job_page_shows_a_retried_jobs_attempt_and_progress(world, client_for):
    user = world["users"]["bureau_staff"]
    job = Job.objects.create(
        kind="t",
        title="重算",
        created_by=user,
        status="running",
        attempts=2,
        done=3,
        total=10,
        message="后台处理进程中断，30 秒后第 2 次尝试",
    )
    page = client_for(user).get(f"/jobs/{job.pk}/").content.decode()
    assert "运行中</strong>（第 2 次尝试） 后台处理进程中断，30 秒后第 2 次尝试" in page
    assert "进度：3 / 10" in page
