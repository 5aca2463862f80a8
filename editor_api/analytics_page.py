"""The analytics page of a script for methodologists: /editor/scripts/{key}/analytics.

Server-rendered (works without JavaScript): the figures of GET /api/v1/scripts/{key}/
analytics for the version and range chosen in a GET form, a funnel of bars, the steps in a
table, the most common paths and the automation rate per channel. With JavaScript the
version's diagram is drawn with the bpmn-js NavigatedViewer and each element gets an
overlay: the sessions that reached it and its drop-off, coloured by the drop-off (a
heatmap).

Like the editor's pages it is open to the app's token check (``@public``) and guarded
here: a signed-in methodologist (or admin) by the session cookie the editor's sign-in
sets, or a bearer token; a visitor without either is sent to the editor's sign-in.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from babel.dates import format_timedelta
from babel.numbers import format_percent
from flask import (
    Blueprint,
    Response,
    g,
    redirect,
    render_template,
    request,
    send_from_directory,
)
from flask_babel import Domain, get_locale
from werkzeug.wrappers import Response as BaseResponse

from editor_api.analytics import analytics_of, moment
from engine.errors import CuebookError, Detail, ValidationFailed
from engine.language import supported_or_default
from engine.versions import list_versions, version_diagram
from web.auth import public
from web.context import services
from web.errors import status_of
from web.signin import page_actor
from web.vendored import vendored_file, vendored_version

bp = Blueprint(
    "analytics_page", __name__, url_prefix="/editor/scripts", template_folder="templates"
)
STATIC = Path(__file__).resolve().parent / "static" / "analytics"
LOCALE = Path(__file__).resolve().parent / "locale"
PAGE_ROLES = frozenset({"methodologist", "admin"})
OPEN_ENDPOINTS = frozenset({"analytics_page.asset", "analytics_page.vendor"})
SIGN_IN = "/editor/signin"  # the editor's sign-in form (editor_api/editor.py)
ASSET_MAX_AGE = 300

# The page's own wording (domain "analytics"), in the reader's language as the app's Babel
# chooses it (player.web.install_language).
messages = Domain(translation_directories=str(LOCALE), domain="analytics")
_ = messages.gettext


def ui_language() -> str:
    return supported_or_default(str(get_locale() or ""))


def _page(template: str, status: int = 200, **context: Any) -> Response:
    resp = Response(render_template(template, **context), status=status)
    resp.mimetype = "text/html"
    return resp


def _error(status: int, title: str, message: str, details: list[str] | None = None) -> Response:
    return _page(
        "analytics/error.html", status, title=title, message=message, details=details or []
    )


@bp.context_processor
def _template_globals() -> dict[str, Any]:
    return {
        "_": messages.gettext,
        "gettext": messages.gettext,
        "ngettext": messages.ngettext,
        "ui_language": ui_language(),
        "current_actor": g.get("cuebook_actor"),
        "bpmn_js_version": vendored_version("bpmn-js"),
        "seconds_text": seconds_text,
        "share_text": share_text,
    }


@bp.before_request
def _gate() -> BaseResponse | None:
    """A methodologist or an admin, by bearer token or the editor's session cookie."""
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    token, who = page_actor()
    if who is None:
        if token:
            return _error(401, _("Not signed in"), _("The token is not valid."))
        return redirect(f"{SIGN_IN}?next={quote(request.full_path.rstrip('?'))}", 303)
    if who.role not in PAGE_ROLES:
        return _error(
            403,
            _("Not allowed"),
            _(
                "Role %(role)s cannot read analytics; it needs a methodologist token.",
                role=who.role,
            ),
        )
    g.cuebook_actor = who
    return None


@bp.after_request
def _headers(resp: Response) -> Response:
    if resp.mimetype == "text/html":
        resp.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "form-action 'self'; base-uri 'none'; frame-ancestors 'self'"
        )
        resp.headers["Cache-Control"] = "no-store"
        resp.headers["Referrer-Policy"] = "same-origin"
        resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


