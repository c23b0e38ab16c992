"""The import flow: read and validate a facts file, then upsert the valid rows (unless a dry run).

Used alike by the import page (in the background above IMPORT_BACKGROUND_ROWS rows) and by
`kechuang import facts`. The report lists every rejected row; at most MAX_ERRORS_STORED are kept on a job.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from kechuang.core import jobs
from kechuang.core.models import Industry, Job, Region

from . import importing, services, signals

MAX_ERRORS_STORED = 2000


def reference_codes() -> tuple[set[str], set[str]]:
    regions = set(Region.objects.values_list("code", flat=True))
    industries = set(Industry.objects.filter(level=4).values_list("code", flat=True))
    return regions, industries


def import_facts(path: Path | str, *, actor=None, dry_run: bool = False, display_name: str | None = None,
                 content: bytes | None = None, progress=None) -> dict:
    """Validate and (unless dry_run) import. Raises importing.UnreadableFile when nothing can be read."""
    path = Path(path)
    name = display_name or path.name
    header, rows = importing.read_table(path, content, name)
    regions, industries = reference_codes()
    parsed = importing.parse_file(name, header, rows, region_codes=regions, industry_codes=industries,
                                  progress=progress)
    stats = {}
    if not dry_run and parsed.rows:
        stats = services.upsert_facts(parsed.rows, columns=parsed.columns, actor=actor, note=f"导入 {name}")
        if stats["figures_created"] or stats["figures_updated"]:
            years = sorted({row["year"] for row in parsed.rows})
            signals.facts_changed.send(sender=import_facts, years=years, actor=actor)
    return {
        "file": name,
        "dry_run": dry_run,
        "total_rows": parsed.total_rows,
        "accepted_rows": len(parsed.rows),
        "rejected_rows": parsed.rejected_rows,
        "errors": [e.as_dict() for e in parsed.errors],
        "warnings": parsed.warnings,
        "stats": stats,
        "preview": [_preview(r) for r in parsed.rows[:20]],
    }


def _preview(row: dict) -> dict:
    return {k: str(v) for k, v in row.items()}


def count_rows(content: bytes, name: str) -> int:
    """A cheap row count to decide between importing now and in the background."""
    if name.lower().endswith(".csv"):
        return max(0, content.count(b"\n") - 1)
    return settings.IMPORT_BACKGROUND_ROWS + 1  # an .xlsx cannot be counted cheaply: treat it as large


def import_job(job: Job, path: str, display_name: str, actor_id: int | None, dry_run: bool) -> dict:
    """Background job: import a stored upload, reporting progress on the job."""
    from kechuang.accounts.models import User

    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    jobs.report(job, 0, message="正在校验……")
    try:
        report = import_facts(path, actor=actor, dry_run=dry_run, display_name=display_name,
                              progress=lambda n: jobs.report(job, n, message=f"已校验 {n} 行"))
    except importing.UnreadableFile as exc:
        return {"unreadable": exc.message, "message": exc.message}
    finally:
        Path(path).unlink(missing_ok=True)
    report["errors_truncated"] = len(report["errors"]) > MAX_ERRORS_STORED
    report["errors"] = report["errors"][:MAX_ERRORS_STORED]
    jobs.report(job, report["total_rows"], total=report["total_rows"])
    report["message"] = summary(report)
    return report


def summary(report: dict) -> str:
    verb = "可导入" if report["dry_run"] else "已导入"
    return f"共 {report['total_rows']} 行，{verb} {report['accepted_rows']} 行，拒绝 {report['rejected_rows']} 行"
