"""Synthetic demo region: ~8000 firms with 3–5 years of figures, a valley, carriers, chains and users.

Policy:
- Deterministic by seed: one ``numpy.random.Generator`` draws everything in a fixed order; no set or
  dict iteration decides an order; the facts frame is sorted by (uscc, year). Same seed → same frame.
- Names, codes and figures are synthetic but valid: USCC check digits (GB 32100-2015), GB/T 2260 region
  codes and GB/T 4754-2017 class codes from ``kechuang.reference``.
- Tiers are never assigned: the facts hold figures and qualifications (e.g. a 高企 certificate, which is
  data), and the tiers engine computes tiers from them.
- The model lives in ``figures.py``; the place, people and code lists live in ``data/*.yaml``.
- Vectorised: numpy over firms × years, then one Polars frame; 8000 firms take well under a second.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from statistics import NormalDist

import numpy as np
import polars as pl
import yaml

from kechuang.engine import facts as F

from . import figures
from .identity import firm_names, person_names, unique_bodies, uscc_codes

DATA = Path(__file__).resolve().parent / "data"
DEFAULT_YEARS = (2021, 2022, 2023, 2024, 2025)
REFERENCE_N = 8000  # carrier sizes in region.yaml are for this many firms

# Share of empty cells per column ("unknown" must show up in the demo). Fields a tier needs are rarely
# empty; optional statistics more often.
MISSING_RATES = {
    "staff_total": 0.003,
    "tech_staff": 0.004,
    "revenue": 0.003,
    "rd_expense": 0.004,
    "total_cost_expense": 0.004,
    "total_assets": 0.003,
    "utility_models": 0.003,
    "main_revenue": 0.01,
    "hightech_revenue": 0.012,
    "rd_expense_domestic": 0.01,
    "net_profit": 0.01,
    "total_liabilities": 0.01,
    "conversions": 0.01,
    "rd_staff": 0.02,
    "software_copyrights": 0.003,
    "postgrad_staff": 0.06,
    "new_graduates": 0.08,
    "rd_tax_relief": 0.07,
    "tech_contract_amount": 0.05,
    "equity_financing": 0.04,
    "invention_applications": 0.05,
    "pct_applications": 0.08,
    "new_platforms_provincial": 0.05,
    "awards_provincial": 0.05,
    "digitalization_level": 0.12,
    "quality_certified": 0.06,
    "own_brand": 0.06,
    "strategic_emerging": 0.03,
    "paid_in_capital": 0.02,
    "abnormal_listed": 0.005,
    "major_accident": 0.004,
    "env_violation": 0.004,
    "research_misconduct": 0.004,
    "dishonest_listed": 0.004,
}
# Empty cells of the facts the corrected and 2026 rules read (drawn from their own generator, so adding them
# changed none of the figures above).
RULE_FACT_MISSING_RATES = {
    "restricted_products": 0.003,
    "data_security_incident": 0.004,
    "tax_evasion": 0.004,
    "core_business_it_system": 0.04,
    "management_certified": 0.04,
    "product_intl_certified": 0.04,
    "quality_award": 0.03,
    "standard_drafted": 0.03,
    "chain_key_link": 0.04,
    "key_field_product": 0.04,
    "niche_top3": 0.03,
    "niche_leading": 0.03,
    "class1_ip_applied": 0.02,
    "rd_institution_own": 0.03,
    "maker_china_3y": 0.02,
    "tech_sme_registered": 0.01,
    "hightech_firm": 0.03,
    "private_equity_raised": 0.02,
    "total_income": 0.02,
    "nontaxable_income": 0.03,
    "hte_annual_report_filed": 0.01,
}
MONEY_COLUMNS = tuple(c.name for c in F.COLUMNS if c.kind == F.MONEY)


@dataclass
class DemoRegion:
    """The generated region. Plain data: the Django side loads it into its tables.

    - ``facts``: the facts panel (``facts.polars_schema()``), one row per firm per year, sorted by uscc, year.
    - ``institutions``: dicts ``{key, name, kind, in_province, city, region_code}``.
    - ``organisations``: the bureau, the valley operator and banks: ``{key, name, kind, region_code}``.
    - ``carriers``: dicts ``{key, name, kind, region_code, opened_on, operator, residents, teams}``;
      ``residents`` is a list of ``{uscc, moved_in}``, ``teams`` a list of ``{name, institution, leader,
      moved_in}`` (empty except for the valley).
    - ``valley``: the 晋创谷·太原 carrier (the same dict as in ``carriers``).
    - ``chains``: ``{key, name, classes, leader, cores, members}`` with usccs.
    - ``users``: one per role: ``{username, display_name, role, organisation, enterprise_uscc,
      institution, password}``.
    """

    facts: pl.DataFrame
    institutions: list[dict]
    organisations: list[dict]
    carriers: list[dict]
    valley: dict
    chains: list[dict]
    users: list[dict]
    seed: int
    years: tuple[int, ...]
    as_of: dt.date = field(default=dt.date(2026, 6, 30))

    def enterprises(self) -> pl.DataFrame:
        """One row per firm: its latest year's row (static attributes of the latest year win)."""
        return self.facts.sort(["uscc", "year"]).group_by("uscc", maintain_order=True).last()

    def chain_roles(self) -> pl.DataFrame:
        """(uscc, chain, role) with role ``chain_leader``, ``chain_core`` or ``member``."""
        rows = []
        for chain in self.chains:
            rows.append((chain["leader"], chain["key"], "chain_leader"))
            rows += [(u, chain["key"], "chain_core") for u in chain["cores"]]
            rows += [(u, chain["key"], "member") for u in chain["members"]]
        return pl.DataFrame(rows, schema=["uscc", "chain", "role"], orient="row")


