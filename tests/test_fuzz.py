"""Fuzzing every form and JSON endpoint: no input gives a 500 or stores bad data.

Hypothesis feeds each endpoint control characters, NUL, very long strings,
right-to-left text, emoji, digits of every script, and malformed dates and
numbers, on the ORM and on DynamoDB (moto). After each example the store must
hold only what the forms accept: every record passes its own edit form, every
account its model's validation, and the counts add up.
"""

import io
import re
from decimal import Decimal

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import validators
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.keys import fold
from accounts.models import User
from catalog import isbn as isbn_tools
from catalog.forms import UserBookForm
from catalog.models import MANUAL_KEY_PREFIX, Book, ReadingStatus, UserBook
from catalog.services import clean_corrections
from catalog.services.corrections import validate_authors
from catalog.shown import CORRECTABLE_FIELDS
from tests.factories import BookFactory, UserBookFactory, UserFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("both_modes", "fake_provider"),
]
PASSWORD = "the reader's own passphrase 1"
FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# Characters that have broken web apps: controls, NUL, bidi overrides, joiners,
# a byte-order mark, emoji, digits that are not ASCII, markup and quotes.
NASTY_CHARS = [
    "\x00",
    "\x01",
    "\x08",
    "\x1b",
    "\x7f",
    "\x85",
    "\t",
    "\r\n",
    "\u200b",
    "\u200d",
    "\u200f",
    "\u202e",
    "\u2066",
    "\u2028",
    "\ufeff",
    "\ufffd",
    "😀",
    "👩\u200d👩\u200d👧",
    "🇫🇷",
    "²",
    "٣",
    "۹",
    "߉",
    "१",
    "𝟗",
    "９",
    "Ⅸ",
    "፩",
    "ß",
    "İ",
    "ﬁ",
    "ǅ",
    "<script>",
    "'",
    '"',
    "%",
    "\\",
    "&amp;",
    "{{ x }}",
    ",",
    "#",
    "/",
]
SCRIPT_DIGITS = [
    chr(code)
    for code in (0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xE50, 0xFF10, 0x1D7CE)
]
MALFORMED = [
    "",
    " ",
    "0",
    "-1",
    "1.5",
    "1e309",
    "NaN",
    "inf",
    "-0",
    "99999999999999999999999999",
    "2024-02-30",
    "2024-13-01",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "31/12/2024",
    "2024-1-1",
    "２０２４-０１-０１",
    "٢٠٢٤-٠١-٠١",
    "true",
    "None",
    "null",
    "[]",
    "{}",
    "6",
    "5.0",
    "4.50",
    "0.25",
]


def _digits_in(script_zero: str, text: str) -> str:
    return "".join(chr(ord(script_zero) + int(c)) if c.isdigit() else c for c in text)


# Any character a request can carry (UTF-8 has no lone surrogates).
nasty_piece = st.one_of(st.sampled_from(NASTY_CHARS), st.characters(codec="utf-8"))
nasty_text = st.one_of(
    st.lists(nasty_piece, max_size=25).map("".join),
    st.sampled_from(MALFORMED),
    st.builds(
        lambda chunk, n: chunk * n,
        st.sampled_from([*NASTY_CHARS, "a", "9"]),
        st.integers(200, 3000),
    ),
    st.builds(
        _digits_in,
        st.sampled_from(SCRIPT_DIGITS),
        st.sampled_from(
            [
                "9780441172719",
                "0441172717",
                "978-0-441-17271-9",
                "2024-05-01",
                "4.5",
                "12",
            ]
        ),
    ),
)
status_text = st.one_of(st.sampled_from(ReadingStatus.values), nasty_text)
a_key = st.one_of(
    st.sampled_from(["9780441172719", "M0000000000000000", "x"]),
    st.lists(nasty_piece, min_size=1, max_size=25).map("".join),
    st.just("9" * 3000),
).filter(lambda key: "/" not in key and key.strip() != "")


