"""Background jobs: a Job row holds the progress everyone can see; Huey runs the work.

A job function has the signature `fn(job: Job, **kwargs)` and reports progress with `report(job, done, total)`.
Enqueueing happens on commit, so a job never starts on data its creator then rolled back.

Several worker processes (`kechuang worker`, Redis): a queue message may reach a worker twice (a retry, a
duplicate), so running a job starts with a conditional claim (queued → running, by this process) that only one
process wins. A running job beats a heartbeat; a job whose heartbeat is older than JOB_LEASE_SECONDS lost its
worker (killed, machine gone) and `recover_stalled` queues it again after a back-off that doubles per attempt,
up to JOB_MAX_ATTEMPTS starts, then fails it with a message on its page. A job function must therefore be safe
to start again after an interrupted run: each writes its results in one transaction (or swaps them in at the end).
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import os
import socket
import threading
import traceback

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from huey.contrib.djhuey import db_task

from .models import Job

log = logging.getLogger(__name__)

# This process, as the claim names it.
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"[:100]


class Failed(Exception):
    """Raised by a job function to fail its job with a message for people (Chinese) and no traceback; `result`
    is kept on the job for its page (e.g. the import's report of an unreadable file)."""

    def __init__(self, message: str, result: dict | None = None):
        super().__init__(message)
        self.message = message
        self.result = result or {}


def start(*, kind: str, title: str, func: str, user=None, total: int = 0, **kwargs) -> Job:
    """Create a job and run `func` (dotted path) in the background with `kwargs` (JSON-safe)."""
    job = Job.objects.create(kind=kind, title=title, total=total, created_by=user, func=func, kwargs=kwargs)
    transaction.on_commit(lambda: run_job(str(job.pk), func, kwargs))
    return job


def report(job: Job, done: int, total: int | None = None, message: str | None = None) -> None:
    """Persist progress. Called every few hundred rows; an UPDATE by primary key is cheap."""
    job.done = done
    fields = {"done": done, "status": Job.Status.RUNNING, "heartbeat_at": timezone.now()}
    if total is not None:
        job.total = fields["total"] = total
    if message is not None:
        job.message = fields["message"] = message[:500]
    Job.objects.filter(pk=job.pk).update(**fields)


def claim(job_id: str) -> bool:
    """Take a queued job for this process; False when another process has it or it has finished."""
    return bool(
        Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
            status=Job.Status.RUNNING,
            worker=WORKER_ID,
            heartbeat_at=timezone.now(),
            attempts=F("attempts") + 1,
        )
    )


class Heartbeat:
    """While a job runs, touch its heartbeat every quarter lease from a side thread (a job may not report
    progress for minutes). The thread first waits, so a short job never opens a second connection."""

    def __init__(self, job_id: str):
        self.job_id = job_id
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.beat, name=f"heartbeat-{job_id}", daemon=True)

    def beat(self) -> None:
        interval = settings.JOB_LEASE_SECONDS / 4
        try:
            while not self.stop.wait(interval):
                Job.objects.filter(pk=self.job_id, worker=WORKER_ID, status=Job.Status.RUNNING).update(
                    heartbeat_at=timezone.now()
                )
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def execute(job_id: str, func: str, kwargs: dict) -> None:
    """Run a job in this process (the Huey worker, or a CLI command that waits for the result), once."""
    if not claim(job_id):
        log.info("job %s is claimed by another worker or finished: not run again", job_id)
        return
    job = Job.objects.get(pk=job_id)
    module_name, _, attr = func.rpartition(".")
    try:
        with Heartbeat(job_id):
            result = getattr(importlib.import_module(module_name), attr)(job, **kwargs) or {}
    except Failed as exc:
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.FAILED,
            message=exc.message[:500],
            finished_at=timezone.now(),
            result=exc.result,
        )
        return
    except Exception as exc:  # a job's failure is shown on its page, not lost in a worker log
        log.exception("job %s failed", job_id)
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.FAILED,
            message=f"任务失败：{exc}"[:500],
            finished_at=timezone.now(),
            result={"error": str(exc), "traceback": traceback.format_exc()[-4000:]},
        )
        return
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.DONE,
        result=result,
        finished_at=timezone.now(),
        done=max(job.done, job.total),
        message=result.get("message", "")[:500] if isinstance(result, dict) else "",
    )


@db_task()
def run_job(job_id: str, func: str, kwargs: dict) -> None:
    execute(job_id, func, kwargs)


def retry_delay(attempts: int) -> float:
    """Back-off before start number `attempts + 1`: the base, doubled for each start so far after the first."""
    return settings.JOB_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)


def recover_stalled() -> list[str]:
    """Queue again (after a back-off) the running jobs whose worker stopped beating; fail those out of starts.
    Safe to run in every worker at once: each change is conditional on the state it read."""
    cutoff = timezone.now() - dt.timedelta(seconds=settings.JOB_LEASE_SECONDS)
    requeued = []
    for job in Job.objects.filter(status=Job.Status.RUNNING, heartbeat_at__lt=cutoff):
        same = Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, heartbeat_at=job.heartbeat_at)
        if not job.func or job.attempts >= settings.JOB_MAX_ATTEMPTS:
            same.update(
                status=Job.Status.FAILED,
                finished_at=timezone.now(),
                message=f"后台处理进程中断 {job.attempts} 次，已停止重试，请重新提交",
            )
            continue
        delay = retry_delay(job.attempts)
        if same.update(
            status=Job.Status.QUEUED, worker="", message=f"后台处理进程中断，{delay:g} 秒后第 {job.attempts + 1} 次尝试"
        ):
            run_job.schedule((str(job.pk), job.func, job.kwargs), delay=delay)
            log.warning("job %s lost its worker %s; queued again in %s s", job.pk, job.worker, delay)
            requeued.append(str(job.pk))
    return requeued


def watch_stalled(stop: threading.Event | None = None) -> threading.Thread:
    """Run `recover_stalled` every half lease in a daemon thread of a worker process."""
    stop = stop or threading.Event()

    def loop():
        while not stop.wait(settings.JOB_LEASE_SECONDS / 2):
            try:
                recover_stalled()
            except Exception:  # a database hiccup must not end the watch; the next round tries again
                log.exception("recovering stalled jobs failed")
            finally:
                connection.close()

    thread = threading.Thread(target=loop, name="recover-stalled", daemon=True)
    thread.start()
    return thread
