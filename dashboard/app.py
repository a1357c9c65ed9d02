"""The dashboard's app factory: `create_app(settings) -> dash.Dash`.

One process serves everything: the supervisors' Dash pages (signed-in, scoped by
role), the sign-in page, the residents' survey form at `/s/<token>` and CSV
downloads. The database is opened once; each request takes its own cursor.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dash
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate
from flask import Flask, Response, g, make_response, redirect, render_template_string, request

from dashboard import ids
from dashboard.access import AccessDenied
from dashboard.auth import (
    COOKIE_NAME,
    end_session,
    log_event,
    prepare_sign_in,
    session_user,
    start_session,
    verify_password,
)
from dashboard.callbacks import BadInput, check_request, checked
from dashboard.context import request_context
from dashboard.i18n import lang_of, t
from dashboard.ratelimit import TokenBucket
from dashboard.settings import Settings
from dashboard.shell import filters_to_search, parse_search, render_shell
from dashboard.survey_form import register_survey_form
from warehouse.db import Database, open_db

ASSETS = Path(__file__).parent / "assets"

# Paths served without sign-in: static files, the sign-in page, the survey form;
# `/api/` checks its own bearer tokens (dashboard/api/routes.py).
PUBLIC_PREFIXES = ("/s/", "/_dash-component-suites/", "/assets/", "/_favicon.ico", "/api/")
PUBLIC_PATHS = {"/login", "/healthz"}


@dataclass
class AppState:
    """What the Flask server keeps for the process: database, settings, rate limiters."""

    db: Database
    settings: Settings
    signin_bucket: TokenBucket
    survey_bucket: TokenBucket


_LOGIN = """<!doctype html>
<html lang="{{ 'en' if lang == 'en' else 'zh-CN' }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ tr('login.title') }} · {{ tr('app.title') }}</title>
<link rel="stylesheet" href="/assets/00-bootstrap.min.css"><link rel="stylesheet" href="/assets/style.css">
</head><body>
<main class="card login-card shadow-sm"><div class="card-body">
  <div class="d-flex justify-content-between align-items-center mb-3">
    <h1 class="h4 mb-0">{{ tr('app.title') }}</h1>
    <a class="btn btn-sm btn-outline-primary" href="?lang={{ 'zh' if lang == 'en' else 'en' }}{{ '&next=' ~ next if next }}">{{ tr('nav.lang_switch') }}</a>
  </div>
  {% if message %}<div class="alert alert-{{ tone }}" role="alert">{{ message }}</div>{% endif %}
  <form method="post" action="/login">
    <input type="hidden" name="next" value="{{ next }}"><input type="hidden" name="lang" value="{{ lang }}">
    <div class="mb-3"><label class="form-label" for="user">{{ tr('login.user') }}</label>
      <input class="form-control form-control-lg" id="user" name="user" autocomplete="username" required maxlength="64" value="{{ user }}"></div>
    <div class="mb-3"><label class="form-label" for="password">{{ tr('login.password') }}</label>
      <input class="form-control form-control-lg" id="password" name="password" type="password" autocomplete="current-password" required maxlength="256"></div>
    <button class="btn btn-primary btn-lg w-100" type="submit" id="signin">{{ tr('login.submit') }}</button>
  </form>
