"""Science-and-technology finance (科技金融): products, the product finder, credit lines, working-day deadlines,
consents, loan figures, the risk-compensation pool and the angel fund's fault tolerance. Pure Python + Polars
(no Django); the rules are documents of the rule-data layer (`rules.py`), the decisions functions with YAML
cases under `rulesets/finance/cases/`.
"""

from kechuang.engine.finance import rules  # noqa: F401  (registers the finance kinds of rule)
