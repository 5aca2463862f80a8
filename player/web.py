"""The operator player: server-rendered pages that walk a script, sign-in, the
``<cuebook-player>`` asset (CORS for the JSON API is ``web.cors``).

Pages work without JavaScript. They are open to the app's token check (``@public``)
and guarded here instead, so a visitor without a valid cookie or bearer token is sent
to the sign-in page rather than given a JSON 401. Cookie-authenticated posts carry a
CSRF token.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import Babel, get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from engine.errors import CuebookError, Detail, InvalidAnswer
from engine.language import SUPPORTED, reason_text, supported_or_default
from engine.model import StepView
from engine.sessions import (
    Reply,
    claim,
    get_session,
    go_back,
    hand_back,
    start_session,
    submit_step,
)
from engine.versions import startable_scripts
from player.forms import answer_from_form, field_errors, fields
from player.renderers.markdown import markdown_html
from player.renderers.phrases import language_of
from web.auth import public
from web.context import actor, services
from web.errors import status_of
from web.signin import csrf_ok, csrf_token, page_actor, posted_token, remember, safe_next
from web.vendored import vendored_file

bp = Blueprint("player", __name__, url_prefix="/player", template_folder="templates")
STATIC = Path(__file__).resolve().parent / "static"
LOCALE = Path(__file__).resolve().parent / "locale"
PLAYER_ROLES = frozenset({"operator", "admin"})
# Supervisors (methodologists) sign in for the report pages, which say so with page_roles.
SIGNIN_ROLES = PLAYER_ROLES | {"methodologist"}
PAGE_ROLES_ATTR = "cuebook_page_roles"
OPEN_ENDPOINTS = frozenset({"player.signin_form", "player.signin", "player.asset", "player.vendor"})
ASSET_MAX_AGE = 3600
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-]+(:\d{1,5})?$|^\*$")


# -- text ------------------------------------------------------------------------------


def text_html(text: str) -> Markup:
    """Script text (Markdown) as HTML, safe to put in a page."""
    return Markup(markdown_html(text))


# -- the reader's language -------------------------------------------------------------
# The player's own screens (sign-in, buttons, labels, errors) speak the reader's language:
# the best match of the browser's Accept-Language among the supported ones, else
# CUEBOOK_DEFAULT_LANGUAGE (English when unset: the screens were written in English).
# A script's own text keeps the script's language (engine.language.script_language) and
# is marked with its ``lang`` attribute on the page.


def install_language(app: Flask, default: str) -> None:
    """Flask-Babel over the ``player`` catalogues, choosing per request as above."""
    default = supported_or_default(default)
    offered = [default, *(code for code in SUPPORTED if code != default)]

    def reader_language() -> str:
        if not has_request_context():
            return default
        return request.accept_languages.best_match(offered) or default

    Babel(
        app,
        locale_selector=reader_language,
        default_locale=default,
        default_domain="player",
        default_translation_directories=str(LOCALE),
    )


def ui_language() -> str:
    """The language the current page is shown in."""
    return supported_or_default(str(get_locale() or ""))


# -- who is asking ---------------------------------------------------------------------


def _safe_next(target: str | None) -> str:
    return safe_next(target, "/player/") or url_for("player.index")


def page_roles(*allowed: str) -> Any:
    """A page for these roles (and admin) instead of the player's operators."""

    def mark(view: Any) -> Any:
        setattr(view, PAGE_ROLES_ATTR, frozenset(allowed) | {"admin"})
        return view

    return mark


def _page(template: str, status: int = 200, **context: Any) -> Response:
    resp = Response(render_template(template, **context), status=status)
    resp.mimetype = "text/html"
    return resp


def _signin_page(status: int, error: str = "", next_url: str = "") -> Response:
    return _page("player/signin.html", status, error=error, next_url=next_url)


