"""Innovation points (创新积分): schemes as data, vectorised scoring, rankings, explanations and monitoring
alerts (indicative credit lines are the finance engine's, engine/finance/credit.py). Pure Python + Polars; see
each module's docstring for its policy."""

from kechuang.engine.points.alerts import AlertRules, evaluate_alerts
from kechuang.engine.points.explain import explain_changes, explain_firm, indicator_percentiles
from kechuang.engine.points.registry import get_scheme, load_schemes, new_version
from kechuang.engine.points.scheme import (
    Scheme,
    SchemeError,
    load_scheme_file,
    scheme_from_dict,
    select_version,
)
from kechuang.engine.points.score import score_frame, score_points

__all__ = [
    "AlertRules",
    "Scheme",
    "SchemeError",
    "evaluate_alerts",
    "explain_changes",
    "explain_firm",
    "get_scheme",
    "indicator_percentiles",
    "load_scheme_file",
    "load_schemes",
    "new_version",
    "scheme_from_dict",
    "score_frame",
    "score_points",
    "select_version",
]
