"""ISBN fields open a keyboard that has an X (an ISBN-10 may end in one)."""

import re

import pytest
from django.urls import reverse

from catalog.forms import AddByIsbnForm, ManualBookForm, ScannerForm

ENDS_IN_X = "0-8044-2957-x"  # ISBN-10 whose check digit is X
ITS_ISBN13 = "9780804429573"
KEYBOARD = {
    "inputmode": "text",
    "autocapitalize": "characters",
    "autocomplete": "off",
    "spellcheck": "false",
}


def _isbn_inputs(html: str) -> list[str]:
    return re.findall(r'<input[^>]*name="(?:[a-z]+-)?isbn"[^>]*>', html)


@pytest.mark.parametrize(
    ("url", "count"),
    [("catalog:book-add", 2), ("catalog:add-scanner", 1)],
)
@pytest.mark.usefixtures("both_modes")
def test_every_isbn_field_asks_for_a_text_keyboard_in_capitals(user_client, url, count):
    inputs = _isbn_inputs(user_client.get(reverse(url)).content.decode())
    assert len(inputs) == count
    for tag in inputs:
        for name, value in KEYBOARD.items():
            assert f'{name}="{value}"' in tag, (name, tag)
        assert "numeric" not in tag
        assert "pattern=" not in tag  # the server checks, whatever is typed


@pytest.mark.parametrize(
    ("form_class", "data"),
    [
        (AddByIsbnForm, {"status": "want"}),
        (ManualBookForm, {"title": "Amerika", "status": "want"}),
        (ScannerForm, {"status": "want"}),
    ],
)
def test_an_isbn_ending_in_x_is_accepted_either_case(form_class, data):
    for typed in (ENDS_IN_X, ENDS_IN_X.upper()):
        form = form_class(data={**data, "isbn": typed})
        assert form.is_valid(), form.errors
        assert form.cleaned_data["isbn"] == ITS_ISBN13


def test_a_wrong_check_letter_is_refused_with_a_message():
    form = AddByIsbnForm(data={"isbn": "0-8044-2958-X", "status": "want"})
    assert not form.is_valid()
    assert form.errors["isbn"]
