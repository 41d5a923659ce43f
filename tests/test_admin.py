"""The Django admin for users, books and user books, on SQL and on DynamoDB alike.

On DynamoDB (moto) the admin goes through the manager layer: the tests run
with any SQL on accounts or catalog tables failing (see tests/aws.py).
"""

from decimal import Decimal

import pytest
from django.contrib.admin.utils import quote
from django.urls import reverse

from accounts.models import User
from catalog.models import Book, UserBook
from tests.factories import BookFactory, UserBookFactory, UserFactory
from tests.html_forms import form_values

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("both_modes")]
PASSWORD = "an admin's long passphrase 1"


@pytest.fixture
def admin_client(client):
    admin = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    client.force_login(admin)
    client.admin = admin
    return client


def _record_id(record: UserBook, both_modes: str) -> str:
    """The admin's id of a record: its row id on SQL, owner and book on DynamoDB."""
    if both_modes == "orm":
        return quote(record.pk)
    return quote(f"{record.user_id}:{record.book_id}")


def _body(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_only_staff_reach_the_admin(client):
    reader = UserFactory(password=PASSWORD)
    client.force_login(reader)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_index_lists_the_models_and_my_recent_actions(admin_client):
    page = _body(admin_client.get("/admin/"))
    for name in ("Users", "Books", "User books"):
        assert name in page
    assert "None available" in page
    user = UserFactory(username="noted")
    admin_client.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        _user_form(user, first_name="Noted"),
    )
    page = _body(admin_client.get("/admin/"))
    assert "None available" not in page and "noted" in page


