"""The finance rule the points run reads for each firm's indicative credit line.

Policy: the indicative credit line is a finance product rule (the bureau names which one in the finance programme
rule `indicative_credit_rule`); the points app only asks for it on the run's date. (Schemes and alert rules are
kinds of the rule-data layer: `points.schemes`, `points.selectors.alert_rules`; the guarantee-fee waiver is a
policy in the policy library.)
"""

from __future__ import annotations

import datetime as dt


def credit_product(as_of: dt.date):
    """The product rule the bureau chose for the indicative credit line (finance programme rule
    `indicative_credit_rule`), with its terms, the LPR and the lifecycle table in force on `as_of`; None when
    no such rule was in force then (a run from before the programme has no indicative credit line)."""
    from kechuang.engine.ruledata import RuleDataError
    from kechuang.finance import loaders

    try:
        programme = loaders.programme(as_of)
        return (
            loaders.rule_terms(programme["indicative_credit_rule"], as_of),
            loaders.lpr(as_of),
            programme["lifecycle"],
        )
    except RuleDataError:
        return None
