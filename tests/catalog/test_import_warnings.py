"""Rows with something left out or changed: warnings the reader sees."""

import json
import re
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog import services
from catalog.models import ImportJob, Loan, UserBook
from catalog.services import imports as import_service
from tests.imports.helpers import fixture_bytes

pytestmark = pytest.mark.django_db

HOBBIT = "9780547928227"


def _import(user, name: str, data: bytes | None = None, **options) -> ImportJob:
    upload = SimpleUploadedFile(name, fixture_bytes(name) if data is None else data)
    job = services.import_start(
        user=user, uploaded_file=upload, file_name=name, **options
    )
    return services.import_run(user_id=user.pk, import_id=job.pk)


def _page(client, job: ImportJob) -> str:
    response = client.get(reverse("catalog:import", args=[job.pk]))
    assert response.status_code == 200
    return re.sub(r"\s+", " ", unescape(response.content.decode()))


def _lent_ahead() -> bytes:
    """The LibraryThing sample with The Hobbit lent from a day far ahead."""
    text = fixture_bytes("librarything.tsv").decode()
    return text.replace(
        "Zoë Martín\tReturned\t[2021-01-02]\t[2021-02-14]",
        "Zoë Martín\tOn loan\t[2099-01-02]\t",
    ).encode()


def test_a_loan_the_services_refuse_is_a_warning_and_the_row_imported(
    both_modes, user, other_user, user_client
):
    plain = _import(other_user, "librarything.tsv")
    assert Loan.objects.for_book(other_user, HOBBIT)
    assert not any("loan" in w["reason"] for w in plain.warnings)
    job = _import(user, "librarything.tsv", _lent_ahead())
    assert (job.imported, job.failed) == (plain.imported, plain.failed)
    assert UserBook.objects.get_for_user(user, HOBBIT)
    assert Loan.objects.for_book(user, HOBBIT) == []
    (warning,) = [w for w in job.warnings if "loan" in w["reason"]]
    assert warning["line"] == 2
    assert warning["reason"].startswith(
        "the loan to Zoë Martín was not recorded: This day cannot be ahead"
    )
    assert job.warned == len(job.warnings) >= 1
    stored = ImportJob.objects.get_for_user(user.pk, job.pk)
    assert (stored.warned, stored.warnings) == (job.warned, job.warnings)
    assert not any("loan" in e["reason"] for e in stored.errors)

    page = _page(user_client, job)
    assert '<h2 class="h5" id="import-warnings-title">Warnings</h2>' in page
    assert "Something in these rows was left out or changed." in page
    assert "Line 2: the loan to Zoë Martín was not recorded: This day" in page
    assert re.search(rf'id="count-warned"> {job.warned} <', page)
    status = user_client.get(reverse("catalog:import-status", args=[job.pk])).json()
    assert status["warned"] == job.warned
    assert f"{job.warned} warning" in status["text"]


def _native(records: list[dict]) -> bytes:
    envelope = {"format": "booklibrary", "version": 1, "exported_at": "2026-01-01"}
    return json.dumps({**envelope, "records": records}).encode()


def test_a_second_open_loan_and_a_refused_return_are_warnings(both_modes, user):
    loans = [
        {"direction": "lent", "person": "Ann", "lent_on": "2024-01-01"},
        {"direction": "borrowed", "person": "Ben", "lent_on": "2024-02-01"},
        {
            "direction": "lent",
            "person": "Cy",
            "lent_on": "2023-01-01",
            "returned_on": "2099-01-01",
        },
    ]
    data = _native([{"isbn13": HOBBIT, "title": "The Hobbit", "loans": loans}])
    job = _import(user, "mine.json", data)
    assert (job.imported, job.failed) == (1, 0)
    reasons = [w["reason"] for w in job.warnings]
    assert reasons[0].startswith(
        "the return of the loan to Cy was not recorded: The day returned cannot"
    )
    # Cy's loan stays open (its return refused): the open ones cannot follow.
    assert reasons[1] == (
        "the loan to Ann was not recorded: This copy is already lent to Cy "
        "(since 1 Jan 2023). Mark it returned first."
    )
    assert reasons[2].startswith("the loan from Ben was not recorded: ")
    assert job.warned == 3
    (open_loan,) = Loan.objects.for_book(user, HOBBIT)
    assert open_loan.person == "Cy" and open_loan.returned_on is None


def test_an_asin_and_a_rounded_rating_are_shown_as_warnings(
    both_modes, user, user_client
):
    job = _import(user, "storygraph.csv")
    reasons = [(w["line"], w["reason"]) for w in job.warnings]
    assert [line for line, _ in reasons] == [2, 5, 5]
    assert "rating 3.75 in Star Rating rounded to 4.0" in reasons[0][1]
    assert "B07HKKPR5H in ISBN/UID is an Amazon ASIN, not an ISBN" in reasons[1][1]
    assert "rating 2.25 in Star Rating rounded to 2.5" in reasons[2][1]
    assert job.warned == 3
    page = _page(user_client, job)
    assert "Line 5: B07HKKPR5H in ISBN/UID is an Amazon ASIN, not an ISBN" in page
    assert "Lines 2 to 3: rating 3.75 in Star Rating rounded to 4.0" in page


def test_a_row_repeating_an_earlier_one_is_named_with_it(both_modes, user):
    text = fixture_bytes("goodreads_23.csv").decode()
    header, first = text.splitlines()[:2]
    doubled = f"{header}\n{first}\n{first}\n"
    job = _import(user, "goodreads_23.csv", doubled.encode())
    assert (job.imported, job.duplicate, job.warned) == (1, 1, 1)
    (warning,) = job.warnings
    assert warning["line"] == 3
    assert warning["reason"].startswith("the same book as line 2")


