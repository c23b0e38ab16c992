"""Routing a firm's service request to the right office or carrier, and its deadline in working days.

Policy:
- Categories: registration and tax, cultivation, technology evaluation, IP, finance, space (the one-stop
  service hall's list in the field notes).
- A firm resident in a carrier whose service hall handles the category is served there (the valley's hall
  serves its residents without their leaving the building), when `carrier_first` is on; the carriers are
  tried in the order given (the most recent residency first). Otherwise the bureau's office that handles the
  category takes it (the first in the order given). With neither, the request waits for manual routing.
- The deadline runs from acceptance: `workdays_<category>` Chinese working days (engine.workdays, official
  holidays and 调休 included); a request must be accepted within `accept_workdays` working days of submission.
- A diagnosis report's service (its catalogue category: 知识产权, 财税 …) becomes a request of the category the
  rule's table `diagnosis_categories` names (words, so the bureau edits it as rows).
- Timeliness: a request completed on or before its deadline is on time, after it late; an open request past
  its deadline (or not accepted in time) is overdue. Unknown dates are never guessed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from kechuang.engine.workdays import add_workdays, workdays_between

CATEGORIES = {
    "registration_tax": "注册登记与税务",
    "cultivation": "企业培育",
    "tech_evaluation": "科技评价",
    "ip": "知识产权",
    "finance": "科技金融",
    "space": "场地空间",
}


def route(category: str, offices: Sequence[Mapping], resident_carriers: Sequence[Mapping], params: Mapping) -> dict:
    """{"office_id", "reason"}: `offices` are {id, name, carrier_id (None for a bureau office), categories};
    `resident_carriers` {id, name} where the firm is resident, most recent first."""
    label = CATEGORIES.get(category, category)
    if params.get("carrier_first", True):
        for carrier in resident_carriers:
            for office in offices:
                if office.get("carrier_id") == carrier["id"] and category in (office.get("categories") or ()):
                    return {
                        "office_id": office["id"],
                        "reason": f"企业在驻{carrier['name']}，由其{office['name']}受理{label}事项",
                    }
    for office in offices:
        if office.get("carrier_id") is None and category in (office.get("categories") or ()):
            return {"office_id": office["id"], "reason": f"由{office['name']}受理（负责{label}事项）"}
    return {"office_id": None, "reason": f"没有负责{label}事项的科室或服务大厅，请手工分派"}


def category_for_diagnosis(service_category: str, params: Mapping) -> str | None:
    """The request category a diagnosis service's category (知识产权, 财税 …) becomes, from the rule's table
    `diagnosis_categories` (rows {诊断服务类别, 服务单事项类别} in words); None when the table has no row for it."""
    by_label = {label: code for code, label in CATEGORIES.items()}
    for row in params.get("diagnosis_categories") or ():
        if row.get("诊断服务类别") == service_category:
            return by_label.get(row.get("服务单事项类别"))
    return None


def deadline(accepted_on: dt.date, category: str, params: Mapping) -> dict:
    """{"due_on", "workdays", "basis"}: the date the request must be completed by."""
    n = int(params[f"workdays_{category}"])
    d = add_workdays(accepted_on, n)
    return {
        "due_on": d.date,
        "workdays": n,
        "basis": f"{CATEGORIES.get(category, category)}事项自受理起 {n} 个工作日内办结；{d.basis}",
    }


def accept_by(submitted_on: dt.date, params: Mapping) -> dt.date:
    return add_workdays(submitted_on, int(params["accept_workdays"])).date


def timeliness(
    *,
    submitted_on: dt.date,
    accepted_on: dt.date | None,
    due_on: dt.date | None,
    finished_on: dt.date | None,
    as_of: dt.date,
    params: Mapping,
) -> dict:
    """{"status": on_time / late / open / overdue / accept_overdue / waiting, "text"} for a request."""
    if accepted_on is None:
        if finished_on is not None:
            return {"status": "closed", "text": "未受理即结束"}
        limit = accept_by(submitted_on, params)
        if as_of > limit:
            return {"status": "accept_overdue", "text": f"应于 {limit:%Y-%m-%d} 前受理，已超时"}
        return {"status": "waiting", "text": f"待受理（应于 {limit:%Y-%m-%d} 前受理）"}
    if due_on is None:
        return {"status": "open", "text": "办理中"}
    if finished_on is not None:
        if finished_on <= due_on:
            return {"status": "on_time", "text": f"按时办结（时限 {due_on:%Y-%m-%d}）"}
        late = workdays_between(due_on, finished_on)
        return {"status": "late", "text": f"超期 {late} 个工作日办结（时限 {due_on:%Y-%m-%d}）"}
    if as_of > due_on:
        late = workdays_between(due_on, as_of)
        return {"status": "overdue", "text": f"已超期 {late} 个工作日（时限 {due_on:%Y-%m-%d}）"}
    left = workdays_between(as_of, due_on)
    return {"status": "open", "text": f"办理中，剩余 {left} 个工作日（时限 {due_on:%Y-%m-%d}）"}
