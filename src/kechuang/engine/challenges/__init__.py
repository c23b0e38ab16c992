"""揭榜挂帅 and 赛马: the decisions of the challenges domain, pure Python + Polars (no Django).

- `rules`: the rule kind (`challenge`) on the rule-data layer; its YAML lives in `rulesets/challenges/`.
- `lifecycle`: stages, the moves between them, and what blocks a move (in Chinese).
- `eligibility`: whether an application may be admitted, condition by condition, with reasons.
- `conflicts`: conflict-of-interest exclusion and the panel draw from the expert pool.
- `scoring`: weighted criteria and the trimmed mean (highest and lowest dropped from five reviewers up).
- `race`: milestone reviews of parallel teams (who continues, who is dropped) and where later tranches go.
- `acceptance`: final acceptance against the published indicators.
- `money`: splitting a payment across the pool's sources, the points subsidy, and the limits a payment must fit.
- `figures`: what the bureau reports.

Every function returns its result with a Chinese explanation; YAML cases in `rulesets/challenges/cases/`.
"""

from kechuang.engine.challenges.rules import KIND, ChallengeRule

__all__ = ["KIND", "ChallengeRule"]
