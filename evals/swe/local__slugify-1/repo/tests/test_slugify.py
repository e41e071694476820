import pytest

from slugkit import fold_to_ascii, slugify, unique_slug


def test_basic():
    assert slugify("Hello, World!") == "hello-world"
    assert slugify("  --Already--slugged--  ") == "already-slugged"


def test_unicode_is_folded():
    assert slugify("Crème Brûlée") == "creme-brulee"
    assert slugify("Straße in Łódź") == "strasse-in-lodz"
    assert fold_to_ascii("ﬁancé") == "fiance"


def test_apostrophes_inside_words_are_dropped():
    assert slugify("Don't stop") == "dont-stop"


def test_custom_separator_and_case():
    assert slugify("Hello World", separator="_") == "hello_world"
    assert slugify("Hello World", lowercase=False) == "Hello-World"
    with pytest.raises(ValueError):
        slugify("x", separator="a")


def test_replacements_and_stopwords():
    assert slugify("Salt & Pepper", replacements=[("&", " and ")]) == "salt-and-pepper"
    assert slugify("The Lord of the Rings", stopwords=["the", "of"]) == "lord-rings"
    assert slugify("The", stopwords=["the"]) == "the"


def test_max_length_word_boundary():
    assert slugify("one two three", max_length=9, word_boundary=True) == "one-two"
    assert slugify("supercalifragilistic", max_length=5, word_boundary=True) == "super"


def test_max_length_cut_inside_word():
    assert slugify("hello world", max_length=8) == "hello-wo"
    assert slugify("hello world", max_length=50) == "hello-world"


def test_unique_slug():
    assert unique_slug("My Post", {"my-post", "my-post-2"}) == "my-post-3"
    assert unique_slug("My Post", set()) == "my-post"
