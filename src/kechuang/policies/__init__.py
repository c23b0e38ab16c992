"""Policies as rules on the platform: the policy library (dated versions), simulations, eligibility runs,
entitlements, payout batches with maker–checker approval against budgets, claw-backs and the firm portal."""