def test_the_page_never_says_a_repeated_row_was_imported(both_modes, user, user_client):
    text = fixture_bytes("goodreads_23.csv").decode()
    header, first = text.splitlines()[:2]
    job = _import(user, "goodreads_23.csv", f"{header}\n{first}\n{first}\n".encode())
    page = _page(user_client, job)
    assert (
        "Line 3: the same book as line 2 (the first wins): this row was left out."
        in page
    )
    assert "Something in these rows was left out or changed." in page
    assert "imported with" not in page.lower()
    assert "were imported" not in page
    assert re.search(r'id="count-duplicate"> 1 <', page)


def test_warnings_are_counted_past_those_kept(both_modes, user, monkeypatch):
    monkeypatch.setattr(import_service, "WARNINGS_KEPT", 2)
    text = fixture_bytes("goodreads_23.csv").decode()
    header, first = text.splitlines()[:2]
    data = "\n".join([header] + [first] * 5) + "\n"
    job = _import(user, "goodreads_23.csv", data.encode())
    assert (job.duplicate, job.warned, len(job.warnings)) == (4, 4, 2)
    assert [w["line"] for w in job.warnings] == [3, 4]


def test_the_page_says_how_many_warnings_are_not_listed(
    both_modes, user, user_client, monkeypatch
):
    from catalog.views import imports as import_views

    monkeypatch.setattr(import_views, "WARNINGS_SHOWN", 1)
    text = fixture_bytes("goodreads_23.csv").decode()
    header, first = text.splitlines()[:2]
    job = _import(user, "g.csv", "\n".join([header] + [first] * 4).encode())
    page = _page(user_client, job)
    assert "Line 3: the same book as line 2" in page
    assert "Line 4: the same book" not in page
    assert "And 2 more." in page


def test_values_a_record_cannot_keep_are_warnings(both_modes, user, user_client):
    job = _import(user, "librarything.tsv")
    (languages,) = [w for w in job.warnings if "languages" in w["reason"]]
    assert languages["line"] == 4  # Les Misérables: "French, English"
    assert languages["reason"] == (
        "Languages names 2 languages; a book keeps one, the first: French."
    )
    shelf = (
        "title,author_text,remote_id,isbn_13,shelf,shelf_name\n"
        "Dune,Frank Herbert,https://example.org/1,9780441172719,"
        "favourites,Favourites\n"
    )
    job = _import(user, "bookwyrm.csv", shelf.encode())
    (warning,) = job.warnings
    assert warning["reason"].startswith("shelf “Favourites” is not a reading status")
    calibre = (
        "title,authors,author_sort,languages\n"
        'Dune,Frank Herbert,"Herbert, Frank","eng, fra"\n'
        "???,Nobody,Nobody,\n"
    )
    job = _import(user, "calibre.csv", calibre.encode())
    assert [w["line"] for w in job.warnings] == [2, 3]
    assert "the first: eng" in job.warnings[0]["reason"]
    assert "importing this file again adds it again" in job.warnings[1]["reason"]
    page = _page(user_client, job)
    assert "Line 3: no ISBN and no letters or digits in the title" in page


def test_the_list_of_imports_counts_the_warnings(both_modes, user, user_client):
    _import(user, "storygraph.csv")
    response = user_client.get(reverse("catalog:imports"))
    page = re.sub(r"\s+", " ", unescape(response.content.decode()))
    assert "5 imported, 0 failed, 3 warned" in page


def test_an_import_stored_before_warnings_reads_as_none(dynamo_mode, user):
    from booklibrary import dynamodb
    from catalog.backends.dynamodb.imports import job_pk
    from catalog.backends.dynamodb.items import users_table

    job = _import(user, "storygraph.csv")
    dynamodb.client().update_item(
        TableName=users_table(),
        Key={"pk": {"S": job_pk(user.pk, job.pk)}},
        UpdateExpression="REMOVE warned, warnings",
    )
    older = ImportJob.objects.get_for_user(user.pk, job.pk)
    assert (older.warned, older.warnings, older.imported) == (0, [], 5)


def test_values_a_record_refuses_are_cleaned_and_the_row_imported(
    both_modes, user, user_client
):
    long_series = "S" * 120
    text = (
        "Book Id,Title,Author,ISBN13,Exclusive Shelf,Bookshelves,My Rating,"
        "Date Read,My Review\n"
        '1,"Dune (' + long_series + ', #1)",Frank Herbert,9780441172719,read,'
        "\"=cmd|' /C calc'!A0, sci-fi, |\",4,1850/01/01,"
        "<p>Spice &amp; sand.</p>\n"
    )
    job = _import(user, "g.csv", text.encode())
    assert (job.imported, job.failed) == (1, 0), job.errors
    record = UserBook.objects.get_for_user(user, "9780441172719")
    assert record.tags == ["=cmd/' /C calc'!A0", "sci-fi"]
    assert (record.status, record.finished_on) == ("read", None)
    assert record.corrections["series"] == [{"name": "S" * 100, "position": "1"}]
    assert record.notes == "Review:\nSpice & sand."
    reasons = [w["reason"] for w in job.warnings]
    assert [w["line"] for w in job.warnings] == [2, 2, 2, 2]
    assert reasons[0] == (
        "tag “=cmd|' /C calc'!A0” holds “|”, which a book cannot keep: imported "
        "as “=cmd/' /C calc'!A0”."
    )
    assert not any("save again" in reason for reason in reasons)
    assert "Line 2: tag “|” holds nothing but “|”" in _page(user_client, job)
