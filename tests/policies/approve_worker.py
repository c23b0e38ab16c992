"""A separate process that approves one payout batch (used by test_concurrency.py).

    python approve_worker.py BATCH_ID USER_ID BARRIER_DIR

It sets Django up against DATABASE_URL (the test database), reports ready (BARRIER_DIR/ready-BATCH_ID) and
waits for BARRIER_DIR/go, so that every worker hits the budget row at the same moment, approves (with a pause
before the budget is written) and prints the batch's status and reason as JSON.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

SAVE_DELAY = 0.5


def main() -> int:
    batch_id, user_id, barrier = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kechuang.settings")
    import django

    django.setup()
    from kechuang.accounts.models import User
    from kechuang.policies import services
    from kechuang.policies.models import Budget

    # Widen the race window: pause between reading the budget and writing it back. Without the row lock every
    # worker would read the same `committed` and the envelope would be overspent; with it they queue.
    save = Budget.save

    def slow_save(self, *args, **kwargs):
        time.sleep(SAVE_DELAY)
        return save(self, *args, **kwargs)

    Budget.save = slow_save

    user = User.objects.get(pk=user_id)
    (barrier / f"ready-{batch_id}").touch()
    while not (barrier / "go").exists():
        time.sleep(0.005)
    batch = services.approve_batch(user=user, batch_id=batch_id)
    print(json.dumps({"batch": batch.pk, "status": batch.status, "reason": batch.reason}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
