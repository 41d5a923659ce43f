"""ManagerAdminMixin: a ModelAdmin whose data access goes through the manager."""

from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, DELETION
from django.contrib.admin.options import IS_POPUP_VAR, ActionLocation
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import PAGE_VAR
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.template.response import TemplateResponse
from django.utils.text import capfirst

from accounts.forms import UniqueThroughManagerMixin
from booklibrary.manager_admin import history
from booklibrary.manager_admin.listing import ManagerChangeList


class SaveRefused(Exception):
    """The store refused what the form's checks allowed; nothing was saved.

    Raised from ``save_model`` (a record changed, a name was taken between the
    checks and the write, an item too large); the admin shows the form again
    with ``messages`` next to ``field`` (or above the form when ``None``).
    """

    def __init__(self, messages: str | list[str], field: str | None = None):
        super().__init__(messages)
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        self.field = field


class _RefusedSaveForm:
    """Show a refusal from the store as the form's own error, the typed text kept."""

    refusal: SaveRefused

    def clean(self):
        data = super().clean()
        field = self.refusal.field if self.refusal.field in self.fields else None
        shown = self.errors.get(field or "__all__", [])
        new = [m for m in self.refusal.messages if m not in shown]
        if new:
            self.add_error(field, new)
        return data


class ManagerAdminMixin:
    """Route a ModelAdmin's data access through the manager when not on SQL."""

    # Filters that need no query, used where the model is not in SQL.
    manager_list_filter: tuple = ()
    # Whether objects may be added from the admin where the model is not in SQL.
    manager_can_add = False

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

    def manager_protected(self, obj: Any) -> list[str]:
        """Describe what keeps ``obj`` from being deleted (SQL's PROTECT)."""
        return []

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
        refusal = getattr(request, "_admin_save_refused", None)
        if refusal is not None:
            form = type(form.__name__, (_RefusedSaveForm, form), {"refusal": refusal})
        if self.uses_orm() or issubclass(form, UniqueThroughManagerMixin):
            return form
        return type(form.__name__, (UniqueThroughManagerMixin, form), {})

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except SaveRefused as refusal:
            if getattr(request, "_admin_save_refused", None) is not None:
                raise
            # Django's view saves once the form is valid; the form shown again
            # carries the refusal as an error, so nothing is saved the second time.
            request._admin_save_refused = refusal
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_view_on_site_url(self, obj=None):
        # Django's "view on site" looks the object up in SQL.
        return super().get_view_on_site_url(obj) if self.uses_orm() else None

    def has_add_permission(self, request, *args, **kwargs):
        if not self.uses_orm() and not self.manager_can_add:
            return False
        return super().has_add_permission(request, *args, **kwargs)

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
        protected = [text for obj in objs for text in self.manager_protected(obj)]
        counts = {opts.verbose_name_plural: len(objs)}
        return described, counts, perms_needed, protected

    # History ------------------------------------------------------------------

    def log_addition(self, request, obj, message):
        if self.uses_orm():
            return super().log_addition(request, obj, message)
        return history.record(request.user, obj, ADDITION, message)

    def log_change(self, request, obj, message):
        if self.uses_orm():
            return super().log_change(request, obj, message)
        return history.record(request.user, obj, CHANGE, message)

    def log_deletions(self, request, queryset):
        if self.uses_orm():
            return super().log_deletions(request, queryset)
        for obj in queryset:
            history.record(request.user, obj, DELETION)
        return None

    def history_view(self, request, object_id, extra_context=None):
        if self.uses_orm():
            return super().history_view(request, object_id, extra_context)
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
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
            {**self._history_context(request, obj), **(extra_context or {})},
        )

    def _history_context(self, request, obj) -> dict[str, Any]:
        """The context Django's object_history.html expects, from DynamoDB."""
        paginator = self.get_paginator(
            request, history.for_object(self.model, obj.pk), 100
        )
        page_obj = paginator.get_page(request.GET.get(PAGE_VAR, 1))
        return {
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
        }