@bp.context_processor
def _template_globals() -> dict[str, Any]:
    language = ui_language()
    return {
        "csrf_token": csrf_token,
        "current_actor": g.get("cuebook_actor"),
        "text_html": text_html,
        "ui_language": language,
        "reason_text": lambda reason: reason_text(language, reason),
    }


@bp.before_request
def _gate() -> BaseResponse | None:
    """Pages need an operator (or admin): cookie or bearer token; posts with a cookie need CSRF."""
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    token, who = page_actor()
    if who is None:
        if token:
            return _signin_page(401, _("The token is not valid."))
        target = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("player.signin_form", next=target), 303)
    allowed = getattr(current_app.view_functions.get(request.endpoint or ""), PAGE_ROLES_ATTR, None)
    if allowed is not None and who.role not in allowed:
        return _page(
            "player/error.html",
            403,
            title=_("Not allowed"),
            message=_("Role %(role)s cannot open this page.", role=repr(who.role)),
        )
    if allowed is None and who.role not in PLAYER_ROLES:
        return _page(
            "player/error.html",
            403,
            title=_("Not allowed"),
            message=_(
                "Role %(role)s cannot use the player; it needs an operator token.",
                role=repr(who.role),
            ),
        )
    g.cuebook_actor = who
    if request.method == "POST" and not token and not csrf_ok():
        return _page(
            "player/error.html",
            400,
            title=_("The form has expired"),
            message=_("Reload the page and try again."),
        )
    return None


def frame_ancestors(origins: Iterable[str]) -> str:
    """The CSP ``frame-ancestors`` value: this server and the configured CORS origins."""
    allowed = [o.rstrip("/") for o in origins if _ORIGIN.match(o.rstrip("/"))]
    return " ".join(["frame-ancestors", "'self'", *allowed])


@bp.after_request
def _headers(resp: Response) -> Response:
    if resp.mimetype == "text/html":
        origins = services().settings.cors_origins or ()
        resp.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; "
            + frame_ancestors(origins)
        )
        resp.headers["Cache-Control"] = "no-store"
        resp.headers["Referrer-Policy"] = "same-origin"
        resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


@bp.errorhandler(CuebookError)
def _error_page(exc: CuebookError) -> Response:
    return _page(
        "player/error.html",
        status_of(exc),
        title=_("This did not work"),
        message=exc.message,
        message_lang="en",  # the engine explains itself in English
        details=[f"{d.path}: {d.message}" if d.path else d.message for d in exc.details],
        session_id=request.view_args.get("session_id") if request.view_args else None,
    )


# -- assets and sign-in ----------------------------------------------------------------


@bp.get("/<any('cuebook-player.js', 'player.css', 'player.js', 'route-map.js'):name>")
@public
def asset(name: str) -> Response:
    resp = send_from_directory(STATIC, name, max_age=ASSET_MAX_AGE)
    resp.headers["Access-Control-Allow-Origin"] = "*"
    resp.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return resp


@bp.get("/vendor/<path:name>")
@public
def vendor(name: str) -> Response:
    """Third-party browser code vendored from npm (bpmn-js), from web/static/vendor/."""
    return vendored_file(name)


@bp.get("/signin")
@public
def signin_form() -> Response:
    return _signin_page(200, next_url=request.args.get("next", ""))


@bp.post("/signin")
@public
def signin() -> BaseResponse:
    next_url = request.form.get("next", "")
    if not csrf_ok():
        return _signin_page(400, _("The form has expired; try again."), next_url)
    token, who = posted_token()
    if who is None:
        return _signin_page(401, _("This token is not valid."), next_url)
    if who.role not in SIGNIN_ROLES:
        return _signin_page(
            403,
            _("A %(role)s token cannot use the player; use an operator token.", role=who.role),
            next_url,
        )
    remember(token)
    if not next_url and who.role not in PLAYER_ROLES:  # a supervisor: to the report
        next_url = url_for("player.workload_page")
    return redirect(_safe_next(next_url), 303)


