import pytest

from minicalc import CalcError, evaluate


def test_precedence():
    assert evaluate("1 + 2 * 3") == 7
    assert evaluate("(1 + 2) * 3") == 9
    assert evaluate("10 - 4 - 3") == 3
    assert evaluate("2 * 3 ^ 2") == 18
    assert evaluate("7 % 4 * 2") == 6


def test_division_gives_float():
    assert evaluate("7 / 2") == 3.5
    assert evaluate("8 / 4 / 2") == 1.0


def test_unary_minus():
    assert evaluate("-3 + 5") == 2
    assert evaluate("--3") == 3
    assert evaluate("2 * -3") == -6
    assert evaluate("-2 ^ 2") == -4
    assert evaluate("(-2) ^ 2") == 4


def test_variables():
    assert evaluate("rate * hours", {"rate": 12.5, "hours": 8}) == 100.0
    with pytest.raises(CalcError):
        evaluate("rate * 2")


def test_errors():
    for source in ["", "1 +", "(1 + 2", "1 2", "4 / (2 - 2)", "5 % 0"]:
        with pytest.raises(CalcError):
            evaluate(source)
