import pytest

from minicalc import CalcError, tokenize


def test_tokens_and_positions():
    tokens = tokenize("3.5*(x_1 - 2)")
    assert [(t.kind, t.text, t.position) for t in tokens] == [
        ("number", "3.5", 0),
        ("op", "*", 3),
        ("lparen", "(", 4),
        ("name", "x_1", 5),
        ("op", "-", 9),
        ("number", "2", 11),
        ("rparen", ")", 12),
        ("end", "", 13),
    ]


def test_bad_input():
    for source in ["1..2", "2 $ 3", "."]:
        with pytest.raises(CalcError):
            tokenize(source)
