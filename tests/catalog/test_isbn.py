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
        ("abc", "only digits"),
    ],
)
def test_rejections_say_what_is_wrong(raw, message):
    with pytest.raises(isbn.InvalidISBN, match=message):
        isbn.to_isbn13(raw)
    assert not isbn.is_valid(raw)
