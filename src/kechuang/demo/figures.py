"""Annual figures of the demo firms: a firms × years panel drawn from one latent "innovativeness".

Policy:
- Every firm has a latent score ``s`` (industry propensity + noise). Staff mix, R&D intensity, IP,
  conversions, growth and the share of high-tech revenue all rise with ``s``, so the rules sort firms the
  way a bureau would expect. Tiers are never assigned here: they are computed from these figures by the
  engine. The constants below are the generator's model, tuned so that the shipped rules put roughly
  45–50% of firms in 科小 and ~20% in 高企 (see tests/demo/test_generator.py).
- All draws are vectorised over the (n, years) matrix and come from the caller's generator, in a fixed
  order: same seed, same panel.
- The matrix has one column per requested year; a firm's rows are its last ``k`` columns (3–5 years,
  fewer for young firms). Cells outside a firm's rows are dropped when the panel is flattened.
"""

from __future__ import annotations

import numpy as np

# Global shift of the latent score: the one calibration knob for the tier shares.
LATENT_SHIFT = 0.15


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def annual_panel(rng: np.random.Generator, firms: dict, n_years: int) -> dict[str, np.ndarray]:
    """Draw every annual column as an (n, n_years) array from the per-firm attributes in ``firms``.

    ``firms`` holds: s (latent), k (years of figures), rd_mult, scale, young (bool), valley (bool),
    has_field (bool), family_code (int family index), manufacturing (bool), software (bool).
    """
    n = len(firms["s"])
    Y = n_years
    s = firms["s"]
    k = firms["k"]
    pos = np.arange(Y)[None, :]  # column index, last column = latest year
    back = (Y - 1) - pos  # years before the latest
    noise = lambda scale=1.0: rng.standard_normal((n, Y)) * scale  # noqa: E731

    # --- revenue: final-year level (log-normal, heavy tail), back-cast with firm growth ----------------
    # Valley firms are young spin-offs: small and less dispersed (the valley's residents reported a little
    # over 1亿 of revenue in total in the first year, with two firms above 2000万).
    sigma = np.where(firms["valley"], 1.0, 1.45)
    ln_rev = (
        np.log(900.0)
        + np.log(firms["scale"])
        + sigma * rng.standard_normal(n)
        - 1.3 * (k == 3)
        - 0.7 * (k == 4)
        - 1.4 * firms["valley"]
    )
    rev_last = np.exp(ln_rev)
    growth_mu = 0.05 + 0.05 * s + 0.35 * (k == 3) + 0.20 * (k == 4) + 0.10 * firms["valley"]
    growth = np.clip(growth_mu[:, None] + noise(0.16), -0.6, 3.0)
    # revenue[y-1] = revenue[y] / (1 + g[y]): cumulative product from the latest year backwards.
    log_g = np.log1p(growth)
    log_g[:, 0] = 0.0
    rev_factor = np.exp(-np.cumsum(log_g[:, ::-1], axis=1)[:, ::-1] + log_g)
    revenue = rev_last[:, None] * rev_factor
    # A few newly founded firms had no sales in their first year.
    first_col = Y - k
    no_sales = (k == 3) & (rng.random(n) < 0.15)
    revenue[np.arange(n), first_col] = np.where(no_sales, 0.0, revenue[np.arange(n), first_col])

    # --- staff -----------------------------------------------------------------------------------------
    rev_per_staff = 42.0 * np.exp(0.45 * rng.standard_normal(n))
    staff = np.maximum(3.0, np.round(np.maximum(revenue, 60.0) / rev_per_staff[:, None] * np.exp(noise(0.05))))
    tech_ratio = sigmoid(-1.05 + 1.05 * s + 0.55 * rng.standard_normal(n))[:, None] * np.exp(noise(0.08))
    tech_staff = np.minimum(staff, np.round(staff * np.clip(tech_ratio, 0, 1)))
    rd_staff = np.round(tech_staff * rng.uniform(0.45, 0.9, n)[:, None])
    postgrad = np.round(tech_staff * rng.beta(1.5, 6.0, n)[:, None])
    new_grads = rng.poisson(np.maximum(staff * 0.04 * (1 + tech_ratio), 0))

    # --- R&D and costs -----------------------------------------------------------------------------------
    rd_base = np.exp(np.log(0.035 * firms["rd_mult"]) + 0.65 * s + 0.45 * rng.standard_normal(n))
    rd_base = np.where((s < -0.6) & (rng.random(n) < 0.6), 0.0, np.minimum(rd_base, 0.8))
    rd_ratio = rd_base[:, None] * np.exp(noise(0.12))
    rd_expense = revenue * rd_ratio
    # Firms without sales still spend on R&D (payroll of the team).
    rd_expense = np.where(revenue == 0, rd_staff * 12.0 + 20.0, rd_expense)
    margin = np.clip(rng.normal(0.07, 0.09, n)[:, None] + noise(0.03), -0.6, 0.45)
    cost = np.maximum(revenue * (1 - margin), rd_expense * 1.05 + staff * 6.0)
    pretax = revenue - cost
    net_profit = np.where(pretax > 0, pretax * 0.85, pretax)
    domestic_share = np.where(rng.random(n) < 0.9, 1.0, rng.uniform(0.4, 0.98, n))
    rd_domestic = rd_expense * domestic_share[:, None]
    rd_tax_relief = np.minimum(rd_expense, np.maximum(pretax, 0)) * 0.25

    main_share = np.clip(rng.uniform(0.78, 1.0, n)[:, None] + noise(0.01), 0.5, 1.0)
    main_revenue = revenue * main_share
    ht_share = sigmoid(0.1 + 1.0 * s + 0.8 * rng.standard_normal(n))[:, None] * np.exp(noise(0.04))
    hightech_revenue = np.where(firms["has_field"][:, None], revenue * np.clip(ht_share, 0, 1), 0.0)

    # --- balance sheet -------------------------------------------------------------------------------------
    asset_ratio = np.exp(rng.normal(0.0, 0.5, n)) * np.where(firms["valley"], 1.6, 1.0)
    assets = np.maximum(np.maximum(revenue, 80.0) * asset_ratio[:, None] * np.exp(noise(0.06)), 30.0)
    debt_ratio = np.clip(rng.beta(2.0, 3.0, n)[:, None] + noise(0.03), 0.02, 1.2)
    liabilities = assets * debt_ratio

    # --- financing, contracts, conversions ------------------------------------------------------------------
    fin_p = np.where(firms["valley"], 0.15, 0.025)[:, None]
    equity = np.where(rng.random((n, Y)) < fin_p, np.exp(rng.normal(np.log(500), 0.9, (n, Y))), 0.0)
    contract_p = np.clip(0.05 + 0.2 * s, 0.0, 0.7)[:, None]
    tech_contract = np.where(
        rng.random((n, Y)) < contract_p, np.exp(rng.normal(np.log(60), 1.0, (n, Y))) * (1 + revenue / 5000), 0.0
    )
    conversions = rng.poisson(np.exp(0.3 + 1.0 * s)[:, None] * np.ones((1, Y)))

    # --- IP: year-end stocks (non-decreasing), annual applications -----------------------------------------
    size = (1.0 + rev_last / 3000.0) ** 0.35
    class1_last = rng.poisson(np.exp(-0.95 + 1.0 * s) * size)
    utility_last = rng.poisson(np.exp(0.1 + 0.85 * s) * size * np.where(firms["manufacturing"], 1.4, 0.5))
    software_last = rng.poisson(np.exp(-0.2 + 0.8 * s) * np.where(firms["software"], 3.0, 0.6))
    design_last = rng.poisson(0.25 * size * firms["manufacturing"])
    base = np.where(k >= 5, rng.uniform(0.3, 0.85, n), 0.0)
    gamma = rng.uniform(0.6, 1.6, n)
    span = np.clip((pos - (Y - k)[:, None] + 1) / k[:, None], 0, 1)
    frac = base[:, None] + (1 - base[:, None]) * span ** gamma[:, None]

    def stock(last):
        return np.floor(last[:, None] * frac + 1e-9).astype(np.int64)

    class1 = stock(class1_last)
    inv_apps = rng.poisson(np.exp(-0.9 + 0.9 * s)[:, None] * size[:, None] * np.ones((1, Y)))
    pct_apps = rng.poisson(0.02 * np.exp(s)[:, None] * np.ones((1, Y)))

    return {
        "revenue": revenue,
        "staff_total": staff,
        "tech_staff": tech_staff,
        "rd_staff": rd_staff,
        "postgrad_staff": postgrad,
        "new_graduates": new_grads,
        "main_revenue": main_revenue,
        "hightech_revenue": hightech_revenue,
        "total_cost_expense": cost,
        "rd_expense": rd_expense,
        "rd_expense_domestic": rd_domestic,
        "rd_tax_relief": rd_tax_relief,
        "net_profit": net_profit,
        "total_assets": assets,
        "total_liabilities": liabilities,
        "equity_financing": equity,
        "tech_contract_amount": tech_contract,
        "conversions": conversions,
        "invention_applications": inv_apps,
        "pct_applications": pct_apps,
        "new_platforms_provincial": rng.poisson(0.01 * np.exp(s)[:, None] * np.ones((1, Y))),
        "awards_provincial": rng.poisson(0.006 * np.exp(s)[:, None] * np.ones((1, Y))),
        "class1": class1,
        "utility_models": stock(utility_last),
        "software_copyrights": stock(software_last),
        "design_patents": stock(design_last),
        "back": np.broadcast_to(back, (n, Y)),
    }
