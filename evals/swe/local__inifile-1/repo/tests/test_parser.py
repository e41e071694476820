import pytest

from inifile import ParseError, parse, parse_file


SAMPLE = """\
; deployment settings
[DEFAULT]
timeout = 30

[server]
Host = example.org   ; the public name
port: 8080
debug = off

[paths]
search = /usr/lib
    /usr/local/lib
"""


def test_sections_keep_file_order():
    config = parse(SAMPLE)
    assert config.sections() == ["server", "paths"]


def test_keys_are_case_insensitive_and_comments_dropped():
    server = parse(SAMPLE)["server"]
    assert server["HOST"] == "example.org"
    assert server.getint("port") == 8080
    assert server.getbool("debug") is False


def test_default_section_is_inherited():
    config = parse(SAMPLE)
    assert config["paths"]["timeout"] == "30"
    assert config["server"].keys() == ["host", "port", "debug", "timeout"]


def test_continuation_lines_are_joined():
    assert parse(SAMPLE)["paths"]["search"] == "/usr/lib\n/usr/local/lib"


def test_comment_marker_needs_leading_whitespace():
    config = parse("[a]\nratio = 3;4\nurl = http://x/#frag # home\n")
    assert config["a"]["ratio"] == "3;4"
    assert config["a"]["url"] == "http://x/#frag"


def test_quoted_value_keeps_whitespace():
    config = parse('[a]\nmotd = "  hello  "\n')
    assert config["a"]["motd"] == "  hello  "


def test_key_before_section_is_an_error():
    with pytest.raises(ParseError) as info:
        parse("\nname = x\n")
    assert info.value.lineno == 2


def test_parse_file_reads_utf8(tmp_path):
    path = tmp_path / "app.ini"
    path.write_text("[app]\nname = café\n", encoding="utf-8")
    assert parse_file(path).get("app", "name") == "café"
    assert parse_file(path).get("missing", "name", "fallback") == "fallback"