@lru_cache(maxsize=1)
def _config() -> dict:
    return {
        name: yaml.safe_load((DATA / f"{name}.yaml").read_text(encoding="utf-8"))
        for name in ("industries", "names", "region")
    }


def generate(n_enterprises: int = 8000, seed: int = 2024, years: tuple = DEFAULT_YEARS) -> DemoRegion:
    """Generate the demo region. Deterministic: the same arguments give identical data."""
    if n_enterprises < 10:
        raise ValueError("n_enterprises must be at least 10")
    years = tuple(sorted(int(y) for y in years))
    cfg = _config()
    rng = np.random.default_rng(seed)
    extra = np.random.default_rng([seed, 15])  # the rule facts of issue 15: their own stream
    n, Y = n_enterprises, len(years)
    region_cfg = cfg["region"]
    scale = min(1.0, n / REFERENCE_N)
    n_valley = max(1, round(region_cfg["valley"]["residents"] * scale))

    firms = _draw_firms(rng, cfg, n, years, n_valley)
    panel = figures.annual_panel(rng, firms, Y)
    columns = _assemble(rng, cfg, firms, panel, years)
    not_applicable = _rule_facts(extra, firms, columns, years)
    columns.update(_declared(firms, columns, years))
    frame = _to_frame(rng, columns, firms, years, extra, not_applicable)

    institutions = [dict(i) for i in region_cfg["institutions"]]
    organisations = [dict(region_cfg["bureau"]), dict(region_cfg["operator"])] + [dict(b) for b in region_cfg["banks"]]
    carriers = _carriers(rng, cfg, firms, scale)
    chains = _chains(rng, cfg, firms)
    users = _users(cfg, carriers[0])
    return DemoRegion(
        facts=frame,
        institutions=institutions,
        organisations=organisations,
        carriers=carriers,
        valley=carriers[0],
        chains=chains,
        users=users,
        seed=seed,
        years=years,
    )


def generate_password_hint() -> str:
    """The demo users' shared password (a published demo credential from data/region.yaml)."""
    return _config()["region"]["password"]


# --------------------------------------------------------------------------------------------------
# Firms: static attributes
# --------------------------------------------------------------------------------------------------


def _draw_firms(rng, cfg, n, years, n_valley) -> dict:
    fams = cfg["industries"]["families"]
    fam_keys = list(fams)
    Y = len(years)
    valley = np.zeros(n, dtype=bool)
    valley[rng.choice(n, n_valley, replace=False)] = True

    # Industry family, then class within the family. Valley firms are tech firms.
    weights = np.array([fams[f]["weight"] for f in fam_keys], dtype=float)
    tech_family = np.array([fams[f]["field"] is not None for f in fam_keys])
    fam = rng.choice(len(fam_keys), n, p=weights / weights.sum())
    vw = np.where(tech_family, weights, 0.0)
    fam[valley] = rng.choice(len(fam_keys), int(valley.sum()), p=vw / vw.sum())
    industry = np.empty(n, dtype="U4")
    for i, key in enumerate(fam_keys):
        sel = np.flatnonzero(fam == i)
        codes = list(fams[key]["classes"])
        w = np.array([fams[key]["classes"][c] for c in codes], dtype=float)
        industry[sel] = np.array(codes)[rng.choice(len(codes), len(sel), p=w / w.sum())]

    # Latent innovativeness: family propensity (as a normal quantile, so that share `tech` of the family
    # has s > 0) + firm noise; valley teams lean tech.
    quantile = np.array([NormalDist().inv_cdf(min(max(fams[f]["tech"], 0.01), 0.99)) for f in fam_keys])[fam]
    s = quantile + rng.standard_normal(n) + 0.8 * valley + figures.LATENT_SHIFT

    # Years of figures: most firms have all years; young ones 3 or 4 (valley firms are mostly young).
    max_k = Y
    min_k = min(3, Y)
    k = np.full(n, max_k)
    u = rng.random(n)
    if max_k > min_k:
        k = np.where(u < np.where(valley, 0.5, 0.1), min_k, k)
        k = np.where((u >= np.where(valley, 0.5, 0.1)) & (u < np.where(valley, 0.75, 0.2)), min_k + 1, k)
        k = np.minimum(k, max_k)

    # Registration: young firms in their first year of figures (Jan–Sep); the others earlier.
    first_year = np.array(years)[Y - k]
    old_year = years[0] - np.minimum(np.floor(rng.exponential(6.0, n)), 30).astype(int)
    old_year = np.where(valley, years[0] - rng.integers(0, 6, n), old_year)
    reg_year = np.where(k < max_k, first_year, old_year)
    reg_day = rng.integers(0, 273, n)
    registered_on = (reg_year - 1970).astype("datetime64[Y]").astype("datetime64[D]") + reg_day

    region_rows = cfg["region"]["regions"]
    rw = np.array([r["weight"] for r in region_rows], dtype=float)
    ridx = rng.choice(len(region_rows), n, p=rw / rw.sum())
    # Valley firms register where the valley is.
    valley_code = cfg["region"]["valley"]["region_code"]
    ridx[valley] = next(i for i, r in enumerate(region_rows) if r["code"] == valley_code)
    region_code = np.array([r["code"] for r in region_rows])[ridx]
    prefix = np.array([r["prefix"] for r in region_rows])[ridx]
    prefix = np.where(rng.random(n) < cfg["region"]["province_prefix_share"], cfg["region"]["province_prefix"], prefix)

    words = np.empty(n, dtype=object)
    for i, key in enumerate(fam_keys):
        sel = np.flatnonzero(fam == i)
        ws = np.array(fams[key]["words"])
        words[sel] = ws[rng.integers(0, len(ws), len(sel))]
        # Some classes have their own business word (a restaurant is not a 商贸 firm).
        for code, word in (fams[key].get("class_words") or {}).items():
            words[sel[industry[sel] == code]] = word
    names = firm_names(rng, prefix, words.astype(str), cfg["names"])
    uscc = uscc_codes(region_code, unique_bodies(rng, n))

    division = industry.astype("U2").astype(int)
    field_of = np.array([fams[f]["field"] or "" for f in fam_keys], dtype=object)[fam]
    has_field = (field_of != "") & (s > -0.4)
    return {
        "n": n,
        "uscc": uscc,
        "name": names,
        "region_code": region_code,
        "industry": industry,
        "family": np.array(fam_keys)[fam],
        "s": s,
        "k": k,
        "valley": valley,
        "reg_year": reg_year,
        "registered_on": registered_on,
        "has_field": has_field,
        "field": np.where(has_field, field_of, ""),
        "rd_mult": np.array([fams[f]["rd"] for f in fam_keys])[fam],
        "scale": np.array([fams[f]["scale"] for f in fam_keys])[fam],
        # Manufacturing = GB/T 4754 section C, divisions 13–43.
        "manufacturing": (division >= 13) & (division <= 43),
        "software": np.isin(np.array(fam_keys)[fam], ["software"]),
    }


