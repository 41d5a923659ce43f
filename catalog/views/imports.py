"""The Import page: upload a file, follow its import, fetch the rows that failed."""

import io
import os

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from booklibrary.csp import with_form_action
from catalog import direct_upload, services
from catalog.imports import FORMATS
from catalog.models import ImportJob

# The reader's imports the page lists.
LISTED = 20
# The errors an import's page shows (the failed rows' file has them all),
# and the warnings.
ERRORS_SHOWN = 200
WARNINGS_SHOWN = 200


def _format_choices() -> list[tuple[str, str]]:
    return [("", "Find it from the file")] + [
        (key, fmt.label) for key, fmt in FORMATS.items()
    ]


class ImportForm(forms.Form):
    file = forms.FileField(
        label="File to import",
        help_text="A CSV or text export from another app, or this app’s own "
        "export: the ZIP (with your cover photos) as it is, or its JSON; up to "
        "50 MB.",
    )
    format = forms.ChoiceField(label="Format", required=False, choices=_format_choices)


def _job(user, import_id: str) -> ImportJob:
    try:
        return ImportJob.objects.get_for_user(user.pk, import_id)
    except ImportJob.DoesNotExist:
        raise Http404("No such import.") from None


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def imports_page(request):
    """The reader's imports, and the form that starts one."""
    form = ImportForm()
    status = 200
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = services.import_start(
                    user=request.user,
                    uploaded_file=upload,
                    file_name=upload.name,
                    format=form.cleaned_data["format"] or None,
                )
            except ValidationError as exc:
                form.add_error("file", exc)
            else:
                messages.success(
                    request,
                    f"“{job.file_name}” is being imported: you can leave this "
                    "page and come back.",
                )
                return redirect("catalog:import", import_id=job.pk)
        status = 400
        # The page comes back with the focus on the field to fix, not on <body>.
        first = next((name for name in form.errors if name in form.fields), "file")
        form.fields[first].widget.attrs["autofocus"] = True
    context = {
        "form": form,
        "imports": ImportJob.objects.for_user(request.user, LISTED),
        "direct": None,
    }
    if settings.IMPORT_DIRECT_UPLOAD:
        back = request.build_absolute_uri(reverse("catalog:import-arrived"))
        context["direct"] = direct_upload.presigned_post(request.user.pk, back)
    response = render(request, "catalog/imports.html", context, status=status)
    if context["direct"]:
        with_form_action(response, context["direct"].origin)
    return response


class ArrivedForm(forms.Form):
    key = forms.CharField(max_length=1000, widget=forms.HiddenInput)
    format = forms.ChoiceField(label="Format", required=False, choices=_format_choices)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def import_arrived(request):
    """Where S3 sends the browser after a direct upload: start its import."""
    data = request.POST if request.method == "POST" else request.GET
    form = ArrivedForm(data)
    name = ""
    if form.is_valid():
        name = direct_upload.stored_name(form.cleaned_data["key"])
    if not name.startswith(direct_upload.upload_prefix(request.user.pk)):
        raise Http404("No such upload.")
    status = 200
    if request.method == "POST":
        try:
            job = services.import_start_stored(
                user=request.user,
                name=name,
                file_name=os.path.basename(name),
                format=form.cleaned_data["format"] or None,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("catalog:imports")
        messages.success(
            request,
            f"“{job.file_name}” is being imported: you can leave this page and "
            "come back.",
        )
        return redirect("catalog:import", import_id=job.pk)
    context = {"form": form, "file_name": os.path.basename(name)}
    return render(request, "catalog/import_arrived.html", context, status=status)


def _summary(job: ImportJob) -> str:
    parts = [
        f"{job.imported} imported",
        f"{job.already} already in your library",
        f"{job.duplicate} repeated in the file",
        f"{job.failed} could not be imported",
    ]
    if job.warned:
        parts.append(f"{job.warned} {'warning' if job.warned == 1 else 'warnings'}")
    if job.state == "done":
        return "Done: " + ", ".join(parts) + "."
    if job.state == "failed":
        return f"Stopped: {job.message}"
    if job.state == "queued":
        return "Waiting for its turn to start."
    return f"Row {job.next_index} of {job.total}: " + ", ".join(parts) + "."


@login_required
@require_safe
def import_detail(request, import_id: str):
    """One import: its progress, its counts and the rows that failed."""
    job = _job(request.user, import_id)
    context = {
        "job": job,
        "summary": _summary(job),
        "errors": job.errors[:ERRORS_SHOWN],
        "errors_hidden": max(0, job.failed - min(len(job.errors), ERRORS_SHOWN)),
        "warnings": job.warnings[:WARNINGS_SHOWN],
        "warnings_hidden": max(0, job.warned - min(len(job.warnings), WARNINGS_SHOWN)),
    }
    return render(request, "catalog/import_detail.html", context)


@login_required
@require_safe
def import_status(request, import_id: str):
    """How far an import got, for its page's progress bar (JSON)."""
    job = _job(request.user, import_id)
    return JsonResponse(
        {
            "state": job.state,
            "finished": job.finished,
            "percent": job.percent,
            "total": job.total,
            "next_index": job.next_index,
            "imported": job.imported,
            "already": job.already,
            "duplicate": job.duplicate,
            "failed": job.failed,
            "warned": job.warned,
            "text": _summary(job),
        }
    )


_TYPES = {"json": "application/json", "tsv": "text/tab-separated-values"}


@login_required
@require_safe
def import_failed_rows(request, import_id: str):
    """The rows that failed, in the file's own format, to fix and upload again."""
    job = _job(request.user, import_id)
    out = io.BytesIO()
    if not services.import_failed_rows(job=job, out=out):
        raise Http404("No failed rows to download.")
    suffix = os.path.splitext(job.file_name)[1]
    suffix = suffix.lower() if suffix[1:].isalnum() else ".csv"
    if job.format == "booklibrary":
        suffix = ".json"  # the failed records of an export ZIP are its JSON
    kind = _TYPES.get(suffix[1:], "text/csv")
    response = HttpResponse(out.getvalue(), content_type=f"{kind}; charset=utf-8")
    name = f"failed-rows-{job.pk}{suffix}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
