"""Account forms. Uniqueness checks go through the user manager."""

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model

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
    """Username and email checked for case-insensitive uniqueness by the manager."""

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