# --------------------------------------------------------------------------------------------------
# Columns: annual panel + static attributes + qualifications + compliance
# --------------------------------------------------------------------------------------------------


def _date(year: np.ndarray, day: np.ndarray) -> np.ndarray:
    return (np.asarray(year) - 1970).astype("datetime64[Y]").astype("datetime64[D]") + np.asarray(day)


def _assemble(rng, cfg, firms, panel, years) -> dict[str, np.ndarray]:
    n, Y = firms["n"], len(years)
    s, valley = firms["s"], firms["valley"]
    year_grid = np.broadcast_to(np.array(years)[None, :], (n, Y))
    cols = dict(panel)

    # Ⅰ类 IP by type: most are invention patents; drugs, plant varieties and IC layouts where they fit.
    class1 = cols.pop("class1")
    ind = firms["industry"]
    drug = np.isin(ind, ["2710", "2720", "2761", "2762", "7340"])
    p_drug = np.where(drug, 0.08, 0.0)[:, None]
    p_tcm = np.where(ind == "2740", 0.10, 0.0)[:, None]
    p_plant = np.where(np.isin(ind, ["0511", "7330", "2625"]), 0.35, 0.0)[:, None]
    p_ic = np.where(np.isin(ind, ["3972", "3973", "6520", "3976"]), 0.30, 0.0)[:, None]
    # Stable split per firm (fractions of the stock), so every type's stock is non-decreasing too.
    new_drugs = np.floor(class1 * p_drug).astype(np.int64)
    tcm = np.floor(class1 * p_tcm).astype(np.int64)
    plant = np.floor(class1 * p_plant).astype(np.int64)
    ic = np.floor(class1 * p_ic).astype(np.int64)
    cols.update(
        invention_patents=class1 - new_drugs - tcm - plant - ic,
        new_drugs=new_drugs,
        tcm_protected=tcm,
        plant_varieties=plant,
        ic_layouts=ic,
    )
    self_share = np.where(rng.random(n) < 0.8, 1.0, rng.uniform(0.3, 0.9, n))[:, None]
    cols["class1_self_developed"] = np.floor(class1 * self_share + 1e-9).astype(np.int64)
    cols["class1_high_value"] = np.floor(cols["class1_self_developed"] * rng.uniform(0.0, 0.6, n)[:, None]).astype(
        np.int64
    )

    # 高企 certificate (data, not a tier): firms whose figures plausibly carried an application hold one.
    rev, rd = cols["revenue"], cols["rd_expense"]
    last3 = cols["back"] < 3
    rd3 = np.where(last3, rd, 0).sum(1) / np.maximum(np.where(last3, rev, 0).sum(1), 1e-9)
    rev_last = firms["rev_last"] = rev[:, -1]
    rd_need = np.where(rev_last <= 5000, 0.05, np.where(rev_last <= 20000, 0.04, 0.03))
    ip_any = (class1[:, -1] + cols["utility_models"][:, -1] + cols["software_copyrights"][:, -1]) > 0
    tech_share = cols["tech_staff"][:, -1] / np.maximum(cols["staff_total"][:, -1], 1)
    ht_share = cols["hightech_revenue"][:, -1] / np.maximum(rev_last, 1e-9)
    conv3 = np.where(last3, cols["conversions"], 0).sum(1) / np.maximum(last3.sum(1), 1)
    plausible = (
        firms["has_field"]
        & ip_any
        & (tech_share >= 0.1)
        & (rd3 >= rd_need)
        & (ht_share >= 0.6)
        & (conv3 >= 2.0)
        & (firms["reg_year"] <= years[-1] - 1)
    )
    holds = np.where(plausible, rng.random(n) < 0.80, firms["has_field"] & (rng.random(n) < 0.03))
    holds &= firms["reg_year"] < years[-1]
    first_cert = np.maximum(firms["reg_year"] + 1, years[-1] - rng.integers(0, 12, n))
    first_cert = np.minimum(first_cert, years[-1])
    cert_day = rng.integers(273, 350, n)  # certificates are issued in the autumn
    cycles = np.floor_divide(year_grid - first_cert[:, None], 3)
    cert_year = first_cert[:, None] + 3 * cycles
    certified = holds[:, None] & (year_grid >= first_cert[:, None])
    cols["hte_certified"] = certified
    cols["hte_certified_on"] = np.where(certified, _date(cert_year, cert_day[:, None]), np.datetime64("NaT"))

    big = rev_last > 5000
    level = np.where(
        (s > 1.6) & big & (rng.random(n) < 0.25),
        3,
        np.where((s > 1.0) & (rng.random(n) < 0.05 + 0.1 * big), 2, np.where((s > 0.3) & (rng.random(n) < 0.10), 1, 0)),
    )
    cols["rd_institution_level"] = np.broadcast_to(
        np.array(F.RD_INSTITUTION_LEVELS, dtype=object)[level][:, None], (n, Y)
    )
    cols["national_award_5y_top3"] = np.broadcast_to(((s > 1.5) & big & (rng.random(n) < 0.03))[:, None], (n, Y))
    cols["provincial_award_3y"] = (cols["awards_provincial"] > 0) | ((s > 0.8)[:, None] & (rng.random((n, Y)) < 0.03))
    cols["led_standard_5y"] = np.broadcast_to(((s > 0.8) & (rng.random(n) < 0.04 + 0.1 * big))[:, None], (n, Y))
    cols["digitalization_level"] = np.clip(np.round(2.0 + 0.6 * s + rng.normal(0, 0.7, n)), 1, 4).astype(np.int64)[
        :, None
    ] * np.ones((1, Y), dtype=np.int64)
    cols["quality_certified"] = np.broadcast_to(
        (rng.random(n) < np.where(firms["manufacturing"], 0.6, 0.3))[:, None], (n, Y)
    )
    cols["own_brand"] = np.broadcast_to((rng.random(n) < 0.55)[:, None], (n, Y))
    niche = (s > 0.2) & (rng.random(n) < 0.6)
    share = np.where(niche, rng.beta(1.2, 10.0, n), np.nan)
    cols["niche_market_share"] = np.broadcast_to(np.round(share, 4)[:, None], (n, Y))

    # Valley move-in dates (the valley opened 2023-12); relocated valley firms reuse them in _static.
    moved_in = firms["valley_moved_in"] = _date(
        np.full(n, 2023), rng.integers(334, 365 + 366 + 365, n)
    )  # 2023-12-01 … 2025-12-31
    year_end = _date(year_grid, 364)
    cols["valley_resident"] = valley[:, None] & (moved_in[:, None] <= year_end)
    cols["procurement_amount"] = np.where(
        cols["valley_resident"] & (year_grid >= 2024) & (rng.random((n, Y)) < 0.06),
        np.exp(rng.normal(np.log(300), 0.8, (n, Y))),
        0.0,
    )

    # Compliance: rare events; polluting industries see more environmental violations.
    env_p = np.where(np.isin(firms["family"], ["traditional", "materials"]), 0.008, 0.002)[:, None]
    cols["major_accident"] = rng.random((n, Y)) < 0.002
    cols["env_violation"] = rng.random((n, Y)) < env_p
    cols["research_misconduct"] = rng.random((n, Y)) < 0.0005
    cols["abnormal_listed"] = rng.random((n, Y)) < 0.008
    cols["dishonest_listed"] = rng.random((n, Y)) < 0.002
    cols.pop("back")
    _static(rng, cfg, firms, cols, years)
    return cols


