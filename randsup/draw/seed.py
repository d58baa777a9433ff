"""Public seeds: the RFC 3797 key string, the randsup seed, salt commitments, sub-seeds, and
RFC 3797 selection itself.

Design notes: docs/draw.md (section randsup/draw/seed.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import re
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import TypeVar

from ..errors import SeedError
from ..spec import SeedSpec

__all__ = [
    "SEED_DOMAIN_TAG",
    "PublicSeed",
    "Source",
    "commit_salt",
    "key_string",
    "new_salt_file",
    "parse_source",
    "read_salt_file",
    "rfc3797_select",
    "verify_salt",
]

SEED_DOMAIN_TAG = b"randsup/1"

# One value of a source: a plain int, a decimal given as text, or text holding several values.
Source = str | int | Decimal | Sequence[int | str | Decimal]
T = TypeVar("T")

# Separators people use when copying lottery numbers: spaces, commas (also full-width, mapped
# by NFKC), 、 and ";". "+" separates the blue ball of 双色球 from the red ones.
_SEPARATORS = re.compile(r"[\s,;、+|]+")
_NUMBER = re.compile(r"(\d+)(?:\.(\d+))?")
_KEY_STRING = re.compile(r"(?:(?:(?:0|[1-9]\d*)(?:\.\d*[1-9])?\.)+/)+")
_HOW = ("pass only the published values of each source, separated by spaces, "
        'e.g. --source "02 05 12 20 25 31 08" --source "3245.67"; the plan specification names '
        "the source, the command line gives its values")


def _canonical_value(token: str, where: str) -> tuple[Decimal, str]:
    """A value token → (numeric value for sorting, its key-string text)."""
    m = _NUMBER.fullmatch(token)
    if m is None:
        what = ("a negative number" if token.startswith("-") else
                "not a number (it looks like part of the source's name, not one of its values)")
        raise SeedError(f"{where}: {token!r} is {what}; {_HOW}")
    whole, frac = m.group(1), (m.group(2) or "").rstrip("0")
    text = str(int(whole)) + (f".{frac}" if frac else "")
    return Decimal(text), text


def parse_source(source: Source, where: str = "seed source") -> tuple[str, ...]:
    """The canonical values of one source, sorted ascending (as written into the key string).

    Raises:
        SeedError: the source is empty, or holds something other than non-negative numbers.
    """
    if isinstance(source, bool):
        raise SeedError(f"{where}: {source!r} is not a number; {_HOW}")
    if isinstance(source, Decimal):
        tokens = [format(source, "f")]
    elif isinstance(source, int):
        tokens = [str(source)]
    elif isinstance(source, str):
        text = unicodedata.normalize("NFKC", source).strip()
        tokens = [t for t in _SEPARATORS.split(text) if t]
    elif isinstance(source, Sequence):
        tokens = []
        for v in source:
            if isinstance(v, bool) or not isinstance(v, (int, str, Decimal)):
                raise SeedError(f"{where}: {v!r} is not a number; {_HOW}")
            text = format(v, "f") if isinstance(v, Decimal) else str(v)
            tokens.append(unicodedata.normalize("NFKC", text).strip())
    else:
        raise SeedError(f"{where}: {source!r} is neither text nor a list of numbers; {_HOW}")
    if not tokens:
        raise SeedError(f"{where} is empty; {_HOW}")
    values = [_canonical_value(tok, where) for tok in tokens]
    values.sort(key=lambda v: v[0])
    return tuple(text for _, text in values)


def key_string(sources: Sequence[Source]) -> str:
    """The RFC 3797 key string of public sources, e.g. ``"9319./2.5.8.10.12./"``.

    Raises:
        SeedError: no sources, or a source is empty or not numeric.
    """
    if isinstance(sources, (str, bytes)) or not isinstance(sources, Sequence):
        raise SeedError("seed sources must be a list with one entry per public source, "
                        f"e.g. ['9319', '2 5 12 8 10']; got {sources!r}")
    if not sources:
        raise SeedError(f"no seed sources given; {_HOW}")
    parts = []
    for i, s in enumerate(sources, start=1):
        values = parse_source(s, f"seed source {i} ({str(s)[:60]!r})")
        parts.append("".join(v + "." for v in values) + "/")
    return "".join(parts)


def _salt_bytes(salt: str | bytes) -> bytes:
    b = salt.encode("utf-8") if isinstance(salt, str) else bytes(salt)
    if not b:
        raise SeedError("the salt is empty; pass the secret salt whose commitment was published, "
                        "or leave the salt out")
    return b


def commit_salt(salt: str | bytes) -> str:
    """The commitment to publish before the draw: ``"sha256:" + SHA-256(salt)`` in hex."""
    return "sha256:" + hashlib.sha256(_salt_bytes(salt)).hexdigest()


def new_salt_file(path: str | Path) -> str:
    """Write a fresh secret salt (256 random bits as hex) to a new file; return its commitment.

    The file is created owner-only (mode 0600 where the OS has such modes) and never
    overwritten: a second salt for the same plan would let someone choose between draws.

    Raises:
        SeedError: the file exists already, or cannot be created.
    """
    p = Path(path)
    salt = secrets.token_hex(32)
    try:
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    except FileExistsError:
        raise SeedError(f"{p} exists already; a salt file is never overwritten (its commitment may be "
                        "published). Choose a new file name, or use the salt already in it") from None
    except OSError as exc:
        raise SeedError(f"{p}: cannot create the salt file ({exc.strerror}); choose a folder you may write "
                        "to, outside shared folders") from None
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
        f.write(salt + "\n")
    with contextlib.suppress(OSError):  # best effort: Windows keeps only the read-only bit
        os.chmod(p, 0o600)
    return commit_salt(salt)


def read_salt_file(path: str | Path) -> str:
    """The salt kept in a salt file (its text without surrounding blanks and line ends).

    Raises:
        SeedError: the file is missing, unreadable, not UTF-8 or empty.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SeedError(f"{p}: salt file not found; pass the file `randsup salt new` wrote") from None
    except UnicodeDecodeError:
        raise SeedError(f"{p}: not a salt file (not UTF-8 text); pass the file `randsup salt new` wrote") from None
    except OSError as exc:
        raise SeedError(f"{p}: the salt file cannot be read ({exc.strerror}); check its permissions") from None
    salt = text.strip()
    if not salt or "\n" in salt:
        raise SeedError(f"{p}: not a salt file (it must hold the salt on one line); pass the file "
                        "`randsup salt new` wrote")
    return salt


