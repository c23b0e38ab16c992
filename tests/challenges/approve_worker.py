"""A separate process that approves one challenge payment batch (used by test_concurrency.py).

    python approve_worker.py BATCH_ID USER_ID BARRIER_DIR

Sets Django up against DATABASE_URL, reports ready (BARRIER_DIR/ready-BATCH_ID), waits for BARRIER_DIR/go so
that every worker reaches the pool at once, approves with a pause between checking the limits and writing (the
race window), and prints the batch's status, or the refusal's Chinese messages, as JSON.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

CHECK_DELAY = 0.5


def main() -> int:
    batch_id, user_id, barrier = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kechuang.settings")
    import django

    django.setup()
    from django.core.exceptions import ValidationError

    from kechuang.accounts.models import User
    from kechuang.challenges.services import money

    # Widen the window between reading what is left and writing the payment: without the row locks every
    # worker would pass the check on the same balance; with them they queue and the later ones see less.
    check = money.engine_money.payment_problems

    def slow_check(facts):
        time.sleep(CHECK_DELAY)
        return check(facts)

    money.engine_money.payment_problems = slow_check
    user = User.objects.get(pk=user_id)
    (barrier / f"ready-{batch_id}").touch()
    while not (barrier / "go").exists():
        time.sleep(0.005)
    try:
        batch = money.approve_batch(user=user, batch_id=batch_id)
    except ValidationError as exc:
        print(json.dumps({"batch": batch_id, "status": "refused", "messages": exc.messages}, ensure_ascii=False))
    else:
        print(json.dumps({"batch": batch.pk, "status": batch.status}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
