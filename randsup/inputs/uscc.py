"""统一社会信用代码 (unified social credit code, USCC) check digits after GB 32100-2015.

Layout of the 18 characters: registration authority (1), entity kind (1), administrative
division (6 digits, e.g. 310117 = 上海市松江区), organisation code (9: 8 body characters and
a GB 11714 check character), and a check character over the first 17.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "ALPHABET",
    "REGISTRATION_AUTHORITIES",
    "check_character",
    "org_check_character",
    "uscc_problem",
    "uscc_problems",
]

# GB 32100-2015 alphabet: digits and upper-case letters without I, O, Z, S, V (31 symbols).
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_WEIGHTS = [pow(3, i, 31) for i in range(17)]
# GB 11714-1997 organisation code: body characters valued 0-9, A=10 … Z=35.
_ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]
# Registration authorities named in GB 32100-2015 Table 1 (9 = 市场监管/工商).
REGISTRATION_AUTHORITIES = "123456789ANY"


def _org_value(c: str) -> int:
    return int(c) if c.isdigit() else ord(c) - 55


def check_character(first17: str) -> str:
    """The 18th character of a USCC whose first 17 characters are ``first17``."""
    total = sum(_VALUE[c] * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def org_check_character(body8: str) -> str:
    """The GB 11714 check character of an 8-character organisation-code body."""
    total = sum(_org_value(c) * w for c, w in zip(body8, _ORG_WEIGHTS, strict=True))
    r = 11 - total % 11
    return "X" if r == 10 else "0" if r == 11 else str(r)


def uscc_problem(code: str) -> str | None:
    """Why ``code`` is not a valid USCC, or None when it is valid."""
    if len(code) != 18:
        return f"a 统一社会信用代码 has 18 characters, this has {len(code)}"
    bad = sorted({c for c in code if c not in _VALUE})
    if bad:
        return (f"characters {''.join(bad)!r} are not allowed "
                "(only digits and capital letters except I, O, Z, S, V)")
    if code[0] not in REGISTRATION_AUTHORITIES:
        return f"first character {code[0]!r} is not a registration-authority code (1-9, A, N, Y)"
    if not code[2:8].isdigit():
        return f"characters 3-8 must be a 6-digit administrative division code, not {code[2:8]!r}"
    org = org_check_character(code[8:16])
    if code[16] != org:
        return f"organisation-code check character is {code[16]!r}, expected {org!r}"
    expected = check_character(code[:17])
    if code[17] != expected:
        return f"check digit is {code[17]!r}, expected {expected!r} (GB 32100-2015)"
    return None


# Lookup tables over code points < 128 for the vectorised check; -1 marks a forbidden character.
_LUT31 = np.full(128, -1, dtype=np.int64)
for _c, _v in _VALUE.items():
    _LUT31[ord(_c)] = _v
_LUT_ORG = np.full(128, -1, dtype=np.int64)
for _c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ":
    _LUT_ORG[ord(_c)] = _org_value(_c)


def uscc_problems(codes: np.ndarray) -> np.ndarray:
    """Vectorised validity check: a boolean array, True where ``codes[i]`` is NOT a valid USCC.

    Call :func:`uscc_problem` on the flagged rows for the message; this keeps 10^7 codes fast.
    """
    codes = np.asarray(codes)
    n = codes.shape[0]
    bad = np.zeros(n, dtype=bool)
    if n == 0:
        return bad
    s = codes.astype("U18")  # longer strings are cut here; their length is checked below
    lengths = np.char.str_len(codes.astype(str))
    bad |= lengths != 18
    cp = s.view(np.uint32).reshape(n, 18).astype(np.int64)
    cp = np.where(cp < 128, cp, 0)  # non-ASCII → code point 0 → forbidden
    vals = _LUT31[cp]
    bad |= (vals < 0).any(axis=1)
    first = cp[:, 0]
    bad |= ~np.isin(first, [ord(c) for c in REGISTRATION_AUTHORITIES])
    digits = cp[:, 2:8]
    bad |= ((digits < 48) | (digits > 57)).any(axis=1)
    org_vals = _LUT_ORG[cp[:, 8:16]]
    org_r = 11 - (np.where(org_vals < 0, 0, org_vals) @ np.array(_ORG_WEIGHTS)) % 11
    org_expected = np.where(org_r == 10, ord("X"), np.where(org_r == 11, ord("0"), org_r + 48))
    bad |= (org_vals < 0).any(axis=1) | (cp[:, 16] != org_expected)
    total = np.where(vals[:, :17] < 0, 0, vals[:, :17]) @ np.array(_WEIGHTS)
    bad |= vals[:, 17] != (31 - total % 31) % 31
    return bad
