"""The loan operations of the catalog contract, on both backends."""

from datetime import date, timedelta
from itertools import groupby

import pytest
from django.utils import timezone

from catalog.backends.base import LoanAlreadyOpen
from catalog.models import Loan, LoanDirection, UserBook
from tests.factories import UserBookFactory, UserFactory

DAY = date(2026, 3, 1)


def _loan(record, person="Ann", **fields):
    fields.setdefault("lent_on", DAY)
    return Loan(book_key=record.book_id, person=person, **fields)


class LoanContract:
    backend: str

    @pytest.fixture(autouse=True)
    def _use_backend(self, settings, db):
        settings.CATALOG_BACKEND = self.backend

    @pytest.fixture
    def reader(self):
        return UserFactory()

    def test_a_loan_is_stored_with_every_field_and_read_back(self, reader):
        record = UserBookFactory(user=reader)
        stored = Loan.objects.add(
            reader,
            _loan(
                record,
                email="ann@example.com",
                remind_person=True,
                due_on=DAY + timedelta(days=14),
                note="Careful with the cover",
            ),
        )
        found = Loan.objects.open_for(reader, record.book_id)
        assert found.pk == stored.pk
        assert found.user_id == reader.pk
        assert (found.person, found.email, found.remind_person) == (
            "Ann",
            "ann@example.com",
            True,
        )
        assert (found.lent_on, found.due_on, found.returned_on) == (
            DAY,
            DAY + timedelta(days=14),
            None,
        )
        assert found.note == "Careful with the cover"
        assert found.direction == LoanDirection.LENT
        assert found.created_at == stored.created_at
        assert found.is_open

    def test_a_second_open_loan_of_the_same_record_is_refused(self, reader):
        record = UserBookFactory(user=reader)
        Loan.objects.add(reader, _loan(record, "Ann"))
        with pytest.raises(LoanAlreadyOpen) as refused:
            Loan.objects.add(reader, _loan(record, "Bob"))
        assert refused.value.existing.person == "Ann"
        history = Loan.objects.for_book(reader, record.book_id)
        assert [loan.person for loan in history] == ["Ann"]

    def test_another_reader_can_lend_their_own_copy_of_the_same_book(self, reader):
        record = UserBookFactory(user=reader)
        other = UserBookFactory(book=record.book)
        Loan.objects.add(reader, _loan(record, "Ann"))
        Loan.objects.add(other.user, _loan(other, "Bob"))
        assert Loan.objects.open_for(other.user, record.book_id).person == "Bob"
        assert Loan.objects.open_for(reader, record.book_id).person == "Ann"

    def test_returning_closes_the_loan_and_a_new_one_may_follow(self, reader):
        record = UserBookFactory(user=reader)
        Loan.objects.add(reader, _loan(record, "Ann"))
        back_on = DAY + timedelta(3)
        returned = Loan.objects.mark_returned(reader, record.book_id, back_on)
        assert returned.returned_on == DAY + timedelta(3)
        assert not returned.is_open
        assert Loan.objects.open_for(reader, record.book_id) is None
        Loan.objects.add(reader, _loan(record, "Bob", lent_on=DAY + timedelta(5)))
        history = Loan.objects.for_book(reader, record.book_id)
        assert [(x.person, x.returned_on) for x in history] == [
            ("Bob", None),
            ("Ann", DAY + timedelta(3)),
        ]

    def test_returning_a_book_not_on_loan_raises_does_not_exist(self, reader):
        record = UserBookFactory(user=reader)
        with pytest.raises(Loan.DoesNotExist):
            Loan.objects.mark_returned(reader, record.book_id, DAY)
        Loan.objects.add(reader, _loan(record))
        Loan.objects.mark_returned(reader, record.book_id, DAY)
        with pytest.raises(Loan.DoesNotExist):
            Loan.objects.mark_returned(reader, record.book_id, DAY)
        assert len(Loan.objects.for_book(reader, record.book_id)) == 1

    def test_history_is_one_book_of_one_reader_newest_first(self, reader):
        record, other_book = UserBookFactory(user=reader), UserBookFactory(user=reader)
        stranger = UserBookFactory(book=record.book)
        for n in range(3):
            Loan.objects.add(reader, _loan(record, f"P{n}", created_at=timezone.now()))
            Loan.objects.mark_returned(reader, record.book_id, DAY)
        Loan.objects.add(reader, _loan(other_book, "Elsewhere"))
        Loan.objects.add(stranger.user, _loan(stranger, "Stranger's"))
        history = Loan.objects.for_book(reader, record.book_id)
        assert [loan.person for loan in history] == ["P2", "P1", "P0"]
        assert Loan.objects.for_book(reader, "9780000000000") == []

    def test_open_loans_come_by_due_date_none_due_last_one_way_only(self, reader):
        records = [UserBookFactory(user=reader) for _ in range(5)]
        dues = [DAY + timedelta(9), None, DAY + timedelta(2), DAY + timedelta(5), None]
        for n, (record, due) in enumerate(zip(records, dues, strict=True)):
            Loan.objects.add(
                reader,
                _loan(record, f"P{n}", due_on=due, lent_on=DAY - timedelta(n)),
            )
        Loan.objects.mark_returned(reader, records[3].book_id, DAY)
        borrowed = UserBookFactory(user=reader, owned=False)
        Loan.objects.add(
            reader, _loan(borrowed, "Lender", direction=LoanDirection.BORROWED)
        )
        UserBookFactory(user=UserFactory())
        lent = Loan.objects.open_by_due(reader, LoanDirection.LENT, 10)
        # Undated ones by the day lent: P4 was lent before P1.
        assert [loan.person for loan in lent] == ["P2", "P0", "P4", "P1"]
        first_two = Loan.objects.open_by_due(reader, "lent", 2)
        assert [loan.person for loan in first_two] == ["P2", "P0"]
        assert [
            loan.person
            for loan in Loan.objects.open_by_due(reader, LoanDirection.BORROWED, 10)
        ] == ["Lender"]
        assert Loan.objects.open_by_due(UserFactory(), LoanDirection.LENT, 10) == []

    def test_open_loans_for_keys_are_the_open_ones_among_them(self, reader):
        out, back, never = (UserBookFactory(user=reader) for _ in range(3))
        Loan.objects.add(reader, _loan(out, "Ann"))
        Loan.objects.add(reader, _loan(back, "Bob"))
        Loan.objects.mark_returned(reader, back.book_id, DAY)
        keys = [out.book_id, back.book_id, never.book_id]
        found = Loan.objects.open_for_keys(reader, keys)
        assert {k: loan.person for k, loan in found.items()} == {out.book_id: "Ann"}
        assert Loan.objects.open_for_keys(UserFactory(), keys) == {}
        assert Loan.objects.open_for_keys(reader, []) == {}

    def test_a_reader_s_loans_are_all_theirs_by_book_then_age(self, reader):
        first, second = UserBookFactory(user=reader), UserBookFactory(user=reader)
        stranger = UserBookFactory(book=first.book)
        start = timezone.now()
        for n in range(3):
            made = start + timedelta(minutes=n)
            Loan.objects.add(reader, _loan(first, f"P{n}", created_at=made))
            if n < 2:
                Loan.objects.mark_returned(reader, first.book_id, DAY)
        Loan.objects.add(
            reader,
            _loan(second, "Lender", direction=LoanDirection.BORROWED, note="é\n字"),
        )
        Loan.objects.add(stranger.user, _loan(stranger, "Stranger's"))
        found = list(Loan.objects.for_user(reader))
        by_book: dict[str, list[Loan]] = {}
        for loan in found:
            assert loan.user_id == reader.pk
            by_book.setdefault(loan.book_key, []).append(loan)
        # Each book's loans together, oldest first, the open one last.
        runs = [key for key, _ in groupby(x.book_key for x in found)]
        assert sorted(runs) == sorted(by_book)
        assert [x.person for x in by_book[first.book_id]] == ["P0", "P1", "P2"]
        assert [x.returned_on for x in by_book[first.book_id]] == [DAY, DAY, None]
        (borrowed,) = by_book[second.book_id]
        assert (borrowed.direction, borrowed.note) == ("borrowed", "é\n字")
        assert list(Loan.objects.for_user(UserFactory())) == []

    def test_all_loans_lists_everyone_s_loans_newest_first(self, reader):
        mine, theirs = UserBookFactory(user=reader), UserBookFactory()
        Loan.objects.add(reader, _loan(mine, "Ann"))
        Loan.objects.mark_returned(reader, mine.book_id, DAY)
        Loan.objects.add(reader, _loan(mine, "Bob"))
        Loan.objects.add(theirs.user, _loan(theirs, "Cy"))
        found = Loan.objects.all_loans()
        assert [(x.user_id, x.person) for x in found] == [
            (theirs.user_id, "Cy"),
            (reader.pk, "Bob"),
            (reader.pk, "Ann"),
        ]

    def test_removing_a_whole_library_removes_its_loans(self, reader):
        mine, theirs = UserBookFactory(user=reader), UserBookFactory()
        Loan.objects.add(reader, _loan(mine, "Ann"))
        Loan.objects.mark_returned(reader, mine.book_id, DAY)
        Loan.objects.add(reader, _loan(mine, "Bob"))
        Loan.objects.add(theirs.user, _loan(theirs, "Cy"))
        assert UserBook.objects.remove_all_for_user(reader) == 1
        assert Loan.objects.for_book(reader, mine.book_id) == []
        assert Loan.objects.open_by_due(reader, LoanDirection.LENT, 10) == []
        assert [x.person for x in Loan.objects.all_loans()] == ["Cy"]

    def test_loans_due_are_every_readers_open_dated_loans_by_a_day(self, reader):
        other = UserFactory()
        dues = {"Late": -2, "Today": 0, "Soon": 2, "Later": 9}
        for n, (person, days) in enumerate(dues.items()):
            owner = reader if n % 2 else other
            record = UserBookFactory(user=owner)
            Loan.objects.add(owner, _loan(record, person, due_on=DAY + timedelta(days)))
        undated = UserBookFactory(user=reader)
        Loan.objects.add(reader, _loan(undated, "Undated"))
        back = UserBookFactory(user=reader)
        Loan.objects.add(reader, _loan(back, "Back", due_on=DAY - timedelta(5)))
        Loan.objects.mark_returned(reader, back.book_id, DAY)
        due = list(Loan.objects.due_by(DAY + timedelta(2)))
        assert [x.person for x in due] == ["Late", "Today", "Soon"]
        assert {x.user_id for x in due} == {reader.pk, other.pk}
        assert list(Loan.objects.due_by(DAY - timedelta(3))) == []

    def test_a_reminder_is_claimed_once_a_day_and_never_for_a_returned_loan(
        self, reader
    ):
        record = UserBookFactory(user=reader)
        Loan.objects.add(reader, _loan(record, due_on=DAY))
        (loan,) = Loan.objects.due_by(DAY)
        assert Loan.objects.claim_reminder(loan, DAY + timedelta(1))
        assert loan.reminded_on == DAY + timedelta(1)
        (again,) = Loan.objects.due_by(DAY)
        assert again.reminded_on == DAY + timedelta(1)
        assert not Loan.objects.claim_reminder(again, DAY + timedelta(1))
        # A run late for yesterday's never undoes today's.
        assert not Loan.objects.claim_reminder(again, DAY)
        assert Loan.objects.claim_reminder(again, DAY + timedelta(2))
        Loan.objects.mark_returned(reader, record.book_id, DAY + timedelta(2))
        assert not Loan.objects.claim_reminder(again, DAY + timedelta(3))
        (closed,) = Loan.objects.for_book(reader, record.book_id)
        assert closed.reminded_on == DAY + timedelta(2)

    def test_updating_an_open_loan_moves_it_in_the_due_orders(self, reader):
        first, second = UserBookFactory(user=reader), UserBookFactory(user=reader)
        Loan.objects.add(reader, _loan(first, "Ann", due_on=DAY + timedelta(1)))
        Loan.objects.add(reader, _loan(second, "Bob", due_on=DAY + timedelta(5)))
        loan = Loan.objects.open_for(reader, first.book_id)
        loan.due_on, loan.note = DAY + timedelta(9), "Extended"
        saved = Loan.objects.update_for_user(reader, loan, ["due_on", "note"])
        assert (saved.due_on, saved.note, saved.person) == (
            DAY + timedelta(9),
            "Extended",
            "Ann",
        )
        lent = Loan.objects.open_by_due(reader, LoanDirection.LENT, 10)
        assert [x.person for x in lent] == ["Bob", "Ann"]
        assert [x.person for x in Loan.objects.due_by(DAY + timedelta(5))] == ["Bob"]
        loan.due_on = None
        Loan.objects.update_for_user(reader, loan, ["due_on"])
        assert list(Loan.objects.due_by(DAY + timedelta(30))) == [
            Loan.objects.open_for(reader, second.book_id)
        ]

    def test_updating_a_returned_loan_keeps_it_returned(self, reader):
        record = UserBookFactory(user=reader)
        Loan.objects.add(reader, _loan(record, "Ann"))
        Loan.objects.mark_returned(reader, record.book_id, DAY + timedelta(2))
        (loan,) = Loan.objects.for_book(reader, record.book_id)
        loan.person = "Ann Smith"
        Loan.objects.update_for_user(reader, loan, ["person"])
        (saved,) = Loan.objects.for_book(reader, record.book_id)
        assert (saved.person, saved.returned_on) == ("Ann Smith", DAY + timedelta(2))
        assert Loan.objects.open_for(reader, record.book_id) is None
        stranger = UserFactory()
        with pytest.raises(Loan.DoesNotExist):
            Loan.objects.update_for_user(stranger, loan, ["person"])


class TestOrmLoans(LoanContract):
    backend = "catalog.backends.orm.OrmCatalogBackend"


@pytest.mark.usefixtures("aws_tables")
class TestDynamoLoans(LoanContract):
    backend = "catalog.backends.dynamodb.DynamoCatalogBackend"
