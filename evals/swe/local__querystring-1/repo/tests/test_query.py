from querystring import build, parse, parse_pairs


def test_build_encodes_reserved_characters_and_spaces():
    assert build([("q", "fish & chips"), ("page", 2)]) == "q=fish+%26+chips&page=2"
    assert build({"tag": ["a", "b"], "on": True}) == "tag=a&tag=b&on=true"


def test_build_respects_safe_characters():
    assert build({"next": "/a/b?c"}) == "next=%2Fa%2Fb%3Fc"
    assert build({"next": "/a/b?c"}, safe="/") == "next=/a/b%3Fc"


def test_parse_decodes_plus_as_space():
    query = parse("?q=fish+%26+chips&page=2")
    assert query.get("q") == "fish & chips"
    assert query.get("page") == "2"
    assert query.get("missing", "x") == "x"


def test_parse_keeps_repeated_names_in_order():
    query = parse("tag=a;tag=b&x=1&tag=c")
    assert query.get_all("tag") == ["a", "b", "c"]
    assert list(query) == ["tag", "x"]
    assert len(query) == 4


def test_blank_values_are_dropped_unless_requested():
    assert parse_pairs("a=&b&c=1&&") == [("c", "1")]
    assert parse_pairs("a=&b&c=1&&", keep_blank=True) == [("a", ""), ("b", ""), ("c", "1")]


def test_round_trip_of_unicode_text():
    pairs = [("city", "São Paulo"), ("emoji", "☕ ok")]
    assert parse(build(pairs)).pairs() == pairs
