"""Policies as rules: dated policy versions, eligibility over facts and tiers, exact benefits, simulation.

Public API (pure Python + Polars, no Django):

- `load_policies(dir=None) -> {id: Policy}`, `load_policy_file(path)`: policy files read through the rule-data
  layer (kind `policies`, one `PolicyDoc` per version); `Policy.version_on(as_of)` gives the self-contained
  **version dict** in force; `validate_version(dict) -> PolicyVersion` (Chinese `PolicyError`) is the engine's
  deeper check, which `PolicyDoc`'s validator runs.
- `evaluate_policy(version, panel, as_of, tiers=None, payouts=None)`: one result row per enterprise.
- `decide(version, inputs, as_of)`: the pure core; `replay(version_dict, snapshots, as_of)` re-decides from
  stored snapshots.
- `simulate(versions, panel, as_of, ...) -> Simulation` (summary, distribution, near_misses);
  `compare(a, b, ...)` puts two versions side by side.
- `stack(results)`, `allocate(results, budget, year)`: stacking (从优、就高、不重复) and budget allocation.

Money: amounts are whole 元 (`*_yuan`, Int64) inside and Decimal 万元 (`amount`, scale 4) outside
(see money.py).
"""

from kechuang.engine.policies.document import POLICIES, Policy, PolicyDoc, load_policies, load_policy_file
from kechuang.engine.policies.evaluate import decide, evaluate_policy, prepare_inputs, replay, snapshots_json
from kechuang.engine.policies.funding import allocate, stack, stack_parts
from kechuang.engine.policies.model import PolicyError, PolicyVersion, resolve_versions, validate_version
from kechuang.engine.policies.simulate import Simulation, compare, distribution, near_misses, simulate

__all__ = [
    "POLICIES",
    "Policy",
    "PolicyDoc",
    "PolicyError",
    "PolicyVersion",
    "Simulation",
    "allocate",
    "compare",
    "decide",
    "distribution",
    "evaluate_policy",
    "load_policies",
    "load_policy_file",
    "near_misses",
    "prepare_inputs",
    "replay",
    "resolve_versions",
    "simulate",
    "snapshots_json",
    "stack",
    "stack_parts",
    "validate_version",
]
