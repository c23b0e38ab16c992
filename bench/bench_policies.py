"""Benchmark: simulate 50 policies over N enterprises (issue 22: 1,000,000 in ≤ 10 s on the 2-core dev machine).

    python bench/bench_policies.py [--n 100000] [--policies 50] [--target 10]

The 50 policies are the 6 shipped examples, cloned with different ids and amounts (so stacking groups,
budgets and every benefit kind are exercised). The panel is synthetic (3 fiscal years per firm, ~5% unknown
cells). Timed: the whole `simulate` call — derived values, the tier rules the policies reference, every
decision with its explanation and snapshot, stacking and budgets. Exits 1 when the target is missed.
Also printed: the CPU seconds of the timed call (all threads; on a shared machine the wall time waits for
others), the load average and the process's peak resident memory. The all-policies `results` frame (one row
per firm and policy: 50 million at 1M firms) is not built: the simulation page reads one policy's at a time.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import os
import resource
import sys
import time

from kechuang.engine.policies import load_policies, simulate
from kechuang.engine.policies.synthetic import panel

AS_OF = dt.date(2025, 6, 30)


def versions(count: int) -> list[dict]:
    shipped = [p.version_on(AS_OF) for p in load_policies().values()]
    out = []
    for i in range(count):
        v = copy.deepcopy(shipped[i % len(shipped)])
        if i >= len(shipped):
            v["id"] = f"{v['id']}_{i}"
            v["version_id"] = f"{v['id']}@{v['effective_from']}"
            benefit = v["benefit"]
            for key in ("amount", "max"):
                if key in benefit:
                    benefit[key] = benefit[key] + i
            if i % 5 == 0:
                v["stacking_group"] = f"group_{i % 3}"
        out.append(v)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--policies", type=int, default=50)
    parser.add_argument("--target", type=float, default=10.0)
    args = parser.parse_args(argv)

    start = time.perf_counter()
    facts = panel(args.n)
    build = time.perf_counter() - start
    policy_versions = versions(args.policies)
    simulate(policy_versions[:2], facts.head(300), AS_OF)  # warm caches (YAML, compiled parameters)

    start, cpu = time.perf_counter(), time.process_time()
    sim = simulate(policy_versions, facts, AS_OF)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    summary = sim.summary()

    rows = sum(part.height for part in sim.parts.values())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB → GiB
    print(
        f"{'firms':>10} {'policies':>9} {'results':>10} {'eligible':>9} {'seconds':>8} {'cpu s':>7} "
        f"{'target':>7} {'peak GiB':>9} {'load':>5}"
    )
    print(
        f"{args.n:>10} {args.policies:>9} {rows:>10} {int(summary['eligible'].sum()):>9} "
        f"{elapsed:>8.2f} {cpu:>7.2f} {args.target:>7.1f} {peak:>9.2f} {os.getloadavg()[0]:>5.1f}"
    )
    print(f"(panel of {facts.height} rows built in {build:.2f} s, not timed)")
    if elapsed > args.target:
        print(f"MISSED: {elapsed:.2f} s > {args.target:.1f} s", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