def verify_salt(commitment: str, salt: str | bytes) -> None:
    """Check a revealed salt against its published commitment.

    Raises:
        SeedError: the salt does not match (or the commitment is malformed).
    """
    if not re.fullmatch(r"sha256:[0-9a-f]{64}", commitment or ""):
        raise SeedError(f"salt commitment {commitment!r} is malformed; it must be 'sha256:' followed by "
                        "64 lower-case hex digits, as published before the draw")
    if not hmac.compare_digest(commit_salt(salt), commitment):
        raise SeedError("the salt does not match the published salt commitment; pass exactly the salt "
                        "whose SHA-256 was published before the draw")


@dataclass(frozen=True)
class PublicSeed:
    """The seed of one plan: where it came from (key string, salt commitment) and its 256 bits.

    Immutable and cheap to pass around; stages take it explicitly and derive their own
    randomness with :meth:`sub_seed`. The salt itself is not kept.
    """

    key_string: str
    seed_hex: str
    salt_commitment: str | None = None

    @classmethod
    def from_sources(cls, sources: Sequence[Source], salt: str | bytes | None = None) -> PublicSeed:
        """Build the seed from the values of the public sources (in the spec's order).

        ``sources`` holds one entry per source: text like ``"2 5 12 8 10"`` or ``"3245.67"``,
        an int, or a list of numbers.

        Raises:
            SeedError: a source is empty or not numeric, or the salt is empty.
        """
        return cls.from_key_string(key_string(sources), salt)

    @classmethod
    def from_key_string(cls, key: str, salt: str | bytes | None = None) -> PublicSeed:
        """Rebuild the seed from a recorded key string (plan.json keeps it, not the values).

        Raises:
            SeedError: the text is not a key string (values each followed by '.', sources by '/').
        """
        if not isinstance(key, str) or not _KEY_STRING.fullmatch(key):
            raise SeedError(f"{key!r} is not an RFC 3797 key string such as '9319./2.5.8.10.12./'; "
                            "copy it exactly from the plan's seed record")
        salt_b = b"" if salt is None else _salt_bytes(salt)
        digest = hashlib.sha256(SEED_DOMAIN_TAG + key.encode("ascii") + salt_b).hexdigest()
        return cls(key, digest, None if salt is None else commit_salt(salt_b))

    @classmethod
    def for_spec(cls, seed_spec: SeedSpec, values: Sequence[Source],
                 salt: str | bytes | None = None) -> PublicSeed:
        """The seed of a plan specification: one value list per named source, the salt checked.

        Raises:
            SeedError: the number of value lists differs from the named sources; a salt is
                missing, unexpected, or does not match the published commitment.
        """
        names = seed_spec.sources
        if len(values) != len(names):
            named = "; ".join(f"{i}. {n}" for i, n in enumerate(names, start=1))
            raise SeedError(f"the plan specification names {len(names)} seed source(s) ({named}) but "
                            f"{len(values)} value list(s) were given; pass one --source per named "
                            "source, in the same order")
        if seed_spec.salt_commitment is not None:
            if salt is None:
                raise SeedError("the plan specification publishes a salt commitment, so the draw needs "
                                "its salt; pass --salt-file with the file `randsup salt new` wrote")
            verify_salt(seed_spec.salt_commitment, salt)
        elif salt is not None:
            # A salt chosen after the sources are known could be ground until a wanted draw appears.
            raise SeedError("a salt was given but the plan specification publishes no salt_commitment; "
                            "publish seed.salt_commitment before the draw, or leave the salt out")
        return cls.from_sources(values, salt)

    @property
    def seed_bytes(self) -> bytes:
        return bytes.fromhex(self.seed_hex)

    def sub_seed(self, domain: str) -> str:
        """An independent 256-bit sub-seed (hex) for one use: HMAC-SHA256(seed, domain)."""
        if not domain:
            raise ValueError("a sub-seed needs a non-empty domain, e.g. 'entities'")
        return hmac.new(self.seed_bytes, domain.encode("utf-8"), hashlib.sha256).hexdigest()

    def uniform(self, domain: str) -> Fraction:
        """An exact uniform number in [0, 1) from the sub-seed of ``domain`` (256-bit resolution)."""
        return Fraction(int(self.sub_seed(domain), 16), 1 << 256)

    @property
    def entity_ticket_seed(self) -> str:
        """The consistent-sampler seed string shared by every together/apart task."""
        return self.sub_seed("entities")

    @property
    def inspector_ticket_seed(self) -> str:
        return self.sub_seed("inspectors")

    def record(self) -> dict[str, str | None]:
        """What plan.json records of the seed."""
        return {"key_string": self.key_string, "salt_commitment": self.salt_commitment,
                "seed_hex": self.seed_hex}


