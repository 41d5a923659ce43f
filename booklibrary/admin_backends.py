"""The Django admin over the manager layer, for models whose backend is not SQL.

Locally every admin page is Django's own. On AWS mode accounts and the catalog
live in DynamoDB, so ``ManagerAdminMixin`` keeps Django's admin pages and
templates and replaces only what would query SQL:

* the change list reads the manager's whole-table listing (a Scan, which only
  the admin may make), then searches, filters, orders and pages it in Python;
* one object is fetched, saved and deleted through the manager;
* the history goes to DynamoDB (``booklibrary.admin_history``);
* there are no bulk actions and no date drill-down, and the filters are the
  ones that need no query (choices, yes/no, dates).

An admin using it says which backend its model uses (``uses_orm``) and how
to list, fetch and delete through the manager (``manager_*``).
"""

import contextlib
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, DELETION
from django.contrib.admin.options import IS_POPUP_VAR, ActionLocation
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import PAGE_VAR, ChangeList
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models.expressions import OrderBy
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import capfirst, smart_split, unescape_string_literal

from accounts.forms import UniqueThroughManagerMixin
from booklibrary import admin_history

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


class ManagerAdminMixin:
    """Route a ModelAdmin's data access through the manager when not on SQL."""

    # Filters that need no query, used where the model is not in SQL.
    manager_list_filter: tuple = ()
    # Whether objects may be added from the admin where the model is not in SQL.
    manager_can_add = False
    # Whether objects may be deleted from the admin where the model is not in SQL.
    manager_can_delete = True

    def uses_orm(self) -> bool:
        """Tell whether this model's backend is the ORM (Django's admin as is)."""
        raise NotImplementedError

    def manager_objects(self, request: Any) -> list:
        """Return every object, for the change list."""
        raise NotImplementedError

    def manager_get_object(self, object_id: str) -> Any:
        """Return one object or raise ``ObjectDoesNotExist`` / ``ValueError``."""
        raise NotImplementedError

    def manager_delete(self, obj: Any) -> None:
        """Delete one object through the manager."""
        raise NotImplementedError

    # Listing ------------------------------------------------------------------

    def get_changelist(self, request, **kwargs):
        if self.uses_orm():
            return super().get_changelist(request, **kwargs)
        return ManagerChangeList

    def get_list_filter(self, request):
        if self.uses_orm():
            return super().get_list_filter(request)
        return self.manager_list_filter

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        if self.uses_orm():
            return super().get_actions(request, action_location)
        return {}

    # One object ---------------------------------------------------------------

    def get_object(self, request, object_id, from_field=None):
        if self.uses_orm():
            return super().get_object(request, object_id, from_field)
        try:
            return self.manager_get_object(object_id)
        except (ObjectDoesNotExist, ValueError):
            return None

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if self.uses_orm() or issubclass(form, UniqueThroughManagerMixin):
            return form
        return type(form.__name__, (UniqueThroughManagerMixin, form), {})

    def get_view_on_site_url(self, obj=None):
        # Django's "view on site" looks the object up in SQL.
        return super().get_view_on_site_url(obj) if self.uses_orm() else None

    def has_add_permission(self, request, *args, **kwargs):
        if not self.uses_orm() and not self.manager_can_add:
            return False
        return super().has_add_permission(request, *args, **kwargs)

    def has_delete_permission(self, request, obj=None):
        if not self.uses_orm() and not self.manager_can_delete:
            return False
        return super().has_delete_permission(request, obj)

    def save_related(self, request, form, formsets, change):
        if self.uses_orm():
            super().save_related(request, form, formsets, change)

    def delete_model(self, request, obj):
        if self.uses_orm():
            super().delete_model(request, obj)
        else:
            self.manager_delete(obj)

    def get_deleted_objects(self, objs, request):
        if self.uses_orm():
            return super().get_deleted_objects(objs, request)
        opts = self.model._meta
        objs = list(objs)
        described = [f"{capfirst(opts.verbose_name)}: {obj}" for obj in objs]
        perms_needed = set()
        if not all(self.has_delete_permission(request, obj) for obj in objs):
            perms_needed.add(opts.verbose_name)
        return described, {opts.verbose_name_plural: len(objs)}, perms_needed, []

    # History ------------------------------------------------------------------

    def log_addition(self, request, obj, message):
        if self.uses_orm():
            return super().log_addition(request, obj, message)
        return admin_history.record(request.user, obj, ADDITION, message)

    def log_change(self, request, obj, message):
        if self.uses_orm():
            return super().log_change(request, obj, message)
        return admin_history.record(request.user, obj, CHANGE, message)

    def log_deletions(self, request, queryset):
        if self.uses_orm():
            return super().log_deletions(request, queryset)
        for obj in queryset:
            admin_history.record(request.user, obj, DELETION)
        return None

    def history_view(self, request, object_id, extra_context=None):
        if self.uses_orm():
            return super().history_view(request, object_id, extra_context)
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        actions = admin_history.for_object(self.model, obj.pk)
        paginator = self.get_paginator(request, actions, 100)
        page_obj = paginator.get_page(request.GET.get(PAGE_VAR, 1))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Change history: {obj}",
            "subtitle": None,
            "action_list": page_obj,
            "page_range": paginator.get_elided_page_range(page_obj.number),
            "page_var": PAGE_VAR,
            "pagination_required": paginator.count > 100,
            "module_name": str(capfirst(self.opts.verbose_name_plural)),
            "object": obj,
            "opts": self.opts,
            "preserved_filters": self.get_preserved_filters(request),
            "is_popup": IS_POPUP_VAR in request.GET,
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request,
            self.object_history_template
            or [
                f"admin/{self.opts.app_label}/{self.opts.model_name}/"
                "object_history.html",
                f"admin/{self.opts.app_label}/object_history.html",
                "admin/object_history.html",
            ],
            context,
        )
