from querystring import percent_decode, percent_encode


def test_encode_leaves_unreserved_characters():
    assert percent_encode("AZaz09-._~") == "AZaz09-._~"
    assert percent_encode("a/b c") == "a%2Fb%20c"
    assert percent_encode("a/b c", safe="/", space_as_plus=True) == "a/b+c"


def test_encode_uses_utf8_bytes():
    assert percent_encode("café") == "caf%C3%A9"
    assert percent_encode("€") == "%E2%82%AC"


def test_decode_handles_utf8_and_malformed_escapes():
    assert percent_decode("caf%C3%A9") == "café"
    assert percent_decode("100%") == "100%"
    assert percent_decode("%zz%4") == "%zz%4"
    assert percent_decode("%ff") == "\ufffd"
