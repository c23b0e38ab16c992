"""One-stop services (一站式服务) and one-to-one officials (包联).

- `routing.route`: which office or carrier's service hall takes a firm's request, and why.
- `routing.deadline` / `routing.timeliness`: the deadline in Chinese working days and whether it was kept.
- `visits.visit_status`: firms an official has not visited for N months; `visits.hte_due`: 高企 due to re-apply.

Rule kinds `service_routing` and `official_visits` are registered in `rules`.
"""

from kechuang.engine.onestop.rules import ROUTING_KIND, VISITS_KIND

__all__ = ["ROUTING_KIND", "VISITS_KIND"]