@pytest.fixture
def reader(both_modes):
    """A reader with one book (no cover yet) in their library."""
    user = UserFactory(username="Élise", email="elise@example.com", password=PASSWORD)
    record = UserBookFactory(user=user, book=BookFactory(title="Owned"))
    return {"user": user, "key": record.book_id}


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _posted(client, url, data, **extra):
    response = client.post(url, data, **extra)
    assert response.status_code < 500, (url, data)
    return response


# What the store may hold ------------------------------------------------------

_NAME = validators.ProhibitNullCharactersValidator()


def _assert_accounts_valid() -> None:
    users = User.objects.all_users()
    for user in users:
        user.clean_fields(exclude=["password", "last_login", "date_joined"])
        for value in (user.username, user.email, user.first_name, user.last_name):
            _NAME(value)
        if user.email:
            validators.validate_email(user.email)
    usernames = [fold(u.username) for u in users]
    emails = [fold(u.email) for u in users if u.email]
    assert len(set(usernames)) == len(usernames), usernames
    assert len(set(emails)) == len(emails), emails


def _form_data(record: UserBook) -> dict:
    """The record as its edit form would post it back."""
    form = UserBookForm.for_record(record)
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is False or value is None:
            continue
        data[name] = "on" if value is True else value
    return data


def _assert_library_valid(user) -> None:
    counts = UserBook.objects.status_counts(user)
    records = UserBook.objects.page_for_user(user, limit=200).items
    assert counts["all"] == len(records), counts
    assert counts["all"] == sum(counts[s] for s in ReadingStatus.values), counts
    for record in records:
        assert record.status in ReadingStatus.values
        assert record.rating is None or Decimal("0.5") <= record.rating <= 5
        form = UserBookForm(
            _form_data(record), user_id=record.user_id, book_key=record.book_id
        )
        assert form.is_valid(), (record.book_id, form.errors)
        typed = {k: v for k, v in record.corrections.items() if k in CORRECTABLE_FIELDS}
        assert clean_corrections(typed) == typed
        _assert_book_valid(record.book)


def _assert_book_valid(book: Book) -> None:
    if book.isbn13:
        assert book.pk == book.isbn13 == isbn_tools.to_isbn13(book.pk)
        assert re.fullmatch(r"97[89][0-9]{10}", book.pk)
    else:
        assert re.fullmatch(MANUAL_KEY_PREFIX + r"[0-9A-F]{16}", book.pk), book.pk
    try:
        book.clean_fields(exclude=["key", "cover", "cover_thumb"])
    except ValidationError as exc:  # pragma: no cover - the failure message
        pytest.fail(f"{book.pk}: {exc}")
    for value in (book.title, book.subtitle, book.publisher, book.publish_date):
        _NAME(value)
    validate_authors(book.authors)
    for author in book.authors:
        _NAME(author)
        assert author.strip()
    assert book.pages is None or 1 <= book.pages <= 100000


# Accounts ---------------------------------------------------------------------


@FUZZ
@given(
    username=st.one_of(nasty_text, st.from_regex(r"[\w.@+-]{1,30}", fullmatch=True)),
    email=st.one_of(nasty_text, st.emails()),
    password=st.one_of(nasty_text, st.just(PASSWORD)),
    back=st.one_of(nasty_text, st.sampled_from(["/books", "//evil.example/", "0"])),
)
def test_fuzz_sign_up(reader, username, email, password, back):
    data = {
        "username": username,
        "email": email,
        "password1": password,
        "password2": password,
        "next": back,
    }
    _posted(_client(), reverse("accounts:signup"), data)
    _assert_accounts_valid()


@FUZZ
@given(
    username=st.one_of(nasty_text, st.sampled_from(["élise", "ÉLISE", "E\u0301lise"])),
    password=nasty_text,
)
def test_fuzz_log_in(reader, username, password):
    response = _posted(
        _client(),
        reverse("accounts:login"),
        {"username": username, "password": password},
    )
    assert response.status_code == 200  # never logged in without the password


