import pytest

from texttable import Column, Table, render


def test_render_aligns_columns_to_widest_cell():
    text = render([["apples", 3], ["kiwi", 12]], headers=["name", "qty"])
    assert text.splitlines() == [
        "name   | qty",
        "-------+----",
        "apples | 3",
        "kiwi   | 12",
    ]


def test_right_and_center_alignment():
    table = Table([Column("item"), Column("n", align="right"), Column("tag", align="center")])
    table.add_row(["a", 7, "x"])
    table.add_row(["b", 1234, "yes"])
    assert table.render().splitlines()[2:] == ["a    |    7 |  x", "b    | 1234 | yes"]


def test_short_rows_are_padded_and_none_is_blank():
    table = Table(["a", "b", "c"])
    table.add_row([1])
    table.add_row([None, "two", None])
    assert table.render().splitlines()[2:] == ["1 |     |", "  | two |"]
    with pytest.raises(ValueError):
        table.add_row([1, 2, 3, 4])


def test_long_cells_are_shortened_with_ellipsis():
    table = Table([Column("path", max_width=8), Column("size", align="right")])
    table.add_row(["/var/log/syslog", 42])
    assert table.column_widths() == [8, 4]
    assert table.render().splitlines()[2] == "/var/lo… |   42"


def test_multiline_cell_is_flattened():
    table = Table(["note"])
    table.add_row(["first line\nsecond"])
    assert table.render().splitlines()[2] == "first line second"


def test_invalid_column_options():
    with pytest.raises(ValueError):
        Column("x", align="middle")
    with pytest.raises(ValueError):
        Column("x", max_width=0)
