"""The admin's change list over a list of objects: search, filters, order, pages."""

import contextlib
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.admin.views.main import ChangeList
from django.db.models.expressions import OrderBy
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import smart_split, unescape_string_literal

# How a yes/no filter says "yes" in the query string.
_TRUE = {"1", "true", "True", "yes"}


def resolve(obj: Any, path: str) -> Any:
    """Follow ``book__title`` style paths through attributes."""
    value = obj
    for part in path.split("__"):
        if value is None:
            return None
        value = getattr(value, "pk" if part == "pk" else part)
        if callable(value):
            value = value()
    return value


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return " ".join(_as_text(v) for v in value)
    return str(value)


def _field_matches(field: str, obj: Any, word: str) -> bool:
    text = _as_text(resolve(obj, field.lstrip("=^@"))).casefold()
    if field.startswith("="):
        return text == word
    if field.startswith("^"):
        return text.startswith(word)
    return word in text


def matches_search(obj: Any, query: str, search_fields: list[str]) -> bool:
    """Apply the admin's search the way Django does: every word, some field."""
    for word in smart_split(query):
        if word[:1] in {'"', "'"} and word[-1:] == word[0]:
            with contextlib.suppress(ValueError):
                word = unescape_string_literal(word)
        word = word.casefold()
        if not any(_field_matches(field, obj, word) for field in search_fields):
            return False
    return True


def _bound(value: Any, raw: str) -> Any:
    """Turn a filter's query-string value into something ``value`` compares with."""
    if isinstance(value, bool):
        return raw in _TRUE
    if isinstance(value, datetime):
        parsed = parse_datetime(raw) or datetime.combine(parse_date(raw), time.min)
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        return parsed
    if isinstance(value, date):
        return parse_date(raw[:10])
    if isinstance(value, Decimal):
        try:
            return Decimal(raw)
        except InvalidOperation:
            return raw
    return raw


def matches_lookup(obj: Any, lookup: str, raw_values: Any) -> bool:
    """Apply one filter parameter (``status__exact=read`` and the like)."""
    raw = raw_values[-1] if isinstance(raw_values, list | tuple) else raw_values
    path, _, op = lookup.rpartition("__")
    if op not in {"exact", "isnull", "gte", "lt", "lte", "gt"}:
        path, op = lookup, "exact"
    value = resolve(obj, path)
    if op == "isnull":
        return (value is None or value == "") == (raw in _TRUE)
    if value is None:
        return False
    bound = _bound(value, raw)
    if op == "exact":
        return value == bound if not isinstance(bound, str) else str(value) == bound
    try:
        return {
            "gte": value >= bound,
            "gt": value > bound,
            "lte": value <= bound,
            "lt": value < bound,
        }[op]
    except TypeError:
        return False


def ordered(objects: list, ordering: list) -> list:
    """Sort like ``order_by(*ordering)``: missing values first, as SQLite does."""
    result = list(objects)
    for field in reversed([f for f in ordering if isinstance(f, str | OrderBy)]):
        if isinstance(field, OrderBy):
            descending = field.descending
            field = getattr(field.expression, "name", None)
            if field is None:
                continue
        else:
            descending = field.startswith("-")
            field = field.lstrip("-")

        def key(obj, field=field):
            value = resolve(obj, field)
            return (value is not None, value if value is not None else 0)

        try:
            result.sort(key=key, reverse=descending)
        except TypeError:
            result.sort(key=lambda obj, field=field: str(resolve(obj, field)))
    return result


class ManagerChangeList(ChangeList):
    """Django's change list over the manager's objects instead of a QuerySet."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.date_hierarchy = None  # its drill-down runs date queries

    def get_results(self, request: Any) -> None:
        objects = self.model_admin.manager_objects(request)
        full_result_count = len(objects)
        for spec in self.filter_specs:
            for lookup, values in getattr(spec, "used_parameters", {}).items():
                objects = [o for o in objects if matches_lookup(o, lookup, values)]
        if self.query:
            objects = [
                o for o in objects if matches_search(o, self.query, self.search_fields)
            ]
        objects = ordered(objects, self.get_ordering(request, self.root_queryset))
        paginator = self.model_admin.get_paginator(request, objects, self.list_per_page)
        self.result_count = paginator.count
        self.show_full_result_count = self.model_admin.show_full_result_count
        self.full_result_count = full_result_count
        self.show_admin_actions = False
        self.can_show_all = self.result_count <= self.list_max_show_all
        self.multi_page = self.result_count > self.list_per_page
        if (self.show_all and self.can_show_all) or not self.multi_page:
            self.result_list = objects
        else:
            self.result_list = paginator.get_page(self.page_num).object_list
        self.paginator = paginator
