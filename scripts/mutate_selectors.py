"""Plant scoping bugs in the selectors, one at a time, and show that the tests catch each (issue 20: 13).

    .venv/bin/python scripts/mutate_selectors.py            # the scope tests (about a minute per mutant)
    .venv/bin/python scripts/mutate_selectors.py --all      # the whole suite without browser tests, per mutant
    .venv/bin/python scripts/mutate_selectors.py --list     # what would be planted
    .venv/bin/python scripts/mutate_selectors.py --only 11 12   # these mutants only

Each mutant is a small source edit that widens what some role sees (the bugs a review or a probe would miss:
any carrier's residents, team links ignored, every firm's submissions, …). The file is restored after each
run, whatever happens. Exit 0 when every mutant was caught ("killed"), 1 when one survived: the tests could
not tell that scope apart. Why not mutmut: it mutates every operator and constant in these files (hundreds of
mutants, most not about scope), each needing the database suite; these hand-written mutants are the scoping
bugs the rules are about, and run in minutes on two cores.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "kechuang"
SCOPE_TESTS = [
    "tests/security/test_scopes.py",
    "tests/registry/test_permissions.py",
    "tests/policies/test_permissions.py",
    "tests/registry/test_audit_log.py",
    "tests/techtransfer/test_registration.py",
    "tests/techtransfer/test_expert_firm_matching.py",
]

# (file, text, replacement, what the bug lets through)
MUTANTS = [
    (
        "enterprises/selectors.py",
        'Residency.objects.filter(enterprise=OuterRef("pk"), carrier__operator_id=user.organisation_id)',
        'Residency.objects.filter(enterprise=OuterRef("pk"))',
        "park operator sees the residents of every carrier",
    ),
    (
        "enterprises/selectors.py",
        "Q(origin_institution=user.organisation.name) | Q(Exists(teams))",
        "Q(origin_institution=user.organisation.name)",
        "institution user: team links ignored",
    ),
    (
        "enterprises/selectors.py",
        "Q(origin_institution=user.organisation.name) | Q(Exists(teams))",
        "Q(Exists(teams))",
        "institution user: origin institution ignored",
    ),
    (
        "enterprises/selectors.py",
        "        return qs.filter(pk=user.enterprise_id)",
        "        return qs",
        "enterprise user sees every firm",
    ),
    (
        "enterprises/selectors.py",
        "        return qs.filter(Q(origin_institution=user.organisation.name) | Q(Exists(teams)))\n"
        "    return qs.none()",
        "        return qs.filter(Q(origin_institution=user.organisation.name) | Q(Exists(teams)))\n    return qs",
        "bank user (and any other role) sees every firm",
    ),
    (
        "enterprises/selectors.py",
        "if not user or not user.is_authenticated or not user.is_active:",
        "if not user or not user.is_authenticated:",
        "a disabled account still sees firms",
    ),
    (
        "enterprises/selectors.py",
        "        return qs.filter(enterprise_id=user.enterprise_id)",
        "        return qs",
        "enterprise user sees every firm's figure submissions",
    ),
    (
        "enterprises/selectors.py",
        "    if not enterprises_for(user).filter(pk=enterprise.pk).exists():\n        raise Http404",
        "    if False:\n        raise Http404",
        "figures of any firm",
    ),
    (
        "policies/selectors.py",
        "        return qs.filter(enterprise__in=enterprises_for(user))\n    return qs.none()\n\n\ndef entitlement_for",
        "        return qs\n    return qs.none()\n\n\ndef entitlement_for",
        "park operator / enterprise user see every entitlement",
    ),
    (
        "policies/selectors.py",
        "    if not user.is_authenticated or not user.is_bureau:\n        return PayoutBatch.objects.none()",
        "    if not user.is_authenticated:\n        return PayoutBatch.objects.none()",
        "anyone signed in sees payout batches",
    ),
    (
        "points/selectors.py",
        "    return done.filter(enterprise__in=enterprises_for(user))",
        "    return done",
        "points results of every firm",
    ),
    (
        "points/selectors.py",
        "qs = Alert.objects.all() if user.is_bureau else Alert.objects.filter(enterprise__in=enterprises_for(user))",
        "qs = Alert.objects.all()",
        "a park operator's alert inbox holds every firm's alerts",
    ),
    (
        "tiers/selectors.py",
        "TierResult.objects.filter(run=run, enterprise__in=enterprises_for(user))",
        "TierResult.objects.filter(run=run)",
        "tier results of every firm",
    ),
    (
        "core/audit_log.py",
        "        return qs.exclude(security)",
        "        return qs",
        "bureau admin reads the security events (三员分立 broken)",
    ),
    (
        "techtransfer/selectors.py",
        "    return qs.filter(institution_id=user.organisation_id)",
        "    return qs",
        "institution user sees every institution's technology contracts",
    ),
    (
        "techtransfer/expertmatching.py",
        "    return qs.filter(profile_shown=True)\n",
        "    return qs\n",
        "a firm sees the experts matched to its need who did not consent to be listed",
    ),
    (
        "techtransfer/supplyapi.py",
        '"reason": m.reason if full else m.ties,',
        '"reason": m.reason,',
        "the institution reads the R&D and contracts of the firms proposed for its achievement",
    ),
]


def run_tests(targets: list[str]) -> bool:
    """True when the tests fail (the mutant is killed)."""
    env = {**os.environ, "KECHUANG_DATA_DIR": tempfile.mkdtemp(prefix="kc-mutant-")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-m", "not browser", *targets],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    return result.returncode != 0


def main() -> int:
    parser = argparse.ArgumentParser(description="在选择器中植入越权缺陷，检验测试能否发现")
    parser.add_argument("--all", action="store_true", help="每个变异体运行全部非浏览器测试（较慢）")
    parser.add_argument("--list", action="store_true", help="只列出变异体")
    parser.add_argument("--only", type=int, nargs="+", metavar="N", help="只植入这些编号的变异体")
    args = parser.parse_args()
    targets = ["tests"] if args.all else SCOPE_TESTS
    survived = []
    for i, (name, text, replacement, what) in enumerate(MUTANTS, start=1):
        if args.only and i not in args.only:
            continue
        path = SRC / name
        original = path.read_text(encoding="utf-8")
        if original.count(text) != 1:
            print(f"[{i}] {name}: 原文未找到或不唯一，无法植入（{what}）", file=sys.stderr)
            return 2
        if args.list:
            print(f"[{i}] {name}: {what}")
            continue
        try:
            path.write_text(original.replace(text, replacement), encoding="utf-8")
            killed = run_tests(targets)
        finally:
            path.write_text(original, encoding="utf-8")
        print(f"[{i}] {'已发现' if killed else '未发现！'} {name}: {what}", flush=True)
        if not killed:
            survived.append(what)
    if args.list:
        return 0
    planted = len(args.only) if args.only else len(MUTANTS)
    print(f"共 {planted} 个变异体，发现 {planted - len(survived)} 个，漏过 {len(survived)} 个。")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
