"""Account forms. Uniqueness checks go through the user manager."""

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

User = get_user_model()


class UniqueThroughManagerMixin:
    """Leave uniqueness to the ``clean_<field>`` checks, which ask the manager.

    A ModelForm's own ``validate_unique`` and ``validate_constraints`` (the
    model's only constraints are the case-insensitive unique ones) query the
    SQL table, which AWS mode does not have: accounts live in DynamoDB there.
    """

    def validate_unique(self) -> None:
        pass

    def validate_constraints(self) -> None:
        pass


class AccountFieldsMixin(UniqueThroughManagerMixin):
    """Username and email checked for case-insensitive uniqueness by the manager.

    The check is a courtesy: the store itself refuses a taken name or email
    (unique keys on SQL, claim items on DynamoDB), and ``save_unless_taken``
    turns that refusal, when someone else got there between the check and the
    save, into the same message next to the field.
    """

    username_taken_message = (
        "That username is taken (usernames ignore case). Try another one."
    )
    email_taken_message = "Another account already uses that email."

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if User.objects.username_taken(username, exclude_pk=self.instance.pk):
            raise forms.ValidationError(self.username_taken_message, code="unique")
        return username

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"])
        if email and User.objects.email_taken(email, exclude_pk=self.instance.pk):
            raise forms.ValidationError(self.email_taken_message, code="unique")
        return email

    def save_unless_taken(self):
        """Save and return the user, or None with the field's error if taken."""
        try:
            # A savepoint: a refused insert must not spoil a surrounding transaction.
            with transaction.atomic():
                return self.save()
        except IntegrityError as exc:
            field = getattr(exc, "field", None) or self._taken_field()
            if field is None:
                raise
            message = getattr(self, f"{field}_taken_message")
            target = field if field in self.fields else None
            self.add_error(target, forms.ValidationError(message, code="unique"))
            return None

    def _taken_field(self) -> str | None:
        pk = self.instance.pk
        data = self.cleaned_data
        if "username" in data and User.objects.username_taken(
            data["username"], exclude_pk=pk
        ):
            return "username"
        if data.get("email") and User.objects.email_taken(data["email"], exclude_pk=pk):
            return "email"
        return None


class SignupForm(AccountFieldsMixin, auth_forms.UserCreationForm):
    """Create an account: username, email and password twice."""

    email = forms.EmailField(
        required=True, help_text="Used only to reset your password."
    )
    email_taken_message = (
        "An account with that email already exists. "
        "Log in, or reset your password if you forgot it."
    )

    class Meta(auth_forms.UserCreationForm.Meta):
        model = User
        fields = ("username", "email")


class AdminUserCreationForm(AccountFieldsMixin, auth_forms.AdminUserCreationForm):
    """The admin's "add user" form, its uniqueness checks on every backend."""

    class Meta(auth_forms.AdminUserCreationForm.Meta):
        model = User
        fields = ("username",)


class AdminUserChangeForm(AccountFieldsMixin, auth_forms.UserChangeForm):
    """The admin's user form, its uniqueness checks on every backend."""

    class Meta(auth_forms.UserChangeForm.Meta):
        model = User


class ProfileForm(AccountFieldsMixin, forms.ModelForm):
    """Edit the name and email shown on the profile page."""

    class Meta:
        model = User
        fields = ("first_name", "last_name", "email")


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Password reset that finds users through the user manager."""

    def get_users(self, email):
        return iter(User.objects.active_with_email(email))
