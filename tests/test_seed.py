"""PublicSeed, the RFC 3797 key string and selection, salts and sub-seeds."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from randsup import PublicSeed, SeedError, SeedSpec, commit_salt, key_string, rfc3797_select, verify_salt

# RFC 3797 §6: the example sources and pool (25 names), as reproduced by the RFC's reference
# code (richsalz/ietf-rfc3797-code ref.seeds / ref.results), Algorithm::Voting t/sortition/02-rfc.t
# and votelib tests/evaluate/test_auxiliary.py.
RFC_SOURCES = ["9319", "2 5 12 8 10", "9 18 26 34 41 45"]
RFC_KEY = "9319./2.5.8.10.12./9.18.26.34.41.45./"
RFC_NAMES = ["John", "Mary", "Bashful", "Dopey", "Sleepy", "Grouchy", "Doc", "Sneazy", "Handsome",
             "Cassandra", "Pollyanna", "Pendragon", "Pandora", "Faith", "Hope", "Charity", "Lee",
             "Longsuffering", "Chastity", "Smith", "Pride", "Sloth", "Envy", "Anger", "Kasczynski"]
RFC_SELECTED = ["Lee", "Doc", "Mary", "Charity", "Kasczynski", "Envy", "Sneazy", "Anger", "Chastity", "Pandora"]
RFC_FIRST_DIGESTS = ["990DD0A5692A029A98B5E01AA28F3459", "3691E55CB63FCC37914430B2F70B5EC6",
                     "FE814EDF564C190AC1D25753979990FA"]


class TestRfc3797:
    def test_key_string_of_the_worked_example(self) -> None:
        assert key_string(RFC_SOURCES) == RFC_KEY
        assert key_string([9319, [2, 5, 12, 8, 10], [9, 18, 26, 34, 41, 45]]) == RFC_KEY

    def test_selection_reproduces_section_6(self) -> None:
        assert rfc3797_select(RFC_NAMES, RFC_SOURCES, 10) == RFC_SELECTED

    def test_pool_numbers_and_alternates_match_the_reference_output(self) -> None:
        # ref.results of the RFC reference code lists 16 draws: the 10 members, then alternates.
        assert rfc3797_select(list(range(1, 26)), RFC_SOURCES, 16) == [
            17, 7, 2, 16, 25, 23, 8, 24, 19, 13, 22, 5, 18, 9, 1, 4]

    def test_digests_are_md5_of_bracketed_key(self) -> None:
        for i, want in enumerate(RFC_FIRST_DIGESTS):
            b = i.to_bytes(2, "big")
            assert hashlib.md5(b + RFC_KEY.encode() + b).hexdigest().upper() == want

    @given(n=st.integers(1, 40), extra=st.integers(0, 10), seed=st.integers(0, 10**9))
    @settings(max_examples=60, deadline=None)
    def test_prefix_stable_and_without_repeats(self, n: int, extra: int, seed: int) -> None:
        pool = [f"m{i}" for i in range(n + extra)]
        short = rfc3797_select(pool, [str(seed)], n)
        full = rfc3797_select(pool, [str(seed)])
        assert full[:n] == short
        assert sorted(full) == sorted(pool)

    def test_count_out_of_range(self) -> None:
        with pytest.raises(SeedError, match="cannot select 4 of 3"):
            rfc3797_select(["a", "b", "c"], ["1"], 4)


class TestKeyString:
    def test_values_sort_numerically_and_lose_leading_zeros(self) -> None:
        assert key_string(["10 9 02"]) == "2.9.10./"

    def test_separators_and_full_width_digits(self) -> None:
        assert key_string(["02, 05，12、20;25 31 + 08", "０９"]) == "2.5.8.12.20.25.31./9./"

    def test_decimals_keep_their_point_and_lose_trailing_zeros(self) -> None:
        assert key_string(["3245.670"]) == "3245.67./"
        assert key_string(["3245.00"]) == "3245./"
        assert key_string([Decimal("0.50")]) == "0.5./"

    @pytest.mark.parametrize("source, why", [
        ("中国福利彩票双色球 第2027003期 开奖号码 02 05", "not a number"),
        ("第2027003期", "not a number"),
        ("", "is empty"),
        (" ,, ", "is empty"),
        ("-5", "negative"),
        ("1e5", "not a number"),
        ([], "is empty"),
        ([True], "not a number"),
    ])
    def test_rejects_labels_empty_and_non_numeric(self, source: object, why: str) -> None:
        with pytest.raises(SeedError, match=why) as exc:
            key_string(["1", source])  # type: ignore[list-item]
        assert "seed source 2" in str(exc.value)
        assert "--source" in str(exc.value)  # says what to pass instead

    def test_rejects_no_sources_and_a_bare_string(self) -> None:
        with pytest.raises(SeedError):
            key_string([])
        with pytest.raises(SeedError, match="one entry per public source"):
            key_string("1 2 3")  # type: ignore[arg-type]


class TestPublicSeed:
    def test_seed_is_sha256_of_tag_key_and_salt(self) -> None:
        s = PublicSeed.from_sources(RFC_SOURCES, salt="秘密 salt")
        want = hashlib.sha256(b"randsup/1" + RFC_KEY.encode() + "秘密 salt".encode()).hexdigest()
        assert s.seed_hex == want
        assert s.key_string == RFC_KEY
        assert s.salt_commitment == "sha256:" + hashlib.sha256("秘密 salt".encode()).hexdigest()
        plain = PublicSeed.from_sources(RFC_SOURCES)
        assert plain.seed_hex == hashlib.sha256(b"randsup/1" + RFC_KEY.encode()).hexdigest()
        assert plain.salt_commitment is None

    def test_rebuilt_from_the_recorded_key_string(self) -> None:
        s = PublicSeed.from_sources(["3245.67", "02 05"], salt="k")
        assert PublicSeed.from_key_string(s.key_string, salt="k") == s
        for bad in ("9319", "01./", "3.5/", "1./x", ""):
            with pytest.raises(SeedError, match="not an RFC 3797 key string"):
                PublicSeed.from_key_string(bad)

    def test_is_immutable_and_keeps_no_salt(self) -> None:
        s = PublicSeed.from_sources(["1"], salt="abc")
        with pytest.raises(dataclasses.FrozenInstanceError):
            s.seed_hex = "0"  # type: ignore[misc]
        assert "abc" not in repr(s)

    def test_one_changed_value_changes_the_seed(self) -> None:
        assert PublicSeed.from_sources(["1 2 3"]).seed_hex != PublicSeed.from_sources(["1 2 4"]).seed_hex

    def test_sub_seeds_are_hmac_domain_separated(self) -> None:
        s = PublicSeed.from_sources(["7"])
        want = hmac.new(bytes.fromhex(s.seed_hex), b"entities", hashlib.sha256).hexdigest()
        assert s.sub_seed("entities") == s.entity_ticket_seed == want
        subs = {s.sub_seed(d) for d in ("entities", "inspectors", "task/T001", "task/T002")}
        assert len(subs) == 4
        assert s.inspector_ticket_seed == s.sub_seed("inspectors")
        assert 0 <= s.uniform("task/T001/rounding") < 1
        with pytest.raises(ValueError):
            s.sub_seed("")

    def test_salt_commit_and_verify(self) -> None:
        c = commit_salt("s3cret")
        verify_salt(c, "s3cret")
        verify_salt(c, b"s3cret")
        with pytest.raises(SeedError, match="does not match"):
            verify_salt(c, "s3cret ")
        with pytest.raises(SeedError, match="malformed"):
            verify_salt("md5:abc", "s3cret")
        with pytest.raises(SeedError, match="empty"):
            commit_salt("")

    def test_for_spec_checks_source_count_and_salt(self) -> None:
        spec = SeedSpec(sources=("双色球 第2027003期 开奖号码", "上证指数 收盘点位"), salt_commitment=commit_salt("k"))
        s = PublicSeed.for_spec(spec, ["02 05 12 20 25 31 08", "3245.67"], salt="k")
        assert s == PublicSeed.from_sources(["02 05 12 20 25 31 08", "3245.67"], salt="k")
        with pytest.raises(SeedError, match="names 2 seed source"):
            PublicSeed.for_spec(spec, ["1"], salt="k")
        with pytest.raises(SeedError, match="needs its salt"):
            PublicSeed.for_spec(spec, ["1", "2"])
        with pytest.raises(SeedError, match="does not match"):
            PublicSeed.for_spec(spec, ["1", "2"], salt="x")
        unsalted = SeedSpec(sources=("a",))
        with pytest.raises(SeedError, match="no salt_commitment"):
            PublicSeed.for_spec(unsalted, ["1"], salt="x")
        assert PublicSeed.for_spec(unsalted, ["1"]).record()["salt_commitment"] is None
