"""The residents' survey form at `/s/<token>`: a small server-rendered page.

Phone-first, no JavaScript, Chinese by default (`?lang=en` for English). Every
text is escaped by Jinja's autoescape. A hidden random submission id is made when
the page is rendered, so a double tap or a retry stores one response
(`surveys.intake.submit` is idempotent on it). A used, expired or unknown token
gets one polite message, the same for all three, with the same status code.

The browser's User-Agent and the client address go to `submit` as the device and
address fingerprints (intake stores them only hashed with the period's salt) for the
quality screens' duplicate checks. The page template is compiled once per server.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, make_response, request

from dashboard.i18n import lang_of, pick, t
from dashboard.ratelimit import TokenBucket
from surveys.questionnaire import Questionnaire
from warehouse.db import Database

MAX_TEXT = 1000
_TOKEN_MAX = 128
_DEVICE_MAX = 512  # a User-Agent longer than this is cut (it is only hashed)

_PAGE = """<!doctype html>
<html lang="{{ 'en' if lang == 'en' else 'zh-CN' }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{ tr('survey.title') }}</title>
<style>
  :root { --accent:#0969da; --err:#cf222e; }
  * { box-sizing:border-box; }
  body { margin:0; font-family:"Noto Sans CJK SC","Noto Sans SC","PingFang SC","Microsoft YaHei",sans-serif;
         font-size:18px; line-height:1.5; color:#1f2328; background:#f6f8fa; }
  main { max-width:640px; margin:0 auto; padding:16px; }
  header { display:flex; justify-content:space-between; align-items:center; gap:12px; }
  h1 { font-size:1.4rem; margin:8px 0; }
  .lang { font-size:1rem; padding:10px 14px; border:1px solid #d0d7de; border-radius:8px; background:#fff;
          color:var(--accent); text-decoration:none; min-height:44px; display:inline-flex; align-items:center; }
  .card { background:#fff; border:1px solid #d0d7de; border-radius:12px; padding:16px; margin:14px 0; }
  fieldset { border:0; margin:0; padding:0; }
  legend { font-weight:600; margin-bottom:10px; padding:0; }
  .req { color:var(--err); font-weight:400; font-size:.9rem; margin-left:4px; }
  .opt { display:flex; align-items:center; gap:12px; min-height:52px; padding:10px 14px; margin:8px 0;
         border:1px solid #d0d7de; border-radius:10px; background:#fff; cursor:pointer; }
  .opt input { width:26px; height:26px; margin:0; flex:none; accent-color:var(--accent); }
  .opt:has(input:checked) { border-color:var(--accent); background:#ddf4ff; }
  textarea { width:100%; min-height:110px; font:inherit; padding:10px; border:1px solid #d0d7de; border-radius:10px; }
  .err { color:var(--err); font-size:1rem; margin:6px 0 0; }
  .invalid { border-color:var(--err); }
  button { width:100%; min-height:56px; font:inherit; font-weight:600; color:#fff; background:var(--accent);
           border:0; border-radius:12px; margin:10px 0 30px; cursor:pointer; }
  .notice { text-align:center; padding:32px 16px; }
  .alert { border-left:4px solid var(--err); }
</style>
</head>
<body>
<main>
<header>
  <h1>{{ tr('survey.title') }}</h1>
  <a class="lang" href="?lang={{ 'zh' if lang == 'en' else 'en' }}" hreflang="{{ 'zh' if lang == 'en' else 'en' }}">{{ tr('survey.lang') }}</a>
</header>
{% if state == 'form' %}
  <p>{{ tr('survey.intro') }}</p>
  {% if errors %}<div class="card alert" role="alert">{{ tr('survey.fix') }}</div>{% endif %}
  <form method="post" action="">
    <input type="hidden" name="submission_id" value="{{ submission_id }}">
    <input type="hidden" name="started_at" value="{{ started_at }}">
    <input type="hidden" name="lang" value="{{ lang }}">
    {% for item in items %}
    <div class="card{{ ' invalid' if item.key in errors else '' }}">
      {% if item.kind == 'text' %}
        <label for="q-{{ loop.index }}"><b>{{ item.text }}</b>{% if item.required %}<span class="req">（{{ tr('survey.required') }}）</span>{% endif %}</label>
        <textarea id="q-{{ loop.index }}" name="{{ item.key }}" maxlength="{{ max_text }}"
          {% if item.required %}required aria-required="true"{% endif %}
          {% if item.key in errors %}aria-invalid="true" aria-describedby="e-{{ loop.index }}"{% endif %}>{{ values.get(item.key, '') }}</textarea>
      {% else %}
        <fieldset {% if item.key in errors %}aria-describedby="e-{{ loop.index }}"{% endif %}>
          <legend>{{ item.text }}{% if item.required %}<span class="req">（{{ tr('survey.required') }}）</span>{% endif %}</legend>
          {% set qi = loop.index %}
          {% for code, label in item.options %}
            <label class="opt" for="q-{{ qi }}-{{ loop.index }}">
              <input type="radio" id="q-{{ qi }}-{{ loop.index }}" name="{{ item.key }}" value="{{ code }}"
                {% if item.required %}required{% endif %}
                {% if values.get(item.key) == code %}checked{% endif %}>
              <span>{{ label }}</span>
            </label>
          {% endfor %}
        </fieldset>
      {% endif %}
      {% if item.key in errors %}<p class="err" id="e-{{ loop.index }}">{{ errors[item.key] }}</p>{% endif %}
    </div>
    {% endfor %}
    <button type="submit">{{ tr('survey.submit') }}</button>
  </form>
{% elif state == 'thanks' %}
  <div class="card notice" role="status"><h2>{{ tr('survey.thanks_title') }}</h2><p>{{ tr('survey.thanks') }}</p></div>
{% elif state == 'busy' %}
  <div class="card notice" role="alert"><p>{{ tr('survey.busy') }}</p></div>
{% else %}
  <div class="card notice" role="status"><h2>{{ tr('survey.closed_title') }}</h2><p>{{ tr('survey.closed') }}</p></div>
{% endif %}
</main>
</body>
</html>
"""

_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
}


def _code_text(code: object) -> str:
    return str(code)


def form_items(questionnaire: Questionnaire, lang: str) -> list[dict[str, Any]]:
    """The questionnaire's items shaped for the template, in `lang`."""
    shaped = []
    for item in questionnaire.items:
        options = [
            (_code_text(code), pick(label_zh, label_en, lang))
            for code, label_zh, label_en in (item.options or [])
        ]
        shaped.append(
            {
                "key": item.key,
                "kind": item.kind,
                "required": bool(item.required),
                "text": pick(item.text_zh, item.text_en, lang),
                "options": options,
            }
        )
    return shaped


def parse_answers(questionnaire: Questionnaire, form: Mapping[str, str]) -> tuple[dict[str, object], dict[str, str]]:
    """Answers from a posted form (codes mapped back to the questionnaire's codes).

    Returns the answers and the posted values as text (to refill the form).
    Unknown option values are dropped (the required check then reports them).
    """
    answers: dict[str, object] = {}
    values: dict[str, str] = {}
    for item in questionnaire.items:
        raw = (form.get(item.key) or "").strip()
        if not raw:
            continue
        if item.kind == "text":
            text = raw[:MAX_TEXT]
            answers[item.key] = text
            values[item.key] = text
            continue
        for code, _zh, _en in item.options or []:
            if _code_text(code) == raw:
                answers[item.key] = code
                values[item.key] = raw
                break
    return answers, values


def missing_required(questionnaire: Questionnaire, answers: Mapping[str, object], lang: str) -> dict[str, str]:
    """Required items without an answer → the message to show next to them."""
    return {
        item.key: t("survey.missing", lang)
        for item in questionnaire.items
        if item.required and item.key not in answers
    }


def _parse_started(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=None) if parsed.tzinfo else parsed


def register_survey_form(
    server: Flask, *, db: Database, bucket: TokenBucket, questionnaire_path: str | None = None
) -> None:
    """Add `GET/POST /s/<token>` to the Flask server."""
    cache: dict[str, Any] = {}
    page = server.jinja_env.from_string(_PAGE)  # compiled once; autoescaped like Flask's own templates

    def questionnaire() -> Any:
        if "q" not in cache:
            from surveys.questionnaire import load_questionnaire

            cache["q"] = load_questionnaire(questionnaire_path)
        return cache["q"]

    def render(state: str, lang: str, status: int = 200, **extra: Any) -> Response:
        html = page.render(
            state=state, lang=lang, tr=lambda key: t(key, lang), max_text=MAX_TEXT,
            items=extra.pop("items", []), errors=extra.pop("errors", {}),
            values=extra.pop("values", {}), **extra,
        )
        response = make_response(html, status)
        response.headers.update(_HEADERS)
        return response

    def fresh_form(lang: str, *, errors: dict[str, str] | None = None,
                   values: dict[str, str] | None = None, submission_id: str | None = None,
                   started_at: str | None = None) -> Response:
        return render(
            "form", lang,
            items=form_items(questionnaire(), lang),
            errors=errors or {}, values=values or {},
            submission_id=submission_id or secrets.token_urlsafe(18),
            started_at=started_at or datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds"),
        )

    def client_ip() -> str:
        return request.remote_addr or "?"

    @server.route("/s/<token>", methods=["GET", "POST"])
    def survey(token: str) -> Response:
        from surveys.errors import AnswersInvalid, SubmissionConflict, TokenRejected
        from surveys.intake import submit, token_state

        lang = lang_of(request.values.get("lang"))
        if not bucket.allow(client_ip()):
            return render("busy", lang, status=429)
        if len(token) > _TOKEN_MAX:
            return render("closed", lang)
        if request.method == "GET":
            if token_state(db, token) != "open":
                return render("closed", lang)
            return fresh_form(lang)
        q = questionnaire()
        answers, values = parse_answers(q, request.form)
        submission_id = (request.form.get("submission_id") or "")[:64] or secrets.token_urlsafe(18)
        started_raw = request.form.get("started_at")
        errors = missing_required(q, answers, lang)
        if errors:
            if token_state(db, token) != "open":
                return render("closed", lang)
            return fresh_form(lang, errors=errors, values=values,
                              submission_id=submission_id, started_at=started_raw)
        try:
            submit(db, token, answers, submission_id=submission_id, channel="web",
                   started_at=_parse_started(started_raw),
                   device=(request.user_agent.string or "")[:_DEVICE_MAX] or None,
                   address=request.remote_addr or None)
        except AnswersInvalid as exc:
            shown = {key: pick(t("survey.missing", "zh"), str(msg), lang)
                     for key, msg in exc.errors.items()}
            return fresh_form(lang, errors=shown, values=values,
                              submission_id=submission_id, started_at=started_raw)
        except (TokenRejected, SubmissionConflict):
            return render("closed", lang)
        return render("thanks", lang)
