"""The reader's tags page: every tag with its count, renamed, merged or deleted."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)

from catalog import services
from catalog import tags as tagging
from catalog.models import UserBook
from catalog.services.tagging import TAG_CHANGE_BATCH


def _rows(user) -> tuple[list[dict], bool]:
    """The page's rows (one per tag, with its library address); whether complete."""
    library = reverse("catalog:book-list")
    counted = UserBook.objects.tag_counts(user)
    rows = [
        {
            "shown": shown,
            "key": key,
            "count": count,
            "url": f"{library}?{urlencode({'tag': shown})}",
        }
        for shown, key, count in counted.tags
    ]
    return rows, counted.complete


def _context(user, **extra) -> dict:
    rows, complete = _rows(user)
    return {
        "rows": rows,
        "complete": complete,
        "batch": TAG_CHANGE_BATCH,
        **job_context(user),
        **extra,
    }


def job_context(user) -> dict:
    """The reader's tag job as the pages show it (running, or just finished)."""
    job = services.tag_job_shown(user=user)
    return {"job": job, "job_text": services.describe_tag_job(job) if job else ""}


def _books(count: int) -> str:
    return "1 book" if count == 1 else f"{count} books"


def _say(request, result: services.TagChangeResult, done: str, tag: str) -> None:
    """Tell the reader what a rename or delete did."""
    if result.job:
        on = f" is on {_books(result.job.total)}" if result.job.total else ""
        messages.info(
            request,
            f"“{tag}”{on}: the books change in the background, and this page "
            "shows how far it got.",
        )
        return
    if result.changed:
        messages.success(request, f"{done} on {_books(len(result.changed))}.")
    elif not result.more and not result.skipped:
        messages.info(request, f"No book carries “{tag}” any more.")
    if result.skipped:
        messages.warning(
            request,
            f"{_books(len(result.skipped))} changed elsewhere meanwhile and kept "
            f"“{tag}”; send the change again for them.",
        )
    if result.more:
        messages.warning(
            request,
            f"“{tag}” is on more books still: at most {TAG_CHANGE_BATCH} change at "
            "a time. Send the same change again to continue.",
        )


@login_required
@require_safe
def tags_page(request):
    """Every tag of the reader's, by name, with how many books carry it."""
    return render(request, "catalog/tags.html", _context(request.user))


@login_required
@require_safe
def tag_job_status(request):
    """The reader's running tag job, for the pages' progress line (JSON)."""
    context = job_context(request.user)
    job = context["job"]
    return JsonResponse(
        {
            "running": bool(job and job.running),
            "done": job.done if job else 0,
            "total": job.total if job else 0,
            "text": context["job_text"],
        }
    )


@login_required
@require_POST
def counters_rebuild(request):
    """Count the reader's tags and locations in the background (kept after)."""
    back = "catalog:locations" if request.POST.get("back") == "locations" else None
    if services.counters_rebuild_later(user=request.user):
        messages.info(
            request,
            "Counting every book of your library: reload this page in a minute.",
        )
    return redirect(back or "catalog:tags")


@login_required
@require_safe
def tag_names(request):
    """The reader's tags by name, for the book page's suggestions (JSON)."""
    counted = UserBook.objects.tag_counts(request.user)
    names = [shown for shown, _key, _count in counted.tags]
    return JsonResponse({"tags": names})


@login_required
@require_POST
def tag_rename(request):
    """Rename a tag on every book that carries it; a refusal keeps the typed name."""
    tag = tagging.tidy(request.POST.get("tag", ""))
    name = request.POST.get("name", "")
    try:
        result = services.tag_rename(user=request.user, tag=tag, new_name=name)
    except ValidationError as exc:
        errors = exc.message_dict
        context = _context(request.user, refused=" ".join(exc.messages))
        for row in context["rows"]:
            if row["key"] == tagging.tag_key(tag):
                row["typed"] = name
                row["errors"] = errors.get("name", errors.get("tag", exc.messages))
        return render(request, "catalog/tags.html", context, status=400)
    _say(request, result, f"Renamed “{tag}” to “{result.name}”", tag)
    return redirect("catalog:tags")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def tag_delete(request):
    """Ask before taking a tag off every book (GET); take it off (POST)."""
    tag = tagging.tidy(request.POST.get("tag", "") or request.GET.get("tag", ""))
    if request.method == "POST":
        try:
            result = services.tag_delete(user=request.user, tag=tag)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("catalog:tags")
        _say(request, result, f"Took “{tag}” off", tag)
        return redirect("catalog:tags")
    key = tagging.tag_key(tag)
    row = next((r for r in _rows(request.user)[0] if r["key"] == key), None)
    if row is None:
        raise Http404("You have no such tag.")
    return render(request, "catalog/tag_delete.html", {"row": row})
