"""Industry chains (产业链): placing firms on a chain's segments, and the chain's gaps (延链补链).

- `placement.suggest`: which firms belong on which segment, from industry codes and words, each with why.
- `gaps.assess`: each segment's local strength (missing / weak / strong / unknown), how much of the chain
  depends on it, and the gaps ranked by that dependence.
- `links.neighbours`: the segments that supply a segment and those it supplies (the chain leader's view).

Both decisions read dated, editable parameters (rule kinds `chain_placement`, `chain_gaps`, registered here).
"""

from kechuang.engine.chains.rules import GAP_KIND, PLACEMENT_KIND

__all__ = ["GAP_KIND", "PLACEMENT_KIND"]
