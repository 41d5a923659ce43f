import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalog import isbn

digits = st.text(alphabet="0123456789", min_size=9, max_size=9)


def _isbn10(body: str) -> str:
    total = sum((10 - i) * int(d) for i, d in enumerate(body))
    check = (11 - total % 11) % 11
    return body + ("X" if check == 10 else str(check))


@given(digits)
def test_isbn10_converts_to_a_978_isbn13_and_back(body):
    ten = _isbn10(body)
    thirteen = isbn.to_isbn13(ten)
    assert thirteen.startswith("978") and thirteen[3:12] == body
    assert isbn.to_isbn10(thirteen) == ten


@given(digits, st.lists(st.sampled_from(["-", " ", "‐"]), max_size=4))
def test_separators_and_lower_case_x_do_not_matter(body, seps):
    ten = _isbn10(body)
    spaced = "".join(c + (seps[i] if i < len(seps) else "") for i, c in enumerate(ten))
    assert isbn.to_isbn13(spaced.lower()) == isbn.to_isbn13(ten)


@given(digits)
def test_a_changed_check_digit_is_rejected_naming_the_right_one(body):
    good = isbn.to_isbn13(_isbn10(body))
    wrong = str((int(good[-1]) + 1) % 10)
    with pytest.raises(isbn.InvalidISBN, match=f"should be {good[-1]}, not {wrong}"):
        isbn.to_isbn13(good[:-1] + wrong)


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_to_isbn13_is_idempotent_on_valid_13s(first12):
    first12 = "979" + first12[3:]
    total = sum((3 if i % 2 else 1) * int(d) for i, d in enumerate(first12))
    valid = first12 + str((10 - total % 10) % 10)
    assert isbn.to_isbn13(valid) == valid
    assert isbn.to_isbn10(valid) is None  # 979 has no ISBN-10


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0-306-40615-2", "9780306406157"),
        ("ISBN 978-0-306-40615-7", "9780306406157"),
        ("080442957X", "9780804429573"),
        ("isbn-10: 0 8044 2957 x", "9780804429573"),
    ],
)
def test_known_isbns(raw, expected):
    assert isbn.to_isbn13(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Enter an ISBN"),
        ("12345", "has 5"),
        ("978030640615", "has 12"),
        ("9780306406158", "checksum digit should be 7, not 8"),
        ("0306406153", "checksum digit should be 2, not 3"),
        ("5901234123457", "starts with 978 or 979"),
        ("97803064O6157", "only digits"),
        ("03064X6152", "nine digits followed by"),
        ("abc", "only the digits 0-9"),
    ],
)
def test_rejections_say_what_is_wrong(raw, message):
    with pytest.raises(isbn.InvalidISBN, match=message):
        isbn.to_isbn13(raw)
    assert not isbn.is_valid(raw)


# Every script's ten decimal digits, zero first (Arabic-Indic, Devanagari, ...).
SCRIPT_ZEROS = sorted(
    {
        chr(code)
        for code in range(0x110000)
        if unicodedata.decimal(chr(code), None) == 0
        and all(unicodedata.decimal(chr(code + n), None) == n for n in range(10))
    }
)


def _in_script(ascii_digits: str, zero: str) -> str:
    return "".join(chr(ord(zero) + int(d)) if d.isdigit() else d for d in ascii_digits)


def test_every_script_with_decimal_digits_is_covered():
    assert len(SCRIPT_ZEROS) > 50
    assert {"٠", "۰", "०", "০", "０", "𝟎"} <= set(SCRIPT_ZEROS)


@given(digits, st.sampled_from(SCRIPT_ZEROS))
def test_digits_of_any_script_read_as_the_same_isbn(body, zero):
    ten = _isbn10(body)
    thirteen = isbn.to_isbn13(ten)
    assert isbn.to_isbn13(_in_script(ten, zero)) == thirteen
    assert isbn.to_isbn13(_in_script(thirteen, zero)) == thirteen


@pytest.mark.parametrize(
    "raw",
    [
        "97804411727¹9",  # superscript one
        "９７８０４４１１７２７１９",  # full-width
        "٩٧٨٠٤٤١١٧٢٧١٩",  # Arabic-Indic
        "978⁰441172719",  # superscript zero
        "978−0441172719",  # minus sign as a separator
    ],
)
def test_compatibility_and_script_digits_give_the_plain_isbn(raw):
    assert isbn.to_isbn13(raw) == "9780441172719"


def test_a_superscript_misprint_is_a_checksum_message_not_a_crash():
    with pytest.raises(isbn.InvalidISBN, match="should be 6, not 9"):
        isbn.to_isbn13("97804411727²9")


@pytest.mark.parametrize("raw", ["978044117271፩", "97804411727𐩀9", "978044117271Ⅸ"])
def test_digits_without_a_decimal_value_are_refused_with_a_message(raw):
    with pytest.raises(isbn.InvalidISBN, match="only"):
        isbn.to_isbn13(raw)


@given(st.text(max_size=40))
def test_any_text_is_an_ascii_isbn13_or_a_message(raw):
    try:
        result = isbn.to_isbn13(raw)
    except isbn.InvalidISBN as exc:
        assert str(exc)
    else:
        assert re.fullmatch(r"97[89][0-9]{10}", result)
        assert isbn.to_isbn13(result) == result