def _grants(rng, holds: np.ndarray, first: np.ndarray, year_grid: np.ndarray, days: tuple[int, int]):
    """Dates of a 3-year title on each row: granted in `first`, renewed every 3 years while held (like a 高企
    certificate); NaT before the first grant and for firms that never hold it."""
    day = rng.integers(days[0], days[1], len(first))
    cycles = np.floor_divide(year_grid - first[:, None], 3)
    granted = holds[:, None] & (year_grid >= first[:, None])
    return np.where(granted, _date(first[:, None] + 3 * cycles, day[:, None]), np.datetime64("NaT"))


def _declared(firms, cols, years) -> dict[str, np.ndarray]:
    """What firms declare to claim a refund (facts.DECLARED), drawn from no random stream so the other data stay
    as they were: the valley's start-ups (3 years or younger that year) declare the rent they paid, about 3 % of
    revenue (2–60万); nobody declares loan interest (the finance app's loan records carry it)."""
    n, Y = firms["n"], len(years)
    age = np.array(years)[None, :] - firms["reg_year"][:, None]
    startup = firms["valley"][:, None] & (age >= 0) & (age <= 3)
    rent = np.clip(np.round(np.nan_to_num(cols["revenue"]) * 0.03, 4), 2.0, 60.0)
    return {"rent_paid": np.where(startup, rent, np.nan), "loan_interest_paid": np.full((n, Y), np.nan)}


