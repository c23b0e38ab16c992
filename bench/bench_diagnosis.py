"""Benchmark: diagnosis reports (诊断书) as PDF: one report, and a batch of 100 with progress and
bounded memory.

    python bench/bench_diagnosis.py [--n 2000] [--batch 100] [--target-s 2] [--max-growth-mb 150]

Builds a demo region of N firms in a fresh SQLite database (a temporary KECHUANG_DATA_DIR), evaluates tiers,
scores the latest year with the shipped scheme, then
- renders the diagnosis PDF of the top firm 5 times (data + HTML + WeasyPrint), reporting the cold and the
  median time; the target applies to the median (a warm worker);
- runs the batch job over the top `--batch` firms of the leaderboard, as the page starts it, sampling the
  resident memory at every progress report: the growth from the 10th to the last report must stay under
  `--max-growth-mb` (the batch writes each PDF to the zip and drops it).
Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--target-s", type=float, default=2.0)
    parser.add_argument("--max-growth-mb", type=float, default=150.0)
    args = parser.parse_args()

    os.environ["KECHUANG_DATA_DIR"] = tempfile.mkdtemp(prefix="kc-bench-")
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kechuang.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from kechuang.core.models import Job
    from kechuang.demo import generator, load
    from kechuang.points import diagnosis, selectors, services
    from kechuang.points.models import PointsResult

    t0 = time.perf_counter()
    region = generator.generate(n_enterprises=args.n)
    load.load(region, progress=lambda *a, **k: None)
    from kechuang.enterprises.models import AnnualFigure

    year = AnnualFigure.objects.order_by("-year").values_list("year", flat=True).first()
    setup_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    run = services.score_year(year)
    score_s = time.perf_counter() - t0

    from kechuang.accounts.models import User

    user = User.objects.filter(role="bureau_staff").first() or User.objects.create(
        username="bench", role="bureau_staff"
    )
    top = PointsResult.objects.select_related("run", "enterprise").filter(run=run).order_by("rank").first()
    times, size = [], 0
    for _ in range(5):
        t0 = time.perf_counter()
        result = PointsResult.objects.select_related("run", "enterprise").get(pk=top.pk)
        pdf = diagnosis.render_pdf(diagnosis.build(result.enterprise, result, user))
        times.append(time.perf_counter() - t0)
        size = len(pdf)
    single = statistics.median(times)

    samples: list[float] = []
    original = services._report

    def sampling(job, done, total=None, message=None):
        samples.append(rss_mb())
        original(job, done, total, message)

    services._report = sampling
    ranks = list(selectors.leaderboard(user, run, {}).values_list("rank", flat=True)[: args.batch])
    cutoff = ranks[-1]
    job = Job.objects.create(kind="points_diagnosis_batch", title="bench", created_by=user, total=len(ranks))
    t0 = time.perf_counter()
    # The page passes the leaderboard filters; the bench takes the top `--batch` ranks.
    filters = {}
    selectors_limit = selectors.BATCH_LIMIT
    selectors.BATCH_LIMIT = args.batch
    try:
        result = services.diagnosis_batch_job(job, run_id=run.pk, filters=filters, user_id=user.pk)
    finally:
        selectors.BATCH_LIMIT = selectors_limit
        services._report = original
    batch_s = time.perf_counter() - t0
    growth = max(samples[10:]) - samples[10] if len(samples) > 10 else 0.0
    zip_mb = services.batch_path(job.pk).stat().st_size / 2**20

    print(
        f"firms={args.n} year={year} scored={run.scored} setup={setup_s:.1f}s score_year={score_s:.2f}s "
        f"(ranks ≤ {cutoff} in the batch)"
    )
    print(f"{'measure':<34}{'value':>12}{'target':>12}")
    print(f"{'one PDF, cold (s)':<34}{times[0]:>12.2f}{'':>12}")
    print(f"{'one PDF, median of 5 (s)':<34}{single:>12.2f}{args.target_s:>12.2f}")
    print(f"{'one PDF size (KiB)':<34}{size / 1024:>12.0f}{'':>12}")
    print(f"{'batch PDFs':<34}{result['count']:>12}{args.batch:>12}")
    print(f"{'batch total (s)':<34}{batch_s:>12.1f}{'':>12}")
    print(f"{'batch per PDF (s)':<34}{batch_s / max(result['count'], 1):>12.2f}{'':>12}")
    print(f"{'progress reports':<34}{len(samples):>12}{'':>12}")
    print(f"{'RSS growth after 10th report (MiB)':<34}{growth:>12.1f}{args.max_growth_mb:>12.1f}")
    print(f"{'zip size (MiB)':<34}{zip_mb:>12.1f}{'':>12}")
    marks = [i for i in (10, 25, 50, 75, len(samples) - 1) if i < len(samples)]
    print("RSS at progress reports (MiB): " + ", ".join(f"#{i}={samples[i]:.0f}" for i in marks))
    ok = single <= args.target_s and result["count"] == args.batch and growth <= args.max_growth_mb
    print("OK" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
