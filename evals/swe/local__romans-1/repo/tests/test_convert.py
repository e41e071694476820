import pytest

from romans import MAX_VALUE, RomanNumeralError, from_roman, is_roman, to_roman


@pytest.mark.parametrize(
    ("number", "numeral"),
    [
        (1, "I"),
        (4, "IV"),
        (9, "IX"),
        (14, "XIV"),
        (40, "XL"),
        (90, "XC"),
        (400, "CD"),
        (1994, "MCMXCIV"),
        (2024, "MMXXIV"),
        (3999, "MMMCMXCIX"),
    ],
)
def test_known_values(number, numeral):
    assert to_roman(number) == numeral
    assert from_roman(numeral) == number


def test_round_trip_whole_range():
    for number in range(1, MAX_VALUE + 1):
        assert from_roman(to_roman(number)) == number


@pytest.mark.parametrize("number", [0, -1, 4000])
def test_to_roman_rejects_out_of_range(number):
    with pytest.raises(ValueError):
        to_roman(number)


def test_to_roman_rejects_non_int():
    with pytest.raises(TypeError):
        to_roman(True)
    with pytest.raises(TypeError):
        to_roman(3.0)


@pytest.mark.parametrize("numeral", ["IIII", "VV", "XXXX", "MMMM", "IIV", "IC", "LL", "ABC"])
def test_rejects_malformed(numeral):
    with pytest.raises(RomanNumeralError):
        from_roman(numeral)


def test_rejects_empty():
    with pytest.raises(RomanNumeralError):
        from_roman("   ")


def test_case_and_whitespace():
    assert from_roman("  mcmxc ") == 1990
    with pytest.raises(RomanNumeralError):
        from_roman("mcmxc", strict_case=True)


def test_is_roman():
    assert is_roman("XLII")
    assert not is_roman("XLIIII")
    assert not is_roman(42)