def _rule_facts(rng, firms, cols, years) -> dict[str, np.ndarray]:
    """Facts the corrected 2022 and the 2026 rules read (issue 15): income for 高企's 总收入, the compliance events
    of the 梯度 standards, 高企 annual reports, registrations and titles (data, like a 高企 certificate: tiers
    are still computed), and the qualitative items of 专精特新/小巨人. Returns the cells that do not apply (a
    report of a year without a certificate) as masks, stored empty."""
    n, Y = firms["n"], len(years)
    s, man, soft = firms["s"], firms["manufacturing"], firms["software"]
    grid = np.broadcast_to(np.array(years)[None, :], (n, Y))
    rev, staff = cols["revenue"], cols["staff_total"]
    per_firm = lambda p: np.broadcast_to((rng.random(n) < p)[:, None], (n, Y))  # noqa: E731

    other = rev * rng.uniform(0.0, 0.04, n)[:, None]  # investment income, subsidies, other income
    cols["total_income"] = rev + other
    cols["nontaxable_income"] = np.where((rng.random(n) < 0.15)[:, None], other * rng.uniform(0, 0.5, n)[:, None], 0.0)
    cols["data_security_incident"] = rng.random((n, Y)) < 0.001
    cols["tax_evasion"] = rng.random((n, Y)) < 0.002
    cols["restricted_products"] = per_firm(0.004)

    certified = cols["hte_certified"]
    cols["hte_annual_report_filed"] = rng.random((n, Y)) >= 0.03
    rd_ratio = cols["rd_expense"] / np.maximum(rev, 1e-9)
    tech_share = cols["tech_staff"] / np.maximum(staff, 1)
    plausible = (tech_share >= 0.1) & ((rd_ratio >= 0.03) | certified) & (staff <= 500) & (rev <= 20000)
    cols["tech_sme_registered"] = np.where(plausible, rng.random((n, Y)) < 0.85, rng.random((n, Y)) < 0.02)

    share = cols["niche_market_share"][:, -1]
    niche = ~np.isnan(share)
    rev_last, rd_last = rev[:, -1], cols["rd_expense"][:, -1]
    first = years[-1] - rng.integers(0, 4, n)
    innovative = (s > 0.0) & (rd_ratio[:, -1] >= 0.02) & (staff[:, -1] < 1000) & (rng.random(n) < 0.5)
    cols["innovative_sme_on"] = _grants(rng, innovative, np.maximum(first, 2022), grid, (240, 350))
    specialized = niche & (rd_last >= 100) & (rev_last >= 1000) & (rng.random(n) < 0.45)
    spec_first = np.maximum(years[-1] - rng.integers(0, 4, n), 2022)
    cols["specialized_sme_on"] = _grants(rng, specialized, spec_first, grid, (240, 350))
    # 小巨人 are picked among 专精特新 whose figures carry the 2022 standard's R&D and Ⅰ类 IP requirements.
    class1 = sum(cols[c] for c in ("invention_patents", "new_drugs", "tcm_protected", "plant_varieties", "ic_layouts"))
    rd_need = np.where(rev_last >= 10000, 0.03, 0.06)
    rd_ok = (rd_ratio[:, -1] >= rd_need) & (rd_ratio[:, -2] >= rd_need) if Y > 1 else rd_ratio[:, -1] >= rd_need
    giant = specialized & (rev_last >= 5000) & (share >= 0.08) & (class1[:, -1] >= 2) & rd_ok & (rng.random(n) < 0.6)
    giant_first = np.minimum(spec_first + 1 + rng.integers(0, 2, n), years[-1])
    cols["little_giant_on"] = _grants(rng, giant, giant_first, grid, (150, 240))
    strong = np.broadcast_to((giant & (rng.random(n) < 0.85))[:, None], (n, Y))  # their qualitative items hold
    # A recognised 小巨人 looks like one: focused (main business ≥ 92%), own Ⅰ类 IP (at least 5 invention
    # patents, all self-developed), long in its niche, moderately leveraged.
    g = giant[:, None]
    cols["main_revenue"] = np.where(g, np.maximum(cols["main_revenue"], rev * 0.92), cols["main_revenue"])
    cols["invention_patents"] = np.where(g, np.maximum(cols["invention_patents"], 5), cols["invention_patents"])
    class1 = sum(cols[c] for c in ("invention_patents", "new_drugs", "tcm_protected", "plant_varieties", "ic_layouts"))
    cols["class1_self_developed"] = np.where(g, class1, cols["class1_self_developed"])
    cols["total_liabilities"] = np.where(
        g, np.minimum(cols["total_liabilities"], cols["total_assets"] * 0.6), cols["total_liabilities"]
    )
    early = np.maximum(firms["registered_on"], np.datetime64("2017-01-01"))
    firms["niche_since"] = np.where(giant, np.minimum(firms["niche_since"], early), firms["niche_since"])

    level = cols["rd_institution_level"][:, -1]
    cols["rd_institution_own"] = strong | np.broadcast_to(
        ((level != "none") | ((s > 0.3) & (rng.random(n) < 0.35)))[:, None], (n, Y)
    )
    digital = cols["digitalization_level"][:, -1]
    cols["core_business_it_system"] = (
        strong | per_firm(0.2) | np.broadcast_to(((digital >= 2) & (rng.random(n) < 0.85))[:, None], (n, Y))
    )
    cols["management_certified"] = strong | np.broadcast_to((rng.random(n) < np.where(man, 0.35, 0.2))[:, None], (n, Y))
    cols["own_brand"] = cols["own_brand"] | strong
    cols["product_intl_certified"] = np.broadcast_to((man & (s > 0.8) & (rng.random(n) < 0.3))[:, None], (n, Y))
    cols["quality_award"] = np.broadcast_to(((s > 1.0) & (rng.random(n) < 0.08))[:, None], (n, Y))
    cols["standard_drafted"] = cols["led_standard_5y"] | np.broadcast_to(
        ((s > 0.5) & (rng.random(n) < 0.12))[:, None], (n, Y)
    )
    cols["chain_key_link"] = strong | np.broadcast_to(((s > 0.8) & (rng.random(n) < 0.35))[:, None], (n, Y))
    cols["key_field_product"] = strong | np.broadcast_to(
        (((man & (s > 0.4)) & (rng.random(n) < 0.5)) | ((soft & (s > 0.8)) & (rng.random(n) < 0.3)))[:, None], (n, Y)
    )
    top3 = niche & (share >= 0.1) & (rng.random(n) < 0.5) | (giant & (share >= 0.08))
    cols["niche_top3"] = np.broadcast_to(top3[:, None], (n, Y))
    cols["niche_leading"] = np.broadcast_to((top3 | (niche & (share >= 0.05)))[:, None], (n, Y))
    dev = np.clip(np.round(38 + 14 * s + 12 * giant + rng.normal(0, 8, n), 1), 0, 100)
    cols["sme_dev_score"] = np.where(niche[:, None], dev[:, None] + rng.normal(0, 2, (n, Y)).round(1), np.nan)
    cols["sme_dev_score"] = np.clip(np.round(cols["sme_dev_score"], 2), 0, 100)
    applied = np.where(giant, 1.0, rng.uniform(0.4, 1.0, n))[:, None]
    cols["class1_ip_applied"] = np.floor(class1 * applied + 1e-9).astype(np.int64)

    provincial_top3 = cols["provincial_award_3y"] & (rng.random((n, Y)) < 0.4)
    cols["award_3y_provincial_top3"] = provincial_top3
    national = cols["national_award_5y_top3"] & per_firm(0.6)
    cols["award_3y_national_top5"] = national
    cols["award_3y_national_top3"] = national & per_firm(0.7)
    maker = np.where((s > 1.0) & (rng.random(n) < 0.02), np.where(rng.random(n) < 0.15, "top50", "top500"), "none")
    cols["maker_china_3y"] = np.broadcast_to(maker.astype(object)[:, None], (n, Y))
    cols["innovation_title_other"] = np.broadcast_to(((s > 0.8) & (rng.random(n) < 0.04))[:, None], (n, Y))
    cols["hightech_firm"] = certified | np.broadcast_to(((s > 1.0) & (rng.random(n) < 0.5))[:, None], (n, Y))
    raised = np.cumsum(cols["equity_financing"], axis=1) > 0
    cols["private_equity_raised"] = raised | per_firm(0.02)
    young = firms["valley"] & (firms["reg_year"] >= years[-1] - 4) & (rng.random(n) < 0.1)
    cols["pre_a_investment"] = np.broadcast_to(
        np.where(young, np.exp(rng.normal(np.log(3000), 0.8, n)), 0.0)[:, None], (n, Y)
    )
    amount = cols["procurement_amount"]
    cols["procurement_sales"] = np.where(amount > 0, amount * rng.uniform(0.2, 1.0, (n, Y)), 0.0)
    return {"hte_annual_report_filed": ~certified}


