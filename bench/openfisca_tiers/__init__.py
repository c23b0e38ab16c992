"""The 科小 score and the 高企 objective conditions written for OpenFisca-core (benchmark only).

Same rules, same parameter values (read from the shipped YAML rule sets), written the OpenFisca way: one
entity, one Variable per input and per formula, vectorised numpy formulas evaluated by a Simulation.
OpenFisca has no "unknown": the benchmark feeds complete data to both sides.
"""