def _user_form(user, **changes):
    data = {
        "username": user.username,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": "on",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_users_list_search_and_filter(admin_client):
    UserFactory(username="alice", email="alice@example.com")
    UserFactory(username="bob", email="bob@books.example", is_staff=True)
    url = reverse("admin:accounts_user_changelist")
    page = _body(admin_client.get(url))
    assert "alice" in page and "bob" in page and "3 users" in page
    page = _body(admin_client.get(url, {"q": "BOOKS.example"}))
    assert "bob" in page and "alice" not in page
    page = _body(admin_client.get(url, {"is_staff__exact": "1"}))
    assert "bob" in page and "alice" not in page and "root" in page


def test_editing_a_user_keeps_emails_unique_and_records_history(admin_client):
    UserFactory(email="taken@example.com")
    user = UserFactory(username="carol", email="carol@example.com")
    url = reverse("admin:accounts_user_change", args=[user.pk])
    assert "carol@example.com" in _body(admin_client.get(url))
    refused = admin_client.post(url, _user_form(user, email="TAKEN@example.com"))
    assert "Another account already uses that email" in _body(refused)
    saved = admin_client.post(url, _user_form(user, first_name="Carol", is_staff="on"))
    assert saved.status_code == 302
    stored = User.objects.get_by_id(user.pk)
    assert stored.first_name == "Carol" and stored.is_staff
    history = _body(
        admin_client.get(reverse("admin:accounts_user_history", args=[user.pk]))
    )
    assert "Changed First name, Staff status" in history and "root" in history


def test_adding_a_user_from_the_admin(admin_client):
    url = reverse("admin:accounts_user_add")
    data = {
        "username": "dave",
        "usable_password": "true",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, _body(response)[:2000]
    dave = User.objects.get_by_natural_key("DAVE")
    assert dave.check_password(PASSWORD)
    again = admin_client.post(url, {**data, "username": "Dave"})
    assert "username is taken" in _body(again)


def test_setting_a_password_from_the_admin(admin_client):
    user = UserFactory(password="old password that is long")
    url = reverse("admin:accounts_user_changelist") + f"{user.pk}/password/"
    response = admin_client.post(
        url,
        {
            "usable_password": "true",
            "password1": "a brand new admin-set phrase",
            "password2": "a brand new admin-set phrase",
        },
    )
    assert response.status_code == 302, _body(response)[:2000]
    assert User.objects.get_by_id(user.pk).check_password(
        "a brand new admin-set phrase"
    )


def test_deleting_a_user_deletes_their_library_too(admin_client):
    user = UserFactory(username="erin")
    kept = UserBookFactory(status="read")
    for status in ("read", "want"):
        UserBookFactory(user=user, status=status)
    url = reverse("admin:accounts_user_delete", args=[user.pk])
    assert "erin" in _body(admin_client.get(url))
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    with pytest.raises(User.DoesNotExist):
        User.objects.get_by_id(user.pk)
    assert UserBook.objects.page_for_user(user).items == []
    assert UserBook.objects.get_for_user(kept.user, kept.book_id)


def test_books_list_search_filter_and_edit(admin_client):
    reader = UserFactory()
    dune = UserBookFactory(user=reader, book=BookFactory(title="Dune")).book
    BookFactory(title="Emma", metadata_status="failed")
    url = reverse("admin:catalog_book_changelist")
    page = _body(admin_client.get(url, {"q": "dun"}))
    assert "Dune" in page and "Emma" not in page
    page = _body(admin_client.get(url, {"metadata_status__exact": "failed"}))
    assert "Emma" in page and "Dune" not in page
    change = reverse("admin:catalog_book_change", args=[quote(dune.pk)])
    form = _body(admin_client.get(change))
    assert 'value="Dune"' in form
    data = {
        "title": "Dune Messiah",
        "authors": '["Frank Herbert"]',
        "metadata_status": "complete",
        "metadata_source": "",
        "language": "",
        "edited_fields": "[]",
        "subjects": "[]",
        "provider_ids": "{}",
    }
    response = admin_client.post(change, data)
    assert response.status_code == 302, _body(response)[:3000]
    assert Book.objects.get_by_key(dune.pk).title == "Dune Messiah"
    # The owner's search follows the edit (sort and search keys refreshed).
    assert UserBook.objects.page_for_user(reader, query="messiah").items


def test_user_books_list_edit_and_delete(admin_client, both_modes):
    ann, bob = UserFactory(username="ann"), UserFactory(username="bob")
    record = UserBookFactory(user=ann, status="want", book=BookFactory(title="Kindred"))
    UserBookFactory(user=bob, status="read", book=BookFactory(title="Beloved"))
    url = reverse("admin:catalog_userbook_changelist")
    page = _body(admin_client.get(url))
    assert "Kindred" in page and "Beloved" in page
    page = _body(admin_client.get(url, {"q": "bob"}))
    assert "Beloved" in page and "Kindred" not in page
    page = _body(admin_client.get(url, {"status__exact": "want"}))
    assert "Kindred" in page and "Beloved" not in page

    change = reverse(
        "admin:catalog_userbook_change", args=[_record_id(record, both_modes)]
    )
    form = admin_client.get(change)
    assert "Kindred" in _body(form)
    data = {
        **form_values(_body(form), "userbook_form"),
        "status": "read",
        "rating": "4.5",
        "notes": "Read it in a weekend.",
    }
    response = admin_client.post(change, data)
    assert response.status_code == 302, _body(response)[:3000]
    stored = UserBook.objects.get_for_user(ann, record.book_id)
    assert (stored.status, stored.rating) == ("read", Decimal("4.5"))
    assert stored.version == record.version + 1
    assert UserBook.objects.status_counts(ann)["read"] == 1

    delete = reverse(
        "admin:catalog_userbook_delete", args=[_record_id(record, both_modes)]
    )
    assert admin_client.post(delete, {"post": "yes"}).status_code == 302
    with pytest.raises(UserBook.DoesNotExist):
        UserBook.objects.get_for_user(ann, record.book_id)
    assert Book.objects.get_by_key(record.book_id)


def test_an_unknown_object_redirects_with_a_message(admin_client):
    response = admin_client.get(
        reverse("admin:accounts_user_change", args=[987654]), follow=True
    )
    assert "doesn’t exist" in _body(response)


@pytest.mark.parametrize("order", ["1", "-1", "2", "-3", "7", "-8.3"])
def test_user_books_sort_by_any_column(admin_client, order):
    for title, status in (("Beloved", "read"), ("Kindred", "want"), ("Jazz", "dnf")):
        UserBookFactory(status=status, book=BookFactory(title=title))
    url = reverse("admin:catalog_userbook_changelist")
    page = _body(admin_client.get(url, {"o": order}))
    assert all(title in page for title in ("Beloved", "Kindred", "Jazz"))


def test_books_sorted_by_title_both_ways(admin_client):
    for title in ("Beloved", "Kindred", "Jazz"):
        BookFactory(title=title)
    url = reverse("admin:catalog_book_changelist")
    # The column's index, as the header's sort link has it (no checkbox column
    # where there are no bulk actions).
    column = str(admin_client.get(url).context["cl"].list_display.index("title"))
    ascending = _body(admin_client.get(url, {"o": column}))
    assert (
        ascending.index("Beloved")
        < ascending.index("Jazz")
        < ascending.index("Kindred")
    )
    descending = _body(admin_client.get(url, {"o": f"-{column}"}))
    assert descending.index("Kindred") < descending.index("Jazz")


def test_a_book_in_a_library_is_protected_from_deletion(admin_client):
    ann = UserFactory(username="ann")
    record = UserBookFactory(user=ann, book=BookFactory(title="Withdrawn"))
    url = reverse("admin:catalog_book_delete", args=[quote(record.book_id)])
    page = _body(admin_client.get(url))
    assert "protected" in page and "ann" in page
    assert admin_client.post(url, {"post": "yes"}).status_code == 200
    assert Book.objects.get_by_key(record.book_id)
    UserBook.objects.remove_for_user(ann, record.book_id)
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    with pytest.raises(Book.DoesNotExist):
        Book.objects.get_by_key(record.book_id)


def test_a_widely_held_book_names_some_owners_and_counts_the_rest(
    admin_client, both_modes
):
    book = BookFactory(title="Bestseller")
    for _ in range(12):
        UserBookFactory(book=book)
    url = reverse("admin:catalog_book_delete", args=[quote(book.pk)])
    page = _body(admin_client.get(url))
    assert "protected" in page
    if both_modes == "dynamodb":
        assert page.count("Bestseller</li>") == 10
        assert "and 2 more copies in other libraries" in page
    assert Book.objects.get_by_key(book.pk)


def test_loans_are_listed_searched_filtered_and_shown(admin_client, both_modes):
    from catalog import services
    from catalog.models import Loan

    ann, bob = UserFactory(username="ann"), UserFactory(username="bob")
    lent = UserBookFactory(user=ann, book=BookFactory(title="Kindred"))
    borrowed = UserBookFactory(user=bob, owned=False)
    services.loan_lend(
        user=ann, book_key=lent.book_id, person="Sam Weller", note="Signed copy"
    )
    services.loan_borrow(user=bob, book_key=borrowed.book_id, person="Tess")
    url = reverse("admin:catalog_loan_changelist")
    page = _body(admin_client.get(url))
    assert "Sam Weller" in page and "Tess" in page
    page = _body(admin_client.get(url, {"q": "sam"}))
    assert "Sam Weller" in page and "Tess" not in page
    page = _body(admin_client.get(url, {"direction__exact": "borrowed"}))
    assert "Tess" in page and "Sam Weller" not in page

    loan = Loan.objects.open_for(ann, lent.book_id)
    object_id = loan.pk if both_modes == "orm" else f"{ann.pk}:{lent.book_id}:{loan.pk}"
    shown = admin_client.get(
        reverse("admin:catalog_loan_change", args=[quote(object_id)])
    )
    assert shown.status_code == 200
    assert "Signed copy" in _body(shown) and "Sam Weller" in _body(shown)
    # The details may be corrected here; the services check them.
    change = reverse("admin:catalog_loan_change", args=[quote(object_id)])
    data = {
        **form_values(_body(shown), "loan_form"),
        "person": "Sam Weller Jr",
        "due_on": "2026-12-24",
    }
    response = admin_client.post(change, data)
    assert response.status_code == 302, _body(response)[:3000]
    saved = Loan.objects.open_for(ann, lent.book_id)
    assert (saved.person, str(saved.due_on), saved.note) == (
        "Sam Weller Jr",
        "2026-12-24",
        "Signed copy",
    )
    refused = admin_client.post(
        change, {**data, "due_on": "2000-01-01", "person": "Typed here"}
    )
    assert refused.status_code == 200
    assert "The due date comes on or after the day lent." in _body(refused)
    assert "Typed here" in _body(refused)
    assert Loan.objects.open_for(ann, lent.book_id).person == "Sam Weller Jr"