def _static(rng, cfg, firms, cols, years) -> None:
    """Identity and static attributes (stored in ``firms``; repeated on every row when flattened)."""
    n = firms["n"]
    valley = firms["valley"]
    rev_last = cols["revenue"][:, -1]
    assets_last = cols["total_assets"][:, -1]
    firms["paid_in_capital"] = np.round(np.maximum(assets_last * rng.uniform(0.15, 0.6, n), 10.0), 4)
    firms["strategic_emerging"] = firms["has_field"] & (rng.random(n) < 0.7)
    niche = ~np.isnan(cols["niche_market_share"][:, -1])
    niche_year = np.minimum(firms["reg_year"] + rng.integers(0, 4, n), years[-1] - 1)
    firms["niche_since"] = np.where(niche, _date(niche_year, rng.integers(0, 365, n)), np.datetime64("NaT"))
    top = rev_last >= np.quantile(rev_last, 0.997)
    firms["listed"] = top & (rng.random(n) < 0.6)
    raised = cols["equity_financing"].sum(1)
    firms["valuation"] = np.where(raised > 0, np.round(raised * rng.uniform(4, 12, n), 4), np.nan)

    # Origin: valley firms by the valley's shares; other firms mostly local start-ups.
    inst = cfg["region"]["institutions"]
    local_inst = [i["name"] for i in inst if i["in_province"] and i["kind"] == "university"]
    institute = [i["name"] for i in inst if i["in_province"] and i["kind"] == "research_institute"]
    external_inst = [i["name"] for i in inst if not i["in_province"]]
    vshares = cfg["region"]["valley"]["origin_shares"]
    general = {
        "local_startup": 0.70,
        "other": 0.13,
        "relocated": 0.08,
        "local_institution_team": 0.05,
        "research_institute": 0.015,
        "external_institution_team": 0.025,
    }
    origin = _pick(rng, list(general), list(general.values()), n)
    # Valley origins follow the shares exactly (quotas), as the valley reports them.
    origin[valley] = _quota(rng, list(vshares), list(vshares.values()), int(valley.sum()))
    institution = np.full(n, None, dtype=object)
    local = origin == "local_institution_team"
    # Teams of the in-province research institute count as in-province institution teams.
    li = _pick(rng, local_inst + institute, [1.0] * len(local_inst) + [1.5] * len(institute), n)
    institution[local] = li[local]
    origin[local & np.isin(li, institute)] = "research_institute"
    ri = origin == "research_institute"
    institution[ri & (institution == None)] = institute[0]  # noqa: E711
    ext = origin == "external_institution_team"
    institution[ext] = _pick(rng, external_inst, [1.0] * len(external_inst), n)[ext]
    firms["origin"] = origin
    firms["origin_institution"] = institution
    relocated = origin == "relocated"
    reloc_date = np.where(
        valley,
        firms["valley_moved_in"],
        _date(np.maximum(firms["reg_year"], years[-1] - rng.integers(0, 10, n)), rng.integers(0, 365, n)),
    )
    firms["relocated_on"] = np.where(relocated, reloc_date, np.datetime64("NaT"))


