"""Loan records from banks' Excel (.xlsx, or .csv in UTF-8/GBK): read, check every row, then store.

Policy:
- Every row is all-or-nothing: a row with any bad cell is rejected whole and reported as (file, row, column,
  value, Chinese message); every other row is stored. Rows are numbered as Excel shows them (header = row 1).
- A bank user imports its own bank's loans (the 银行 column may be left out; another bank's name is refused).
  A bureau user names the bank on every row.
- A loan is keyed by (bank, 合同编号): a known contract is updated, a new one created. The firm must be in the
  registry (统一社会信用代码); a product, when named, must be that bank's.
- A row that reports a default files the risk pool's claim for it, as a default entered on the platform does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kechuang.accounts.models import Organisation
from kechuang.core import audit
from kechuang.engine import facts
from kechuang.engine.facts_file import Problem as RowError
from kechuang.engine.facts_file import read_table
from kechuang.engine.io import FactsFileError
from kechuang.enterprises.models import Enterprise

from . import loaders, selectors, services
from .models import Loan, LoanImport, LoanProduct

C = facts.Column
COLUMNS = (
    C("bank", "银行", facts.STR),
    C("contract_no", "合同编号", facts.STR),
    C("uscc", "统一社会信用代码", facts.STR),
    C("name", "企业名称", facts.STR),
    C("product", "产品", facts.STR),
    C("amount", "贷款金额（万元）", facts.MONEY),
    C("rate", "年利率（%）", facts.NUMBER),
    C("disbursed_on", "放款日期", facts.DATE),
    C("maturity_on", "到期日期", facts.DATE),
    C("guaranteed", "担保贷款", facts.BOOL),
    C("guarantee_fee", "担保费（万元）", facts.MONEY),
    C("status", "状态", facts.STR),
    C("closed_on", "结清日期", facts.DATE),
    C("overdue_on", "逾期日期", facts.DATE),
    C("defaulted_on", "违约日期", facts.DATE),
    C("defaulted_principal", "违约本金（万元）", facts.MONEY),
)
BY_LABEL = {c.label: c for c in COLUMNS}
REQUIRED = ("contract_no", "uscc", "amount", "rate", "disbursed_on", "maturity_on")
STATUS_WORDS = {label: code for code, label in Loan.Status.choices} | {c: c for c in Loan.Status.values}
MAX_RATE = Decimal(24)  # % a year: beyond it a rate is a typing error (the courts' ceiling on lending rates)


@dataclass
class Parsed:
    name: str
    rows: list[dict] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    total: int = 0

    @property
    def rejected(self) -> int:
        return len({e.row for e in self.errors})


def template_header() -> list[str]:
    return [c.label for c in COLUMNS]


def parse(user, name: str, content: bytes, today: dt.date) -> Parsed:
    """Check every row of an uploaded file. Raises ValidationError when the file as a whole is unusable."""
    bank_user = selectors.is_bank(user)
    if not (user.is_bureau or bank_user):
        raise PermissionDenied(_("无权导入贷款记录"))
    try:
        table = read_table(content=content, name=name)
    except FactsFileError as exc:
        raise ValidationError(str(exc)) from None
    header, rows = table.headers, table.rows
    mapping: dict[int, facts.Column] = {}
    for i, cell in enumerate(header):
        column = BY_LABEL.get(str(cell).strip())
        if column is not None:
            mapping[i] = column
    missing = [
        BY_LABEL[label].label
        for label in (c.label for c in COLUMNS)
        if BY_LABEL[label].name in REQUIRED and BY_LABEL[label] not in mapping.values()
    ]
    if not bank_user and BY_LABEL["银行"] not in mapping.values():
        missing.insert(0, "银行")
    if missing:
        raise ValidationError(_("%(f)s：缺少必填列 %(c)s（可下载模板对照）") % {"f": name, "c": "、".join(missing)})
    banks = {o.name: o for o in Organisation.objects.filter(kind=Organisation.Kind.BANK)}
    products = {(p.bank_id, key): p for p in LoanProduct.objects.all() for key in (p.name, p.code)}
    firms = dict(Enterprise.objects.values_list("uscc", "pk"))
    result, seen = Parsed(name=name), {}
    result.errors += table.problems  # lines that could not be read into cells: reported, never dropped
    result.total += len(table.problems)
    for number, cells in rows:
        result.total += 1
        row, errors = _row(name, number, cells, mapping)
        if not errors:
            errors = _check(name, number, row, user, bank_user, banks, products, firms, today, seen)
        if errors:
            result.errors += errors
        else:
            seen[(row["bank"].pk, row["contract_no"])] = number
            result.rows.append(row)
    return result


def _row(name: str, number: int, cells: list, mapping: dict) -> tuple[dict, list[RowError]]:
    row, errors = {}, []
    for i, column in mapping.items():
        raw = cells[i] if i < len(cells) else None
        try:
            row[column.name] = facts.parse_value(column, raw)
        except facts.CellError as exc:
            errors.append(RowError(name, number, column.label, "" if raw is None else str(raw), exc.message))
    bad = {e.column for e in errors}
    for key in REQUIRED:
        if row.get(key) in (None, "") and BY_LABEL_NAME[key] not in bad:  # one message per cell
            errors.append(RowError(name, number, BY_LABEL_NAME[key], "", "必填"))
    return row, errors


BY_LABEL_NAME = {c.name: c.label for c in COLUMNS}


def _check(name, number, row, user, bank_user, banks, products, firms, today, seen) -> list[RowError]:  # noqa: C901
    def err(key: str, message: str) -> RowError:
        value = row.get(key)
        return RowError(name, number, BY_LABEL_NAME.get(key, ""), "" if value is None else str(value), message)

    errors = []
    bank_name = (row.get("bank") or "").strip()
    if bank_user:
        if bank_name and bank_name != user.organisation.name:
            errors.append(err("bank", f"只能导入本行（{user.organisation.name}）的贷款"))
        row["bank"] = user.organisation
    elif bank_name not in banks:
        errors.append(err("bank", "必填" if not bank_name else "平台上没有这家银行"))
    else:
        row["bank"] = banks[bank_name]
    uscc = str(row.get("uscc") or "").upper()
    row["uscc"] = uscc
    problem = facts.uscc_problem(uscc)
    if problem:
        errors.append(err("uscc", problem))
    elif uscc not in firms:
        errors.append(err("uscc", "企业库中没有该企业，请先登记企业"))
    if errors:
        return errors
    row["enterprise_id"] = firms[uscc]
    product = (row.get("product") or "").strip()
    row["product"] = None
    if product:
        found = products.get((row["bank"].pk, product))
        if found is None:
            errors.append(err("product", f"{row['bank'].name}没有名为“{product}”的平台产品"))
        row["product"] = found
    if row["amount"] <= 0:
        errors.append(err("amount", "应大于 0"))
    if not Decimal(0) < row["rate"] <= MAX_RATE:
        errors.append(err("rate", f"年利率应在 0 到 {MAX_RATE}% 之间（填百分数，如 3.8）"))
    if row["disbursed_on"] > today:
        errors.append(err("disbursed_on", "放款日期晚于今天"))
    if row["maturity_on"] <= row["disbursed_on"]:
        errors.append(err("maturity_on", "到期日期应晚于放款日期"))
    word = (row.get("status") or "在贷").strip()
    status = STATUS_WORDS.get(word)
    if status is None:
        errors.append(err("status", f"状态应为 {'、'.join(label for _, label in Loan.Status.choices)} 之一"))
    row["status"] = status
    if status == Loan.Status.REPAID and not row.get("closed_on"):
        errors.append(err("closed_on", "状态为已结清时必填"))
    if status == Loan.Status.DEFAULTED:
        if not row.get("defaulted_on"):
            errors.append(err("defaulted_on", "状态为违约时必填"))
        principal = row.get("defaulted_principal")
        if principal is None or principal <= 0:
            errors.append(err("defaulted_principal", "状态为违约时必填，且大于 0"))
        elif principal > row["amount"]:
            errors.append(err("defaulted_principal", "违约本金不能大于贷款金额"))
    for key in ("closed_on", "overdue_on", "defaulted_on"):
        if row.get(key) and not row["disbursed_on"] <= row[key] <= today:
            errors.append(err(key, "日期应在放款日期与今天之间"))
    if row.get("guaranteed") is None:
        row["guaranteed"] = False
    key = (row["bank"].pk, row.get("contract_no"))
    if key in seen:
        errors.append(err("contract_no", f"与第{seen[key]}行的合同编号重复"))
    return errors


FIELDS = (
    "amount",
    "rate",
    "disbursed_on",
    "maturity_on",
    "status",
    "closed_on",
    "overdue_on",
    "defaulted_on",
    "defaulted_principal",
    "guaranteed",
    "guarantee_fee",
)


def store(user, parsed: Parsed, today: dt.date) -> LoanImport:
    """Store the accepted rows in one transaction (creating or updating by bank and contract), with the
    rejected rows reported on the import record; defaults reported file the pool's claims."""
    snapshots = loaders.snapshot(Enterprise.objects.filter(pk__in=[r["enterprise_id"] for r in parsed.rows]), today)
    by_id = {
        pk: uscc
        for uscc, pk in Enterprise.objects.filter(pk__in=[r["enterprise_id"] for r in parsed.rows]).values_list(
            "uscc", "pk"
        )
    }
    created = updated = 0
    defaulted: list[Loan] = []
    with transaction.atomic():
        batch = LoanImport.objects.create(
            bank=user.organisation if selectors.is_bank(user) else None,
            file_name=parsed.name[:200],
            rows_total=parsed.total,
            rows_rejected=parsed.rejected,
            errors=[e.as_dict() for e in parsed.errors],
            created_by=user,
        )
        for row in parsed.rows:
            values = {k: row.get(k) for k in FIELDS}
            loan = Loan.objects.filter(bank=row["bank"], contract_no=row["contract_no"]).first()
            if loan is None:
                snap = snapshots.get(by_id[row["enterprise_id"]], {})
                loan = Loan.objects.create(
                    bank=row["bank"],
                    enterprise_id=row["enterprise_id"],
                    product=row["product"],
                    contract_no=row["contract_no"],
                    source=Loan.Source.IMPORT,
                    import_batch=batch,
                    points=snap.get("points"),
                    stage=snap.get("stage") or "",
                    tier=snap.get("tier") or "",
                    **values,
                )
                created += 1
            else:
                was_default = loan.status == Loan.Status.DEFAULTED
                for k, v in values.items():
                    setattr(loan, k, v)
                loan.enterprise_id, loan.product, loan.import_batch = row["enterprise_id"], row["product"], batch
                loan.save()
                updated += 1
                if was_default:
                    continue
            if loan.status == Loan.Status.DEFAULTED:
                defaulted.append(loan)
        batch.rows_created, batch.rows_updated = created, updated
        batch.save(update_fields=["rows_created", "rows_updated"])
        audit.record(
            actor=user,
            action="finance.loan.import",
            obj=batch,
            changes={"created": [None, created], "updated": [None, updated], "rejected": [None, parsed.rejected]},
            note=f"{parsed.name}：新增 {created}，更新 {updated}，拒收 {parsed.rejected} 行",
        )
        for loan in defaulted:
            for pool in services.RiskPool.objects.all():
                services.file_claim(user=user, pool=pool, loan=loan)
    return batch
