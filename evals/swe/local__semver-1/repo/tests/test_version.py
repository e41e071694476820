import pytest

from semver import InvalidVersion, Version, max_satisfying, parse


def test_parse_round_trips_all_parts():
    version = parse("v2.10.3-rc.1+build.77")
    assert (version.major, version.minor, version.patch) == (2, 10, 3)
    assert version.prerelease == ("rc", "1")
    assert version.build == ("build", "77")
    assert str(version) == "2.10.3-rc.1+build.77"


@pytest.mark.parametrize("text", ["1.2", "01.2.3", "1.2.3-", "1.2.3-01", "1.2.3+", "a.b.c"])
def test_invalid_versions_are_rejected(text):
    with pytest.raises(InvalidVersion):
        parse(text)


def test_core_numbers_compare_numerically():
    assert parse("1.10.0") > parse("1.9.0")
    assert parse("2.0.0") > parse("1.99.99")


def test_prerelease_sorts_before_release():
    assert parse("1.0.0-alpha") < parse("1.0.0")
    assert parse("1.0.0-alpha") < parse("1.0.0-alpha.1")
    assert parse("1.0.0-alpha.1") < parse("1.0.0-alpha.beta")
    assert parse("1.0.0-beta") < parse("1.0.0-rc.1")


def test_build_metadata_is_ignored_for_precedence():
    assert parse("1.0.0+a") == parse("1.0.0+b")
    assert len({parse("1.0.0+a"), parse("1.0.0")}) == 1


def test_bump_releases_prereleases():
    assert str(parse("1.2.0-rc.1").bump("minor")) == "1.2.0"
    assert str(parse("1.2.3").bump("minor")) == "1.3.0"
    assert str(parse("1.2.3").bump("major")) == "2.0.0"
    with pytest.raises(ValueError):
        parse("1.2.3").bump("build")


def test_max_satisfying_skips_prereleases_by_default():
    candidates = ["1.0.0", "1.4.2", "2.0.0-beta", "0.9.0"]
    assert max_satisfying(candidates, "1.0.0") == Version(1, 4, 2)
    assert max_satisfying(candidates, "1.0.0", include_prerelease=True) == parse("2.0.0-beta")
    assert max_satisfying(candidates, "3.0.0") is None