def _quota(rng, values: list, shares: list, n: int) -> np.ndarray:
    """Exactly round(share·n) of each value (largest remainders), in random order."""
    want = np.asarray(shares, dtype=float) / np.sum(shares) * n
    counts = np.floor(want).astype(int)
    for i in np.argsort(-(want - counts), kind="stable")[: n - counts.sum()]:
        counts[i] += 1
    labels = np.repeat(np.array(values, dtype=object), counts)
    return labels[rng.permutation(n)]


def _pick(rng, values: list, weights: list, n: int) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return np.array(values, dtype=object)[rng.choice(len(values), n, p=w / w.sum())]


# --------------------------------------------------------------------------------------------------
# Frame
# --------------------------------------------------------------------------------------------------

STATIC_FROM_FIRMS = {
    "uscc": "uscc",
    "name": "name",
    "region_code": "region_code",
    "industry_code": "industry",
    "registered_on": "registered_on",
    "paid_in_capital": "paid_in_capital",
    "hightech_field": "field",
    "strategic_emerging": "strategic_emerging",
    "niche_since": "niche_since",
    "listed": "listed",
    "valuation": "valuation",
    "origin": "origin",
    "origin_institution": "origin_institution",
}
ROW_STATIC = {"relocated_on": "relocated_on"}


def _to_frame(rng, cols, firms, years, extra, not_applicable: dict[str, np.ndarray]) -> pl.DataFrame:
    n, Y = firms["n"], len(years)
    k = firms["k"]
    mask = np.arange(Y)[None, :] >= (Y - k)[:, None]
    schema = F.polars_schema()
    data: dict[str, pl.Series] = {}
    for name, dtype in schema.items():
        if name in STATIC_FROM_FIRMS:
            values = np.repeat(firms[STATIC_FROM_FIRMS[name]], k)
        elif name in ROW_STATIC:
            values = np.repeat(firms[ROW_STATIC[name]], k)
        elif name == "year":
            values = np.broadcast_to(np.array(years)[None, :], (n, Y))[mask]
        else:
            values = np.asarray(cols[name])[mask]
        data[name] = _series(name, values, dtype)
    frame = pl.DataFrame(data)
    # Static attributes go missing for the firm (all its rows), annual ones cell by cell.
    nulls = {
        name: (np.repeat(rng.random(n) < rate, k) if name in F.STATIC_NAMES else rng.random(frame.height) < rate)
        for name, rate in MISSING_RATES.items()
    }
    # The rule facts' empty cells come from their own stream; cells that do not apply are empty too.
    nulls.update({name: extra.random(frame.height) < rate for name, rate in RULE_FACT_MISSING_RATES.items()})
    for name, mask_ in not_applicable.items():
        nulls[name] = nulls.get(name, np.zeros(frame.height, dtype=bool)) | np.asarray(mask_)[mask]
    frame = frame.with_columns(
        pl.when(pl.Series(mask_)).then(None).otherwise(pl.col(name)).alias(name) for name, mask_ in nulls.items()
    )
    return frame.sort(["uscc", "year"])


def _series(name: str, values: np.ndarray, dtype) -> pl.Series:
    if dtype == pl.Date:
        return pl.Series(name, values.astype("datetime64[D]"), dtype=pl.Date)
    if dtype == pl.Float64:
        values = values.astype(float)
        if name in MONEY_COLUMNS:
            values = np.round(values, 4)
        return pl.Series(name, values, dtype=pl.Float64, nan_to_null=True)
    if dtype == pl.Int64:
        return pl.Series(name, values.astype(np.int64), dtype=pl.Int64)
    if dtype == pl.Boolean:
        return pl.Series(name, values.astype(bool), dtype=pl.Boolean)
    # Strings: an empty string means "none" and is stored as null.
    values = [None if v is None or v == "" else str(v) for v in values.tolist()]
    return pl.Series(name, values, dtype=pl.String)


# --------------------------------------------------------------------------------------------------
# Carriers, chains, users
# --------------------------------------------------------------------------------------------------


