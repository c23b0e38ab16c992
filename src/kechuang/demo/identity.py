"""Synthetic identities: USCCs with valid check digits, and unique firm and person names.

Policy: everything is vectorised over numpy arrays and drawn from the caller's generator, so the same
seed always gives the same codes and names.

A USCC (GB 32100-2015) is: registration authority (1) + entity type (1) + the registering region's
GB/T 2260 code (6) + an organisation code (9, GB 11714: 8 characters and its own check character) + the
check character (1). Demo firms are registered with market regulation (9) as enterprises (1): "91".
"""

from __future__ import annotations

import numpy as np

from kechuang.engine.facts import USCC_ALPHABET, USCC_WEIGHTS

_USCC_WEIGHTS = np.array(USCC_WEIGHTS, dtype=np.int64)
_ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_CHAR_INDEX = np.full(128, -1, dtype=np.int64)
for _i, _c in enumerate(USCC_ALPHABET):
    _CHAR_INDEX[ord(_c)] = _i


def _chars(strings: np.ndarray, width: int) -> np.ndarray:
    """(n,) fixed-width ASCII strings → (n, width) array of character codes."""
    return np.frombuffer(strings.astype(f"S{width}").tobytes(), dtype=np.uint8).reshape(-1, width)


def org_codes(bodies: np.ndarray) -> np.ndarray:
    """8-digit integer bodies → 9-character organisation codes with the GB 11714 check character."""
    digits = np.stack([(bodies // 10 ** (7 - i)) % 10 for i in range(8)], axis=1)
    check = 11 - (digits @ _ORG_WEIGHTS) % 11
    check_char = np.where(check == 10, "X", np.where(check == 11, "0", check.astype(str)))
    return np.char.add(np.char.zfill(bodies.astype(str), 8), check_char)


def uscc_codes(region_codes: np.ndarray, bodies: np.ndarray, prefix: str = "91") -> np.ndarray:
    """Build USCCs for firms registered in ``region_codes`` with distinct 8-digit ``bodies``."""
    stem = np.char.add(np.char.add(prefix, region_codes.astype("U6")), org_codes(bodies))
    idx = _CHAR_INDEX[_chars(stem, 17)]
    check = (31 - (idx @ _USCC_WEIGHTS) % 31) % 31
    check_char = np.array(list(USCC_ALPHABET))[check]
    return np.char.add(stem, check_char)


def unique_bodies(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct 8-digit organisation-code bodies (no leading zero)."""
    return rng.choice(90_000_000, size=n, replace=False).astype(np.int64) + 10_000_000


def firm_names(
    rng: np.random.Generator,
    prefixes: np.ndarray,
    words: np.ndarray,
    parts: dict,
) -> np.ndarray:
    """Names like 太原华阳科技有限公司: place + two-character trade name + business word + legal form.

    Collisions get an extra trade-name character (re-drawn until unique), as a registry would demand.
    """
    n = len(prefixes)
    first = np.array(parts["first"])[rng.integers(0, len(parts["first"]), n)]
    second = np.array(parts["second"])[rng.integers(0, len(parts["second"]), n)]
    forms = np.array(parts["legal_forms"])[rng.integers(0, len(parts["legal_forms"]), n)]
    trade = np.char.add(first, second)
    extra = np.array(parts["extra"] + parts["second"])
    for _ in range(50):
        names = _join(prefixes, trade, words, forms)
        dup = _later_duplicates(names)
        if not dup.any():
            return names
        trade = trade.astype(object)
        trade[dup] = np.char.add(trade[dup].astype(str), extra[rng.integers(0, len(extra), int(dup.sum()))])
        trade = trade.astype(str)
    raise RuntimeError("could not make firm names unique")  # pragma: no cover - 50 rounds always suffice


def _join(*columns: np.ndarray) -> np.ndarray:
    out = columns[0].astype(str)
    for col in columns[1:]:
        out = np.char.add(out, col.astype(str))
    return out


def _later_duplicates(values: np.ndarray) -> np.ndarray:
    """True for every occurrence of a value after its first."""
    _, first_index = np.unique(values, return_index=True)
    mask = np.ones(len(values), dtype=bool)
    mask[first_index] = False
    return mask


def person_names(rng: np.random.Generator, n: int, parts: dict) -> list[str]:
    """Synthetic two- or three-character person names (surname + one or two given characters)."""
    surnames = np.array(parts["surnames"])[rng.integers(0, len(parts["surnames"]), n)]
    given = np.array(parts["given"])
    g1 = given[rng.integers(0, len(given), n)]
    g2 = np.where(rng.random(n) < 0.6, given[rng.integers(0, len(given), n)], "")
    return _join(surnames, g1, g2).tolist()
