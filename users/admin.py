from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm as DjangoAdminUserCreationForm
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.contrib.auth.models import Group
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from users import services
from users.models import Profile, User
from users.moods import MOODS
from users.selectors import user_changeable_by


# Django's forms name auth.User in their Meta; these are the same forms on our model, with
# the email (required here) on the add page.
class UserCreationForm(DjangoAdminUserCreationForm):
    class Meta(DjangoAdminUserCreationForm.Meta):
        model = User
        fields = ("username", "email")


class UserChangeForm(DjangoUserChangeForm):
    class Meta(DjangoUserChangeForm.Meta):
        model = User


class LinesField(forms.CharField):
    """A list of free-text entries edited as one entry per line (names can hold commas)."""

    widget = forms.Textarea(attrs={"rows": 4, "cols": 60})

    def prepare_value(self, value: object) -> object:
        return "\n".join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value: object) -> list[str]:  # type: ignore[override]
        text = str(super().to_python(value))
        # Django's NUL check runs on the value the field returns, a list here, whose text
        # shows a NUL escaped: it is made on the text (PostgreSQL cannot store one: a 500).
        if "\x00" in text:
            raise forms.ValidationError(
                "Null characters are not allowed.", code="null_characters_not_allowed"
            )
        return text.splitlines()


class ProfileForm(forms.ModelForm):
    """The profile lists as people edit them: genres and artists one per line, moods as
    checkboxes of the fixed vocabulary; they get the same normalisation as through the API."""

    favorite_genres = LinesField(required=False, help_text="One genre per line.")
    favorite_artists = LinesField(required=False, help_text="One artist per line.")
    moods = forms.MultipleChoiceField(
        required=False, choices=[(mood, mood) for mood in MOODS], widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Profile
        fields = services.PROFILE_FIELDS

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        for field in services.PROFILE_FIELDS:
            if cleaned.get(field) is None:
                continue
            try:
                cleaned[field] = services.profile_field_normalize(field, cleaned[field])
            except forms.ValidationError as error:
                self.add_error(None, error)
        return cleaned


class ProfileInline(admin.StackedInline):
    model = Profile
    form = ProfileForm
    can_delete = False
    verbose_name_plural = "profile"
    fields = ("favorite_genres", "favorite_artists", "moods")


class GroupAdmin(DjangoGroupAdmin):
    """A group's permissions are set by superusers only, as a user's are (`UserAdmin`): staff
    allowed to change a group they belong to could otherwise grant it every permission."""

    def get_readonly_fields(self, request, obj: Group | None = None) -> tuple[str, ...]:
        readonly = tuple(super().get_readonly_fields(request, obj))
        return readonly if request.user.is_superuser else (*readonly, "permissions")


admin.site.unregister(Group)
admin.site.register(Group, GroupAdmin)

# SimpleJWT's admin shows each outstanding refresh token whole, a working credential for its
# account (staff allowed to view them could sign in as a superuser), and deleting a
# blacklisted one brings it back to life. Tokens are issued and revoked through the API and
# `services.user_delete` only.
admin.site.unregister(OutstandingToken)
admin.site.unregister(BlacklistedToken)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    inlines = (ProfileInline,)
    list_display = ("username", "email", "first_name", "last_name", "is_staff", "is_active", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active", "date_joined")
    search_fields = ("username", "email", "first_name", "last_name")
    ordering = ("-date_joined",)
    date_hierarchy = "date_joined"
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "email", "usable_password", "password1", "password2"),
            },
        ),
    )

    # Fields only a superuser may set: with them, staff could make themselves (or an account
    # they may change) a superuser, and then take over any account.
    SUPERUSER_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")

    # The API's rule (`user_changeable_by`), for the change and password pages and deletion
    # alike (the bulk delete action asks has_delete_permission for each account): staff
    # change ordinary accounts and their own; another staff or superuser account only as a
    # superuser.
    def has_change_permission(self, request, obj: User | None = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or user_changeable_by(actor=request.user, account=obj))

    def has_delete_permission(self, request, obj: User | None = None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or user_changeable_by(actor=request.user, account=obj))

    # An account's own credentials change only with its current password: in the admin,
    # through its password change page (which asks for it, throttled); the username and
    # email through the API (`current_password`). A stolen admin session must not be enough.
    OWN_CREDENTIAL_FIELDS = ("username", "email")

    def get_readonly_fields(self, request, obj: User | None = None) -> tuple[str, ...]:
        readonly = tuple(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly = (*readonly, *self.SUPERUSER_FIELDS)
        if obj is not None and obj.pk == request.user.pk:
            readonly = (*readonly, *self.OWN_CREDENTIAL_FIELDS)
        return readonly

    def user_change_password(self, request, id: str, form_url: str = "") -> HttpResponse:
        # The account the URL names, as the page itself finds it: `07`, `+7` and `7 ` are
        # account 7 too, and a text comparison let them through to a form without the
        # current password.
        account = self.get_object(request, unquote(id))
        if account is not None and account.pk == request.user.pk:
            return HttpResponseRedirect(reverse("admin:password_change"))
        return super().user_change_password(request, id, form_url)

    def get_deleted_objects(self, objs, request):
        # Only the accounts' own delete permission counts (the rule above): an account goes
        # with every row that hangs off it, through `services.user_delete`, whatever staff
        # may do to those rows one by one. The listening events' admin is read-only (they are
        # a record), and asking for its delete permission refused (403) every account that
        # had listened to anything.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, perms_needed & {User._meta.verbose_name}, protected

    def delete_model(self, request, obj: User) -> None:
        # Through the service, like the API: tokens revoked, rated songs recomputed.
        services.user_delete(user=obj)

    def delete_queryset(self, request, queryset) -> None:
        for user in queryset:
            services.user_delete(user=user)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # An untouched inline saves nothing; every account still gets its profile.
        Profile.objects.get_or_create(user=form.instance)
