"""Importing firms' product descriptions (主营产品与经营范围) from Excel or CSV, for the placement engine.

Policy: columns 统一社会信用代码 and 主营产品与经营范围 (or 经营范围 / 主营产品), an optional 来源. A row is stored or
reported with file, row, column and a Chinese message (unknown credit code, empty text, the same firm twice);
valid rows replace the firm's description; nothing is half-written (one transaction for the valid rows).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from kechuang.core import audit
from kechuang.engine.facts_file import Problem as RowError
from kechuang.engine.facts_file import read_table
from kechuang.engine.io import FactsFileError as UnreadableFile
from kechuang.enterprises.models import Enterprise

from .models import ProductProfile

HEADER = ["统一社会信用代码", "主营产品与经营范围", "来源"]
_ALIASES = {
    "统一社会信用代码": "uscc",
    "信用代码": "uscc",
    "主营产品与经营范围": "products",
    "经营范围": "products",
    "主营产品": "products",
    "来源": "source",
}


@dataclass
class ProfileReport:
    name: str
    total_rows: int = 0
    stored: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def rejected_rows(self) -> int:
        return len({e.row for e in self.errors})


def import_profiles(*, user, name: str, content: bytes) -> ProfileReport:  # noqa: C901
    table = read_table(content=content, name=name)
    header, rows = table.headers, table.rows
    mapping = {}
    report = ProfileReport(name=name)
    report.errors.extend(table.problems)  # lines that could not be read into cells: reported, never dropped
    report.total_rows += len(table.problems)
    for i, cell in enumerate(header):
        key = _ALIASES.get(str(cell).strip())
        if key is None:
            if str(cell).strip():
                report.warnings.append(f"{name}：忽略未知列「{cell}」")
            continue
        if key in mapping.values():
            raise UnreadableFile(f"{name}：列「{cell}」重复出现")
        mapping[i] = key
    missing = [
        label
        for key, label in (("uscc", "统一社会信用代码"), ("products", "主营产品与经营范围"))
        if key not in mapping.values()
    ]
    if missing:
        raise UnreadableFile(f"{name}：缺少必填列：{'、'.join(missing)}")
    ids = dict(Enterprise.objects.values_list("uscc", "pk"))
    valid, seen = [], {}
    for number, cells in rows:
        report.total_rows += 1
        row = {key: str(cells[i] or "").strip() if i < len(cells) else "" for i, key in mapping.items()}
        errors = []
        uscc = row.get("uscc", "").upper()
        if not uscc:
            errors.append(RowError(name, number, "统一社会信用代码", "", "必填项为空"))
        elif uscc not in ids:
            errors.append(RowError(name, number, "统一社会信用代码", uscc, "企业库中没有该企业"))
        elif uscc in seen:
            errors.append(RowError(name, number, "", "", f"与第{seen[uscc]}行是同一企业"))
        if not row.get("products"):
            errors.append(RowError(name, number, "主营产品与经营范围", "", "必填项为空"))
        elif len(row["products"]) > 4000:
            errors.append(RowError(name, number, "主营产品与经营范围", row["products"][:20], "超过 4000 字"))
        if errors:
            report.errors.extend(errors)
            continue
        seen[uscc] = number
        valid.append((ids[uscc], row["products"], row.get("source", "")[:64] or name[:64]))
    if valid:
        with transaction.atomic():
            # Read every profile once (no IN list: a file may name more firms than a query may bind).
            existing = {p.enterprise_id: p for p in ProductProfile.objects.only("pk", "enterprise_id")}
            new, changed = [], []
            for enterprise_id, products, source in valid:
                profile = existing.get(enterprise_id)
                if profile is None:
                    new.append(ProductProfile(enterprise_id=enterprise_id, products=products, source=source))
                else:
                    profile.products, profile.source = products, source
                    changed.append(profile)
            ProductProfile.objects.bulk_create(new, batch_size=1000)
            ProductProfile.objects.bulk_update(changed, ["products", "source"], batch_size=1000)
            audit.record(
                actor=user,
                action="product_profile.import",
                obj=user,
                note=f"{name}：导入 {len(valid)} 家企业的主营产品，拒绝 {report.rejected_rows} 行",
            )
    report.stored = len(valid)
    return report
