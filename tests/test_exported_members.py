"""The public API is what randsup/__init__.py lists, sorted, and every listed name exists."""

import randsup


def test_all_is_sorted_and_unique() -> None:
    assert list(randsup.__all__) == sorted(set(randsup.__all__))


def test_every_exported_name_exists() -> None:
    missing = [n for n in randsup.__all__ if not hasattr(randsup, n)]
    assert missing == []


def test_the_documented_api_is_exported() -> None:
    # architecture §9: the calls a district's scripts rely on
    for name in ["load_directory", "load_spec", "PublicSeed", "draw_entities", "make_plan",
                 "write_plan", "verify_plan", "ticket", "rfc3797_select", "RandsupError"]:
        assert name in randsup.__all__, name
