"""Job functions the worker test runs in real worker processes: each logs its start and finish with its pid."""

from __future__ import annotations

import os
import time

from kechuang.core import jobs

STEPS = 10


def slow(job, seconds: float, log: str) -> dict:
    with open(log, "a", encoding="utf-8") as f:
        f.write(f"start {job.pk} {os.getpid()}\n")
    for step in range(1, STEPS + 1):
        time.sleep(seconds / STEPS)
        jobs.report(job, step, STEPS)
    with open(log, "a", encoding="utf-8") as f:
        f.write(f"finish {job.pk} {os.getpid()}\n")
    return {"message": f"由进程 {os.getpid()} 完成"}
