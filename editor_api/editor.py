"""The methodologist's editor: server-rendered pages at /editor/ around the bpmn-js modeler.

Pages list scripts, versions and drafts, open a draft in the modeler, and show a script's
history (who published what, what changed, on the diagram). Like the player's pages they
are open to the app's token check (``@public``) and guarded here: a signed-in methodologist
(or admin) by cookie, or a bearer token; operators and bots get 403. Cookie-authenticated
posts carry a CSRF token.

The modeler page itself calls the JSON API (drafts, validation, sessions) with the bearer
token the sign-in form kept in the tab's sessionStorage: the cookie holds only the token's
hash, so it can never call the API by itself.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    g,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import Domain, get_locale
from werkzeug.wrappers import Response as BaseResponse

from engine.drafts import create_draft, delete_draft, draft_summaries, get_draft
from engine.errors import CuebookError
from engine.language import supported_or_default
from engine.versions import (
    list_scripts,
    list_versions,
    publish_version,
    release_history,
    rollback,
    version_diagram,
    version_diff,
)
from web.auth import public
from web.context import actor, services
from web.errors import status_of
from web.signin import csrf_ok, csrf_token, page_actor, posted_token, remember, safe_next
from web.vendored import vendored_file, vendored_version

bp = Blueprint("editor", __name__, url_prefix="/editor", template_folder="templates")
STATIC = Path(__file__).resolve().parent / "static"
LOCALE = Path(__file__).resolve().parent / "locale"
EDITOR_ROLES = frozenset({"methodologist", "admin"})
OPEN_ENDPOINTS = frozenset({"editor.signin_form", "editor.signin", "editor.asset", "editor.vendor"})
ASSET_MAX_AGE = 300  # the editor's own scripts change with Cuebook; vendored ones carry ?v=
TOKEN_KEY = "cuebook.editor.token"  # sessionStorage key the pages' scripts read

# The editor's own wording (editor_api/locale, domain "editor"), in the reader's language
# chosen by the app's Babel (player.web.install_language).
messages = Domain(translation_directories=str(LOCALE), domain="editor")
_ = messages.gettext


def ui_language() -> str:
    return supported_or_default(str(get_locale() or ""))


# -- who is asking ---------------------------------------------------------------------


def _safe_next(target: str | None) -> str:
    return safe_next(target, "/editor/") or url_for("editor.index")


def page(template: str, status: int = 200, **context: Any) -> Response:
    """An editor page (any blueprint may render one with the editor's look and wording)."""
    resp = Response(render_template(template, **context), status=status)
    resp.mimetype = "text/html"
    return resp


def _signin_page(status: int, error: str = "", next_url: str = "") -> Response:
    return page("editor/signin.html", status, error=error, next_url=next_url)


def _error_page(
    status: int, title: str, message: str, details: list[str] | None = None
) -> Response:
    return page("editor/error.html", status, title=title, message=message, details=details or [])


@bp.context_processor
def _template_globals() -> dict[str, Any]:
    # The editor's templates say _("...") and {% trans %}: both read the editor's catalogue.
    return {
        "_": messages.gettext,
        "gettext": messages.gettext,
        "ngettext": messages.ngettext,
        "pgettext": messages.pgettext,
        "csrf_token": csrf_token,
        "current_actor": g.get("cuebook_actor"),
        "ui_language": ui_language(),
        "token_key": TOKEN_KEY,
        "bpmn_js_version": vendored_version("bpmn-js"),
    }


@bp.before_request
def _gate() -> BaseResponse | None:
    """Pages need a methodologist (or admin); cookie posts need the CSRF token."""
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    token, who = page_actor()
    if who is None:
        if token:
            return _signin_page(401, _("The token is not valid."))
        target = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("editor.signin_form", next=target), 303)
    if who.role not in EDITOR_ROLES:
        return _error_page(
            403,
            _("Not allowed"),
            _(
                "Role %(role)s cannot use the editor; it needs a methodologist token.",
                role=who.role,
            ),
        )
    g.cuebook_actor = who
    if request.method == "POST" and not token and not csrf_ok():
        return _error_page(400, _("The form has expired"), _("Reload the page and try again."))
    return None


@bp.after_request
def _headers(resp: Response) -> Response:
    if resp.mimetype == "text/html":
        # bpmn-js sets style attributes on the SVG it draws: inline styles are allowed,
        # inline scripts are not.
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
    return _error_page(
        status_of(exc),
        _("This did not work"),
        exc.message,
        [f"{d.path}: {d.message}" if d.path else d.message for d in exc.details],
    )


# -- assets and sign-in ----------------------------------------------------------------


@bp.get("/static/<path:name>")
@public
def asset(name: str) -> Response:
    """The editor's scripts and styles (editor_api/static/: editor/, its properties/ panel,
    analytics/)."""
    return send_from_directory(STATIC, name, max_age=ASSET_MAX_AGE)