@bp.errorhandler(CuebookError)
def _failed(exc: CuebookError) -> Response:
    return _error(
        status_of(exc),
        _("This did not work"),
        exc.message,
        [f"{d.path}: {d.message}" if d.path else d.message for d in exc.details],
    )


# -- wording -----------------------------------------------------------------------------


def seconds_text(seconds: float | None) -> str:
    """A step time the way a person says it ("3 min"; "under a second")."""
    if seconds is None:
        return "—"
    if seconds < 1:
        return _("under a second")
    span = timedelta(seconds=seconds)
    return str(format_timedelta(span, format="short", locale=ui_language(), threshold=1.5))


def share_text(share: float | None) -> str:
    if share is None:
        return "—"
    return str(format_percent(share, locale=ui_language(), format="#,##0.#%"))


def stage_text(stage: dict[str, Any], names: dict[str, str]) -> str:
    if stage["stage"] == "started":
        return _("Sessions started")
    if stage["stage"] == "completed":
        return _("Completed")
    element = str(stage["element"])
    return names.get(element) or element


# -- routes -------------------------------------------------------------------------------


@bp.get("/analytics-assets/<any('analytics.js', 'analytics.css'):name>")
@public
def asset(name: str) -> Response:
    return send_from_directory(STATIC, name, max_age=ASSET_MAX_AGE)


@bp.get("/analytics-assets/vendor/<path:name>")
@public
def vendor(name: str) -> Response:
    """bpmn-js (vendored from npm, web/static/vendor/)."""
    return vendored_file(name)


def _form_value(name: str) -> str | None:
    value = request.args.get(name, "").strip()
    return value or None


def _chosen() -> tuple[int | None, str | None, str | None]:
    """The form's version, from and to; 422 naming the field that does not read."""
    version_text, start, end = (_form_value(n) for n in ("version", "from", "to"))
    version = None
    if version_text is not None:
        if not version_text.isdigit() or not 0 < int(version_text) < 2_000_000_000:
            raise ValidationFailed("version is not a number", [Detail("version", "not a number")])
        version = int(version_text)
    for field, value in (("from", start), ("to", end)):
        try:
            moment(value)
        except ValueError as exc:
            raise ValidationFailed(f"{field}: {exc}", [Detail(field, str(exc))]) from None
    return version, start, end


@bp.get("/<key>/analytics")
@public
def page(key: str) -> Response:
    version, start, end = _chosen()
    figures = analytics_of(key, version, moment(start), moment(end))
    with services().database.unit_of_work() as uow:
        versions = list_versions(uow, key)
    names = {e["element"]: e["name"] for e in figures["elements"] if e["name"]}
    return _page(
        "analytics/page.html",
        key=key,
        figures=figures,
        versions=versions,
        title=next((v["title"] for v in versions if v["number"] == figures["version"]), key),
        names=names,
        form={"from": start or "", "to": end or ""},
        shown_to=_last_day(figures["to"]),
        funnel=[{**s, "label": stage_text(s, names)} for s in figures["funnel"]],
        heat=[
            {k: e[k] for k in ("element", "sessions", "dropped", "drop_rate", "p50_seconds")}
            | {"p50": seconds_text(e["p50_seconds"]), "drop": share_text(e["drop_rate"])}
            for e in figures["elements"]
        ],
    )


def _last_day(end: str) -> date:
    """The day the range ends on (its end is exclusive: midnight is the day before)."""
    return (datetime.fromisoformat(end) - timedelta(microseconds=1)).date()


@bp.get("/<key>/analytics/diagram")
@public
def diagram(key: str) -> Response:
    """The version's BPMN XML for the heatmap (the API's twin, behind this page's gate)."""
    version, _start, _end = _chosen()
    if version is None:
        raise ValidationFailed("version is required", [Detail("version", "required")])
    with services().database.unit_of_work() as uow:
        xml = version_diagram(uow, key, version)
    return Response(xml, content_type="application/xml")