@bp.post("/signout")
@public
def signout() -> BaseResponse:
    session.clear()
    return redirect(url_for("player.signin_form"), 303)


# -- scripts and sessions --------------------------------------------------------------


@bp.get("/")
@public
def index() -> Response:
    svc = services()
    with svc.database.unit_of_work() as uow:
        scripts = startable_scripts(uow, svc.engine.specs)
    return _page("player/scripts.html", scripts=scripts)


@bp.post("/start")
@public
def start() -> BaseResponse:
    script = request.form.get("script", "")
    svc = services()
    view, _created = start_session(
        svc.database,
        svc.engine,
        script=script,
        channel="web",
        variables={},
        session_key=None,
        actor=actor(),
    )
    return _to_session(view.session_id)


def _to_session(session_id: str) -> BaseResponse:
    return redirect(url_for("player.session_page", session_id=session_id), 303)


def _load(session_id: str) -> tuple[StepView, str]:
    svc = services()
    view = get_session(svc.database, svc.engine, session_id, channel="web", for_person=True)
    with svc.database.unit_of_work() as uow:
        script = uow.scripts.get(view.version.script)
    return view, str(script["title"]) if script is not None else view.version.script


def _step_page(
    view: StepView,
    script_title: str,
    *,
    values: dict[str, Any] | None = None,
    details: Sequence[Detail] = (),
    status: int = 200,
) -> Response:
    step = view.step
    open_step = view.status in ("waiting", "handed_off") and step is not None
    form: list[Any] = []
    other_errors: list[str] = [f"{d.path}: {d.message}" if d.path else d.message for d in details]
    if open_step and step is not None and step.kind in ("form", "choice") and step.schema:
        names = (step.schema.get("properties") or {}).keys()
        per_field, other_errors = field_errors(details, names)
        form = fields(step.schema, step.ui_schema, values, per_field)
    steps_taken = view.progress.steps_taken if view.progress else 0
    return _page(
        "player/session.html",
        status,
        view=view,
        step=step,
        open_step=open_step,
        fields=form,
        invalid=[f for f in form if f.error],
        other_errors=other_errors,
        script_title=script_title,
        step_number=steps_taken + 1,
        lang=language_of(view),
        reader=actor().name,
    )


@bp.get("/sessions/<session_id>")
@public
def session_page(session_id: str) -> Response:
    view, title = _load(session_id)
    return _step_page(view, title)


@bp.post("/sessions/<session_id>/steps")
@public
def take_step(session_id: str) -> BaseResponse:
    token = request.form.get("step_token", "")
    answer: dict[str, Any] = {}
    svc = services()
    try:
        shown = get_session(svc.database, svc.engine, session_id, for_person=True)
        step = shown.step
        answer = answer_from_form(step.schema, request.form) if step and step.schema else {}
        reply = Reply(step_token=token, answer=answer)
        submit_step(svc.database, svc.engine, session_id, reply, actor())
    except InvalidAnswer as exc:
        view, title = _load(session_id)
        return _step_page(view, title, values=answer, details=exc.details, status=422)
    return _to_session(session_id)


@bp.post("/sessions/<session_id>/back")
@public
def step_back(session_id: str) -> BaseResponse:
    svc = services()
    go_back(svc.database, svc.engine, session_id, request.form.get("step_token", ""), actor())
    return _to_session(session_id)


@bp.post("/sessions/<session_id>/claim")
@public
def take_over(session_id: str) -> BaseResponse:
    svc = services()
    claim(svc.database, svc.engine, session_id, actor())
    return _to_session(session_id)


@bp.post("/sessions/<session_id>/handback")
@public
def give_back(session_id: str) -> BaseResponse:
    svc = services()
    hand_back(svc.database, svc.engine, session_id, actor())
    return _to_session(session_id)


# The ticket pages register their routes on this blueprint.
import player.offers_pages  # noqa: E402
import player.tickets_pages  # noqa: E402, F401
