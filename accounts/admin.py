from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.backends import get_user_backend
from accounts.forms import AdminUserChangeForm, AdminUserCreationForm
from accounts.models import User
from booklibrary.manager_admin import ManagerAdminMixin, SaveRefused

# Kept in SQL tables of their own, which DynamoDB mode does not have.
SQL_ONLY_FIELDS = {"groups", "user_permissions"}


@admin.register(User)
class UserAdmin(ManagerAdminMixin, DjangoUserAdmin):
    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "is_staff",
        "is_active",
        "date_joined",
        "last_login",
    )
    list_filter = ("is_staff", "is_superuser", "is_active", "date_joined")
    search_fields = ("username", "email", "first_name", "last_name")
    ordering = ("username",)
    form = AdminUserChangeForm
    add_form = AdminUserCreationForm
    manager_list_filter = ("is_staff", "is_superuser", "is_active", "date_joined")
    manager_can_add = True
    # Plain multiple selects: the two-box widget's search icons carry an
    # aria-label on a bare <span>, which assistive technology ignores.
    filter_horizontal = ()

    def uses_orm(self) -> bool:
        return get_user_backend().uses_orm

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self.uses_orm():
            return fieldsets
        return [
            (name, {**options, "fields": _without_sql_only(options["fields"])})
            for name, options in fieldsets
        ]

    def save_model(self, request, obj, form, change):
        # The form checked the folded username and email (``clean_username``);
        # the store refuses a taken one too, when someone took it meanwhile.
        if form.save_unless_taken() is None:
            field, errors = next(iter(form.errors.as_data().items()))
            raise SaveRefused([e.message for e in errors], field=field)

    def manager_objects(self, request) -> list[User]:
        return User.objects.all_users()

    def manager_get_object(self, object_id: str) -> User:
        return User.objects.get_by_id(object_id)

    def manager_delete(self, obj: User) -> None:
        # SQL cascades a user's records; DynamoDB needs telling.
        from catalog import services
        from catalog.models import UserBook

        UserBook.objects.remove_all_for_user(obj)
        services.imports_remove_all(user=obj)
        obj.delete()


def _without_sql_only(fields):
    return tuple(name for name in fields if name not in SQL_ONLY_FIELDS)