def rfc3797_select(pool: Sequence[T], sources: Sequence[Source], count: int | None = None) -> list[T]:
    """Select ``count`` members of ``pool`` (all of them, in drawn order, by default) by RFC 3797.

    For selection i = 0, 1, …: MD5 of the 2-byte big-endian i, the key string and i again,
    read as a 128-bit big-endian integer, modulo the number not yet selected, picks from the
    remaining members in their original order. The list is prefix-stable, so asking for more
    gives the alternates after the first ``count``. For small public lotteries such as the
    order of batches (38号: the order of batches may itself be drawn).

    Raises:
        SeedError: bad sources, more than 65,535 members, or ``count`` out of range.
    """
    members = list(pool)
    if len(members) > 0xFFFF:
        raise SeedError(f"RFC 3797 selection takes at most 65,535 members, not {len(members)}; "
                        "use the ticket draw for large pools")
    n = len(members) if count is None else count
    if not 0 <= n <= len(members):
        raise SeedError(f"cannot select {n} of {len(members)} members; ask for 0 to {len(members)}")
    key = key_string(sources).encode("ascii")
    remaining = members
    chosen: list[T] = []
    for i in range(n):
        bracket = i.to_bytes(2, "big")
        # MD5 is what RFC 3797 specifies; it is safe here only because every input is public and fixed first.
        digest = hashlib.md5(bracket + key + bracket, usedforsecurity=False).digest()
        k = int.from_bytes(digest, "big") % len(remaining)
        chosen.append(remaining[k])
        remaining = remaining[:k] + remaining[k + 1:]
    return chosen