@bp.get("/vendor/<path:name>")
@public
def vendor(name: str) -> Response:
    """Third-party browser code vendored from npm (bpmn-js, dmn-js), from web/static/vendor/."""
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
    if who.role not in EDITOR_ROLES:
        return _signin_page(
            403,
            _("A %(role)s token cannot use the editor; use a methodologist token.", role=who.role),
            next_url,
        )
    remember(token)
    return redirect(_safe_next(next_url), 303)


@bp.post("/signout")
@public
def signout() -> BaseResponse:
    session.clear()
    return redirect(url_for("editor.signin_form"), 303)


# -- scripts, drafts, history ----------------------------------------------------------


@bp.get("/")
@public
def index() -> Response:
    with services().database.unit_of_work() as uow:
        scripts = list_scripts(uow)
        drafts = draft_summaries(uow)
    by_script: dict[str, list[dict[str, Any]]] = {}
    for draft in drafts:
        by_script.setdefault(draft["script"], []).append(draft)
    known = {s["key"] for s in scripts}
    new_only = [d for d in drafts if d["script"] not in known]
    return page("editor/index.html", scripts=scripts, drafts=by_script, new_drafts=new_only)


@bp.post("/drafts")
@public
def new_draft() -> BaseResponse:
    """A draft of a new script (a blank diagram) or of an existing one (its latest version)."""
    svc = services()
    number = request.form.get("version", "").strip()
    draft = create_draft(
        svc.database,
        script=request.form.get("script", "").strip(),
        title=request.form.get("title", "").strip(),
        from_version=int(number) if number.isdigit() else None,
        actor=actor().name,
        now=svc.engine.clock(),
    )
    return redirect(url_for("editor.draft_page", draft_id=draft["id"]), 303)


@bp.post("/drafts/<int:draft_id>/delete")
@public
def drop_draft(draft_id: int) -> BaseResponse:
    """Throw a draft away (its script and versions stay as they are)."""
    gone = delete_draft(services().database, draft_id)
    if gone["script_exists"]:
        return redirect(url_for("editor.script_page", key=gone["script"]), 303)
    return redirect(url_for("editor.index"), 303)


@bp.get("/drafts/<int:draft_id>")
@public
def draft_page(draft_id: int) -> Response:
    with services().database.unit_of_work() as uow:
        draft = get_draft(uow, draft_id)
    return page("editor/draft.html", draft=draft, dmn_js=_dmn_js_version())


def _dmn_js_version() -> str | None:
    try:
        return vendored_version("dmn-js")
    except FileNotFoundError:
        return None


@bp.get("/scripts/<key>")
@public
def script_page(key: str) -> Response:
    """Versions (who, when), releases, drafts, and what changed between two versions: listed,
    and marked on the newer one's diagram."""
    with services().database.unit_of_work() as uow:
        versions = list_versions(uow, key)
        releases = release_history(uow, key)
        drafts = draft_summaries(uow, key)
        a, b = _pair(versions)
        diff = version_diff(uow, key, a, b) if a and b and a != b else None
    return page(
        "editor/script.html",
        key=key,
        title=next((v["title"] for v in reversed(versions) if v["title"]), key),
        versions=list(reversed(versions)),
        releases=releases,
        drafts=drafts,
        a=a,
        b=b,
        diff=diff,
    )


def _pair(versions: list[dict[str, Any]]) -> tuple[int | None, int | None]:
    """The versions compared: ?a= and ?b= when both are versions of the script, else the
    published one (or the newest) against the one before it."""
    numbers = [int(v["number"]) for v in versions]
    asked = [request.args.get(k, "") for k in ("a", "b")]
    if all(x.isdigit() and int(x) in numbers for x in asked):
        return int(asked[0]), int(asked[1])
    published = [int(v["number"]) for v in versions if v["published"]]
    b_asked = asked[1]
    b = int(b_asked) if b_asked.isdigit() and int(b_asked) in numbers else None
    if b is None:
        b = published[0] if published else (numbers[-1] if numbers else None)
    earlier = [n for n in numbers if b is not None and n < b]
    return (earlier[-1] if earlier else b), b


@bp.get("/scripts/<key>/versions/<int:number>/diagram")
@public
def diagram(key: str, number: int) -> Response:
    """A version's diagram for the history page (the API's twin, with the editor's sign-in)."""
    with services().database.unit_of_work() as uow:
        xml = version_diagram(uow, key, number)
    return Response(xml, content_type="application/xml")


@bp.post("/scripts/<key>/versions/<int:number>/publish")
@public
def publish(key: str, number: int) -> BaseResponse:
    svc = services()
    with svc.database.unit_of_work() as uow:
        publish_version(uow, key, number, actor=actor().name, now=svc.engine.clock())
    return redirect(url_for("editor.script_page", key=key), 303)


@bp.post("/scripts/<key>/rollback")
@public
def roll_back(key: str) -> BaseResponse:
    svc = services()
    with svc.database.unit_of_work() as uow:
        rollback(uow, key, actor=actor().name, now=svc.engine.clock())
    return redirect(url_for("editor.script_page", key=key), 303)