@FUZZ
@given(first=nasty_text, last=nasty_text, email=nasty_text)
def test_fuzz_profile(reader, first, last, email):
    data = {"first_name": first, "last_name": last, "email": email}
    _posted(_client(reader["user"]), reverse("accounts:profile"), data)
    _assert_accounts_valid()


@FUZZ
@given(old=st.one_of(nasty_text, st.just(PASSWORD)), new1=nasty_text, new2=nasty_text)
def test_fuzz_password_change(reader, old, new1, new2):
    user = User.objects.get_by_id(reader["user"].pk)
    data = {"old_password": old, "new_password1": new1, "new_password2": new2}
    response = _posted(_client(user), reverse("accounts:password-change"), data)
    stored = User.objects.get_by_id(user.pk)
    if response.status_code == 302:
        assert stored.check_password(new1)
        stored.set_password(PASSWORD)
        stored.save()
    assert stored.check_password(PASSWORD)


@FUZZ
@given(email=nasty_text, new1=nasty_text, new2=nasty_text)
def test_fuzz_password_reset(reader, email, new1, new2):
    _posted(_client(), reverse("accounts:password-reset"), {"email": email})
    user = User.objects.get_by_id(reader["user"].pk)
    client = _client()
    url = reverse(
        "accounts:password-reset-confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    set_password = client.get(url)["Location"]
    data = {"new_password1": new1, "new_password2": new2}
    response = _posted(client, set_password, data)
    if response.status_code == 302:
        assert User.objects.get_by_id(user.pk).check_password(new1)
    _assert_accounts_valid()


# Adding books -----------------------------------------------------------------

isbn_text = st.one_of(
    nasty_text,
    st.builds(
        _digits_in,
        st.sampled_from(SCRIPT_DIGITS),
        st.sampled_from(["9780441172719", "0441172717", "9780140328721"]),
    ),
)


@FUZZ
@given(isbn=isbn_text, status=status_text, owned=st.booleans(), location=nasty_text)
def test_fuzz_add_by_isbn(reader, isbn, status, owned, location):
    data = {
        "mode": "isbn",
        "isbn-isbn": isbn,
        "isbn-status": status,
        "isbn-location": location,
    }
    if owned:
        data["isbn-owned"] = "on"
    _posted(_client(reader["user"]), reverse("catalog:book-add"), data)
    _assert_library_valid(reader["user"])


@FUZZ
@given(
    title=nasty_text,
    authors=nasty_text,
    isbn=st.one_of(st.just(""), isbn_text),
    publish_date=nasty_text,
    pages=nasty_text,
    language=nasty_text,
    status=status_text,
)
def test_fuzz_add_by_hand(
    reader, title, authors, isbn, publish_date, pages, language, status
):
    data = {
        "mode": "manual",
        "manual-title": title,
        "manual-subtitle": title[::-1],
        "manual-authors": authors,
        "manual-isbn": isbn,
        "manual-publisher": authors[:50],
        "manual-publish_date": publish_date,
        "manual-pages": pages,
        "manual-language": language,
        "manual-status": status,
        "manual-location": publish_date,
    }
    _posted(_client(reader["user"]), reverse("catalog:book-add"), data)
    _assert_library_valid(reader["user"])


@FUZZ
@given(isbn=isbn_text, status=status_text)
def test_fuzz_scanner(reader, isbn, status):
    data = {"isbn": isbn, "status": status}
    _posted(_client(reader["user"]), reverse("catalog:add-scanner"), data)
    _assert_library_valid(reader["user"])


@FUZZ
@given(
    isbns=st.lists(isbn_text, max_size=6),
    status=st.one_of(st.none(), status_text),
    back=nasty_text,
)
def test_fuzz_add_many(reader, isbns, status, back):
    data = {"isbns": isbns, "next": back}
    if status is not None:
        data["status"] = status
    _posted(_client(reader["user"]), reverse("catalog:add-many"), data)
    _assert_library_valid(reader["user"])


@FUZZ
@given(isbn=isbn_text, method=st.sampled_from(["get", "post"]))
def test_fuzz_lookup(reader, isbn, method):
    client = _client(reader["user"])
    url = reverse("catalog:book-lookup")
    response = getattr(client, method)(url, {"isbn": isbn})
    assert response.status_code in (200, 400, 404)
    data = response.json()
    assert ("error" in data) == (response.status_code != 200)
    _assert_library_valid(reader["user"])


# Finding books ----------------------------------------------------------------


@FUZZ
@given(query=nasty_text, status=nasty_text, sort=nasty_text, cursor=nasty_text)
def test_fuzz_search(reader, query, status, sort, cursor):
    client = _client(reader["user"])
    response = client.get(reverse("catalog:add-search"), {"q": query})
    assert response.status_code == 200
    listing = {"q": query, "status": status, "sort": sort, "cursor": cursor}
    assert client.get(reverse("catalog:book-list"), listing).status_code == 200
    cards = client.get(reverse("catalog:book-cards"), {"keys": query})
    assert cards.status_code == 200


# One's own record of a book ---------------------------------------------------


@FUZZ
@given(
    status=status_text,
    rating=nasty_text,
    started=nasty_text,
    finished=nasty_text,
    location=nasty_text,
    notes=nasty_text,
    version=st.one_of(nasty_text, st.integers().map(str)),
    owned=st.booleans(),
)
def test_fuzz_record_edit_form(
    reader, status, rating, started, finished, location, notes, version, owned
):
    data = {
        "status": status,
        "rating": rating,
        "started_on": started,
        "finished_on": finished,
        "location": location,
        "notes": notes,
        "version": version,
    }
    if owned:
        data["owned"] = "on"
    url = reverse("catalog:book-detail", kwargs={"key": reader["key"]})
    _posted(_client(reader["user"]), url, data)
    _assert_library_valid(reader["user"])


@FUZZ
@given(
    title=nasty_text,
    authors=nasty_text,
    pages=nasty_text,
    published=nasty_text,
    description=nasty_text,
    version=st.one_of(nasty_text, st.integers().map(str)),
    loaded=nasty_text,
)
def test_fuzz_corrections_form(
    reader, title, authors, pages, published, description, version, loaded
):
    data = {
        "title": title,
        "authors": authors,
        "pages": pages,
        "publish_date": published,
        "description": description,
        "version": version,
        "loaded": loaded,
    }
    url = reverse("catalog:book-correct", kwargs={"key": reader["key"]})
    _posted(_client(reader["user"]), url, data)
    _assert_library_valid(reader["user"])


@FUZZ
@given(key=a_key)
def test_fuzz_remove_and_other_book_pages(reader, key):
    client = _client(reader["user"])
    for name in ("book-detail", "book-details", "book-remove"):
        url = reverse(f"catalog:{name}", kwargs={"key": key})
        assert client.get(url).status_code in (200, 404)
    for name in ("book-remove", "book-refresh"):
        _posted(client, reverse(f"catalog:{name}", kwargs={"key": key}), {})
    counts = UserBook.objects.status_counts(reader["user"])
    assert counts["all"] == 1  # only its own key could remove the book
    _assert_library_valid(reader["user"])


def _png_prefix() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, "PNG")
    return out.getvalue()


@FUZZ
@given(
    raw=st.one_of(
        st.binary(max_size=2000),
        st.builds(lambda cut: _png_prefix()[:cut], st.integers(0, 80)),
        st.builds(lambda tail: _png_prefix()[:40] + tail, st.binary(max_size=200)),
    ),
    name=nasty_text,
)
def test_fuzz_cover_upload(reader, raw, name):
    # A browser sends the file's own name, never a path (Django refuses those).
    name = re.sub(r"[/\\]", "", name)[:100].strip(".") or "cover"
    upload = SimpleUploadedFile(name, raw, content_type="image/png")
    url = reverse("catalog:book-cover", kwargs={"key": reader["key"]})
    _posted(_client(reader["user"]), url, {"photo": upload})
    book = Book.objects.get_by_key(reader["key"])
    assert not book.cover or "cover" in book.edited_fields
    _assert_library_valid(reader["user"])