</div></main></body></html>
"""


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after sign-in."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def _register_auth_routes(server: Flask, state: AppState) -> None:
    settings = state.settings
    prepare_sign_in()

    def render_login(lang: str, *, message: str = "", tone: str = "danger", status: int = 200,
                     user: str = "", next_: str = "") -> Response:
        html_text = render_template_string(
            _LOGIN, lang=lang, tr=lambda k: t(k, lang), message=message, tone=tone, user=user, next=next_,
        )
        response = make_response(html_text, status)
        response.headers["Cache-Control"] = "no-store"
        return response

    @server.before_request
    def _guard() -> Any:
        g.user = None
        path = request.path
        if path.startswith(PUBLIC_PREFIXES) or path in PUBLIC_PATHS:
            return None
        g.user = session_user(state.db, request.cookies.get(COOKIE_NAME))
        if g.user is not None:
            return None
        if request.method == "GET" and not path.startswith("/_"):
            target = request.full_path.rstrip("?")
            return redirect("/login?next=" + _quote(target))
        return make_response({"error": "sign in required"}, 401)

    @server.after_request
    def _headers(response: Response) -> Response:
        return _security_headers(response)

    @server.route("/healthz")
    def _health() -> Response:
        return make_response("ok", 200)

    @server.route("/login", methods=["GET", "POST"])
    def _login() -> Any:
        lang = lang_of(request.values.get("lang") or settings.default_lang)
        next_ = _safe_next(request.values.get("next"))
        if request.method == "GET":
            message = t("login.signed_out", lang) if request.args.get("out") else ""
            return render_login(lang, message=message, tone="info", next_=next_)
        ip = request.remote_addr or "?"
        name = (request.form.get("user") or "").strip()[:64]
        if not state.signin_bucket.allow(ip):
            log_event(state.db, "rate_limited", user_name=name, client_ip=ip)
            return render_login(lang, message=t("login.rate_limited", lang), status=429, user=name, next_=next_)
        user = verify_password(state.db, name, request.form.get("password") or "")
        if user is None:
            log_event(state.db, "sign_in_failed", user_name=name, client_ip=ip)
            return render_login(lang, message=t("login.failed", lang), status=401, user=name, next_=next_)
        token = start_session(state.db, user, hours=settings.session_hours,
                              previous=request.cookies.get(COOKIE_NAME))
        log_event(state.db, "sign_in", user_name=user.name, client_ip=ip)
        if next_ == "/" and lang == "en":
            next_ = "/?lang=en"
        response = redirect(next_)
        response.set_cookie(
            COOKIE_NAME, token, max_age=int(settings.session_hours * 3600), httponly=True,
            samesite="Lax", secure=settings.cookie_secure, path="/",
        )
        return response

    @server.route("/logout", methods=["POST"])
    def _logout() -> Any:
        token = request.cookies.get(COOKIE_NAME)
        user = session_user(state.db, token)
        end_session(state.db, token)
        if user is not None:
            log_event(state.db, "sign_out", user_name=user.name, client_ip=request.remote_addr)
        response = redirect("/login?out=1")
        response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="Lax")
        return response

    @server.errorhandler(BadInput)
    def _bad_input(exc: BadInput) -> Response:
        # a hand-made callback request (checked at the boundary, dashboard/callbacks.py);
        # any other exception in a callback is a bug: a 500, logged with its traceback
        server.logger.warning("bad callback input %s: %s", exc.name, exc.reason)
        return make_response({"error": "bad callback input", "input": exc.name, "reason": exc.reason}, 400)

    @server.errorhandler(dash.exceptions.UnsupportedRelativePath)
    def _bad_path(exc: Exception) -> Response:
        # Dash's own check of the URL path a callback request names
        if request.path != "/_dash-update-component":
            raise exc
        return make_response({"error": "bad callback input", "input": f"{ids.LOCATION}.pathname",
                              "reason": str(exc)}, 400)

    @server.errorhandler(AccessDenied)
    def _denied(exc: AccessDenied) -> Response:
        user = getattr(g, "user", None)
        log_event(state.db, "denied", user_name=user.name if user else None,
                  client_ip=request.remote_addr, detail=f"{exc.action} {exc.unit_id or ''}")
        return make_response({"error": "forbidden"}, 403)


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="/")


_SET_LANG_JS = """
function (search) {
    var en = /[?&]lang=en/.test(search || "");
    document.documentElement.lang = en ? "en" : "zh-CN";
    document.title = en ? %s : %s;
    return en ? "en" : "zh";
}
"""


def _register_shell_callbacks(app: dash.Dash) -> None:
    # The page's language for screen readers and CJK glyph choice, and the tab title.
    app.clientside_callback(
        _SET_LANG_JS % (json.dumps(t("app.title", "en")), json.dumps(t("app.title", "zh"))),
        Output(ids.LANG_STORE, "data"),
        Input(ids.LOCATION, "search"),
    )

    @app.callback(
        Output(ids.SHELL, "children"),
        Input(ids.LOCATION, "pathname"),
        Input(ids.LOCATION, "search"),
    )
    @checked
    def _shell(pathname: str | None, search: str | None) -> Any:
        params = parse_search(search)
        try:
            ctx = request_context(period=params.get("period"), unit=params.get("unit"), lang=params.get("lang"))
        except AccessDenied:  # an unknown or out-of-scope unit: the filter shows it marked, the page says why
            ctx = request_context(period=params.get("period"), lang=params.get("lang"))
            return render_shell(ctx, pathname or "/", params, bad_unit=params.get("unit"))
        return render_shell(ctx, pathname or "/", params)

    @app.callback(
        Output(ids.RESCORE_RESULT, "children"),
        Input(ids.RESCORE_BUTTON, "n_clicks"),
        State(ids.LOCATION, "search"),
        prevent_initial_call=True,
    )
    @checked
    def _rescore(_n: int | None, search: str | None) -> str:
        from flask import current_app

        from dashboard.context import current_db, current_user
        from dashboard.live.attach import EXTENSION
        from dashboard.stale_banner import on_rescore

        return on_rescore(current_db(), current_user(), search, current_app.extensions.get(EXTENSION))

    @app.callback(
        Output(ids.LOCATION, "search"),
        Input(ids.PERIOD, "value"),
        Input(ids.UNIT, "value"),
        State(ids.LOCATION, "search"),
        prevent_initial_call=True,
    )
    @checked
    def _filters(period: str | None, unit: str | None, search: str | None) -> str:
        new = filters_to_search(period, unit, search)
        if new == (search or ""):
            raise PreventUpdate
        return new


def create_app(settings: Settings, *, db: Database | None = None, local_token: str | None = None) -> dash.Dash:
    """Build the dashboard: Dash pages, sign-in, survey form, downloads, jobs and `/api/v1`.

    Args:
        settings: the frozen settings (database path, cookie and rate-limit options).
        db: an already open database (tests); by default `settings.db_path` is opened
            once for the life of the process.
        local_token: the token of the server's credential file (`gridscore serve`),
            accepted by `/api/v1` as the local administrator.
    """
    import dash_bootstrap_components  # noqa: F401 — components used by the pages

    from dashboard.pages import PAGES

    database = db if db is not None else open_db(settings.db_path)
    server = Flask(__name__)
    server.secret_key = settings.secret_key
    server.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                         MAX_CONTENT_LENGTH=2 * 1024 * 1024)
    state = AppState(
        db=database,
        settings=settings,
        signin_bucket=TokenBucket(burst=settings.signin_burst, per_minute=settings.signin_per_minute),
        survey_bucket=TokenBucket(burst=settings.survey_burst, per_minute=settings.survey_per_minute),
    )
    server.extensions["gridscore"] = state
    _register_auth_routes(server, state)
    register_survey_form(server, db=database, bucket=state.survey_bucket,
                         questionnaire_path=settings.questionnaire_path)

    app = dash.Dash(
        __name__,
        server=server,
        use_pages=True,
        pages_folder="",
        assets_folder=str(ASSETS),
        suppress_callback_exceptions=True,
        title=t("app.title", settings.default_lang),
        update_title=None,
        serve_locally=True,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    for page in PAGES:
        page.register(app)
    app.layout = html.Div([
        html.Div(id=ids.SHELL),
        html.Main(dash.page_container, className="container-fluid pb-5"),
        dcc.Store(id=ids.LANG_STORE),
    ])
    app.index_string = app.index_string.replace("<html>", '<html lang="zh-CN">', 1)
    _register_shell_callbacks(app)

    @server.before_request
    def _check_callback_request() -> None:
        # after Dash's own hooks (registered first), so the pages callback is in the map
        if request.method == "POST" and request.path == "/_dash-update-component":
            check_request(request.get_json(silent=True), app.callback_map)
    from dashboard.exports import register_exports
    from dashboard.pages.rankings import export_csv
    from dashboard.reports.browser import configure
    from dashboard.reports.web import register_report_routes

    register_exports(server, export_csv)
    register_report_routes(server)
    from dashboard.live.attach import attach_jobs

    attach_jobs(server, database, settings, local_token=local_token)
    configure(settings.chromium_path)
    return app