def _carriers(rng, cfg, firms, scale) -> list[dict]:
    vcfg = cfg["region"]["valley"]
    order = np.argsort(firms["valley_moved_in"], kind="stable")
    vidx = [i for i in order if firms["valley"][i]]
    residents = [{"uscc": str(firms["uscc"][i]), "moved_in": _py_date(firms["valley_moved_in"][i])} for i in vidx]
    valley = {
        "key": vcfg["key"],
        "name": vcfg["name"],
        "kind": vcfg["kind"],
        "region_code": vcfg["region_code"],
        "opened_on": vcfg["opened_on"],
        "operator": vcfg["operator"],
        "area_km2": vcfg["area_km2"],
        "residents": residents,
        "teams": _teams(rng, cfg, max(1, round(vcfg["teams"] * scale))),
    }
    out = [valley]
    taken = firms["valley"].copy()
    for c in cfg["region"]["carriers"]:
        want = max(1, round(c["residents"] * scale))
        if c["kind"] == "pilot_base":
            # The pilot base serves valley firms scaling up production.
            pool = np.flatnonzero(firms["valley"])
        elif c["kind"] == "hitech_zone":
            pool = np.flatnonzero(~taken & firms["has_field"] & (firms["region_code"] == c["region_code"]))
        else:
            pool = np.flatnonzero(~taken & (firms["k"] < firms["k"].max()) & (firms["s"] > -0.5))
        pick = np.sort(rng.choice(pool, min(want, len(pool)), replace=False)) if len(pool) else pool
        if c["kind"] != "pilot_base":
            taken[pick] = True
        opened = np.datetime64(c["opened_on"], "D")
        moved = np.maximum(firms["registered_on"][pick], opened) + rng.integers(0, 400, len(pick))
        moved = np.minimum(moved, np.datetime64("2025-12-31"))
        if c["kind"] == "pilot_base":
            moved = np.maximum(moved, firms["valley_moved_in"][pick])
        out.append(
            {
                "key": c["key"],
                "name": c["name"],
                "kind": c["kind"],
                "region_code": c["region_code"],
                "opened_on": c["opened_on"],
                "operator": None,
                "area_km2": None,
                "residents": [
                    {"uscc": str(firms["uscc"][i]), "moved_in": _py_date(m)} for i, m in zip(pick, moved, strict=True)
                ],
                "teams": [],
            }
        )
    return out


def _teams(rng, cfg, n_teams) -> list[dict]:
    inst = cfg["region"]["institutions"]
    shares = cfg["region"]["valley"]["team_institution_shares"]
    kind = _quota(rng, list(shares), list(shares.values()), n_teams)
    local = [i["name"] for i in inst if i["in_province"]]
    external = [i["name"] for i in inst if not i["in_province"]]
    loc = _pick(rng, local, [1.0] * len(local), n_teams)
    ext = _pick(rng, external, [1.0] * len(external), n_teams)
    institution = np.where(kind == "in_province", loc, np.where(kind == "out_of_province", ext, None))
    topics = _pick(rng, cfg["names"]["team_topics"], [1.0] * len(cfg["names"]["team_topics"]), n_teams)
    leaders = person_names(rng, n_teams, cfg["names"])
    moved = _date(np.full(n_teams, 2023), rng.integers(334, 365 + 366 + 365, n_teams))
    teams = []
    for i in np.argsort(moved, kind="stable"):
        teams.append(
            {
                "name": f"{leaders[i]}{topics[i]}团队",
                "institution": institution[i],
                "leader": leaders[i],
                "moved_in": _py_date(moved[i]),
            }
        )
    return teams


def _chains(rng, cfg, firms) -> list[dict]:
    rcfg = cfg["region"]
    rev = firms["rev_last"]
    out = []
    for c in rcfg["chains"]:
        pool = np.flatnonzero(np.isin(firms["industry"], c["classes"]))
        if len(pool) == 0:
            continue
        # Leader = largest firm of the chain; cores = the next largest; members = a sample of the rest.
        ranked = pool[np.lexsort((firms["uscc"][pool], -rev[pool]))]
        n_core = rcfg["chain_cores"]
        rest = ranked[1 + n_core :]
        n_members = round(len(rest) * rcfg["chain_member_share"])
        members = np.sort(rng.choice(rest, n_members, replace=False)) if len(rest) else rest
        out.append(
            {
                "key": c["key"],
                "name": c["name"],
                "classes": list(c["classes"]),
                "leader": str(firms["uscc"][ranked[0]]),
                "cores": [str(firms["uscc"][i]) for i in ranked[1 : 1 + n_core]],
                "members": [str(firms["uscc"][i]) for i in members],
            }
        )
    return out


def _users(cfg, valley) -> list[dict]:
    rcfg = cfg["region"]
    inst = {i["key"]: i["name"] for i in rcfg["institutions"]}
    orgs = {o["key"]: o["name"] for o in [rcfg["bureau"], rcfg["operator"], *rcfg["banks"]]}
    users = []
    for u in rcfg["users"]:
        org = u["organisation"]
        users.append(
            {
                "username": u["username"],
                "display_name": u["display_name"],
                "role": u["role"],
                "organisation": org if org in orgs else None,
                "organisation_name": orgs.get(org) or inst.get(org),
                "enterprise_uscc": valley["residents"][0]["uscc"] if org == "enterprise" else None,
                "institution": inst.get(org),
                "password": rcfg["password"],
            }
        )
    return users


def _py_date(value) -> dt.date:
    return np.datetime64(value, "D").astype(dt.date)
