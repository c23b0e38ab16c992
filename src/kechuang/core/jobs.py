"""Background jobs: a Job row holds the progress everyone can see; Huey runs the work.

A job function has the signature `fn(job: Job, **kwargs)` and reports progress with `report(job, done, total)`.
Enqueueing happens on commit, so a job never starts on data its creator then rolled back.
"""

from __future__ import annotations

import importlib
import logging
import traceback

from django.db import transaction
from django.utils import timezone
from huey.contrib.djhuey import db_task

from .models import Job

log = logging.getLogger(__name__)


class Failed(Exception):
    """Raised by a job function to fail its job with a message for people (Chinese) and no traceback; `result`
    is kept on the job for its page (e.g. the import's report of an unreadable file)."""

    def __init__(self, message: str, result: dict | None = None):
        super().__init__(message)
        self.message = message
        self.result = result or {}


def start(*, kind: str, title: str, func: str, user=None, total: int = 0, **kwargs) -> Job:
    """Create a job and run `func` (dotted path) in the background with `kwargs` (JSON-safe)."""
    job = Job.objects.create(kind=kind, title=title, total=total, created_by=user)
    transaction.on_commit(lambda: run_job(str(job.pk), func, kwargs))
    return job


def report(job: Job, done: int, total: int | None = None, message: str | None = None) -> None:
    """Persist progress. Called every few hundred rows; an UPDATE by primary key is cheap."""
    job.done = done
    fields = {"done": done, "status": Job.Status.RUNNING}
    if total is not None:
        job.total = fields["total"] = total
    if message is not None:
        job.message = fields["message"] = message[:500]
    Job.objects.filter(pk=job.pk).update(**fields)


def execute(job_id: str, func: str, kwargs: dict) -> None:
    """Run a job in this process (the Huey worker, or a CLI command that waits for the result)."""
    job = Job.objects.get(pk=job_id)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING)
    module_name, _, attr = func.rpartition(".")
    try:
        result = getattr(importlib.import_module(module_name), attr)(job, **kwargs) or {}
    except Failed as exc:
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.FAILED, message=exc.message[:500], finished_at=timezone.now(), result=exc.result,
        )
        return
    except Exception as exc:  # a job's failure is shown on its page, not lost in a worker log
        log.exception("job %s failed", job_id)
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.FAILED, message=f"任务失败：{exc}"[:500], finished_at=timezone.now(),
            result={"error": str(exc), "traceback": traceback.format_exc()[-4000:]},
        )
        return
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.DONE, result=result, finished_at=timezone.now(),
        done=max(job.done, job.total), message=result.get("message", "")[:500] if isinstance(result, dict) else "",
    )


@db_task()
def run_job(job_id: str, func: str, kwargs: dict) -> None:
    execute(job_id, func, kwargs)
