"""Carriers (载体): monthly KPI checks, the monthly ranking, Torch incubator indicators, residents' origin.

- `kpis.check`: anomalies in a carrier's monthly figures (a jump beyond its own history) and figures that
  disagree with the registry (residencies, residents' annual figures).
- `ranking.rank` / `ranking.explain_move`: the monthly ranking from a dated, editable scoring scheme, and why
  a carrier's rank moved.
- `torch.check`: the national incubator conditions (科技企业孵化器管理办法) a carrier's data can decide.
- `residency.origin_of`, `residency.can_move`: a resident's origin as the seeds count it, the stage path.

Rule kinds `carrier_ranking`, `carrier_kpi_checks`, `torch_incubator` are registered in `rules`.
"""

from kechuang.engine.carriers.rules import KPI_KIND, RANKING_KIND, TORCH_KIND

__all__ = ["KPI_KIND", "RANKING_KIND", "TORCH_KIND"]
