"""Generated hostile input (hypothesis): ingest files, the survey form endpoint, every callback.

Reduced: a few hundred cases in all; the full run (`python -m bench.reliability`) sets
GRIDSCORE_REL_EXAMPLES to reach ≥ 10,000. Invariants: no 500 and no unexpected
exception; accepted + rejected = read; every stored row is valid.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.reliability.dashcall import payload
from dashboard.app import create_app
from dashboard.settings import Settings
from tests.factories import seed_reference
from tests.reliability.conftest import PASSWORD, RelCity
from tests.reliability.payloads import PAYLOADS
from warehouse.db import Database, open_db
from warehouse.errors import IngestError
from warehouse.ingest import ingest_file

pytestmark = pytest.mark.slow  # reliability: real servers, crash and fuzz trials

EXAMPLES = int(os.environ.get("GRIDSCORE_REL_EXAMPLES", "75"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

cells = st.one_of(
    st.none(), st.sampled_from(PAYLOADS), st.text(max_size=30),
    st.sampled_from(["W000001", "W000002", "D01S01C01", "2025-05-20", "2025/13/40", "hotline", "网上", "是",
                     "false", "yes", "1e309", "NaN", "-0", "", " ", "\u0000", "\ufeff", "😀"]),
)
COLUMNS = ["complaint_id", "worker_id", "unit_id", "received_on", "channel", "valid", "resolved", "summary"]


@pytest.fixture(scope="module")
def ref_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    db = open_db(tmp_path_factory.mktemp("fuzz") / "ref.duckdb")
    seed_reference(db)
    try:
        yield db
    finally:
        db.close()


def _csv(rows: list[list[str | None]], header: list[str]) -> bytes:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([["" if c is None else c for c in row] for row in rows])
    return buffer.getvalue().encode("utf-8", errors="surrogatepass")


@FUZZ
@given(rows=st.lists(st.lists(cells, min_size=8, max_size=8), min_size=1, max_size=12),
       drop=st.sets(st.sampled_from(COLUMNS), max_size=2), data=st.data())
def test_fuzz_ingest_counts_add_up_and_stores_only_valid_rows(ref_db: Database, tmp_path_factory, rows, drop,
                                                              data) -> None:
    header = [c for c in COLUMNS if c not in drop]
    keep = [i for i, c in enumerate(COLUMNS) if c not in drop]
    path = tmp_path_factory.mktemp("f") / data.draw(st.sampled_from(["x.csv", "x.CSV"]))
    try:
        path.write_bytes(_csv([[r[i] for i in keep] for r in rows], header))
    except UnicodeEncodeError:
        return
    before = ref_db.scalar("SELECT count(*) FROM complaints")
    try:
        result = ingest_file(ref_db, "complaints", path)
    except IngestError:
        assert ref_db.scalar("SELECT count(*) FROM complaints") == before
        return
    assert result.accepted + result.rejected == result.read
    assert ref_db.scalar("SELECT count(*) FROM complaints") == before + result.inserted
    bad = ref_db.scalar("""SELECT count(*) FROM complaints c WHERE complaint_id IS NULL OR received_on IS NULL
        OR valid IS NULL OR channel NOT IN ('hotline', 'letter', 'visit', 'online')
        OR (worker_id IS NOT NULL AND worker_id NOT IN (SELECT worker_id FROM workers))
        OR (unit_id IS NOT NULL AND unit_id NOT IN (SELECT unit_id FROM org_units))""")
    assert bad == 0


@FUZZ
@given(blob=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".xlsx", ".parquet"]))
def test_fuzz_ingest_garbage_files_are_refused_cleanly(ref_db: Database, tmp_path_factory, blob, suffix) -> None:
    path = tmp_path_factory.mktemp("g") / f"g{suffix}"
    path.write_bytes(blob)
    try:
        result = ingest_file(ref_db, "complaints", path)
    except IngestError:
        return
    assert result.accepted + result.rejected == result.read


@pytest.fixture(scope="module")
def form_app(rel_city: RelCity, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, Any, list]]:
    path = tmp_path_factory.mktemp("fuzzform") / "form.duckdb"
    shutil.copyfile(rel_city.path, path)
    db = open_db(path)
    from dashboard.auth import add_user

    add_user(db, "admin", PASSWORD, role="admin")
    app = create_app(Settings(db_path=str(path), survey_burst=10**9, survey_per_minute=1e12), db=db)
    try:
        yield db, app, list(rel_city.tokens)
    finally:
        from surveys.intake.writer import writer_for

        writer_for(db).stop()  # the survey writer may still be closing its cursor after the last answer
        db.close()


form_values = st.one_of(st.sampled_from(["very_satisfied", "satisfied", "dissatisfied", "yes", "no", "1", "5"]),
                        st.sampled_from(PAYLOADS), st.text(max_size=50), st.integers(990, 1100).map(lambda n: "长" * n))
ITEM_KEYS = ["overall", "responsiveness", "attitude", "problem_solved", "visited", "comment",
             "submission_id", "started_at", "lang", "extra"]


@FUZZ
@given(which=st.integers(0, 10_000), garbage=st.text(max_size=40), use_garbage=st.booleans(),
       form=st.dictionaries(st.sampled_from(ITEM_KEYS), form_values, max_size=10),
       method=st.sampled_from(["GET", "POST"]), lang=st.one_of(st.none(), st.text(max_size=8)))
def test_fuzz_survey_form_never_500_and_stores_only_valid_answers(form_app, which, garbage, use_garbage, form,
                                                                   method, lang) -> None:
    db, app, tokens = form_app
    client = app.server.test_client()
    token = garbage.replace("/", "") or "x" if use_garbage else tokens[which % len(tokens)]
    # quoted: a raw "?" or "#" in garbage would make the test client, not the server, fail
    response = client.open(f"/s/{quote(token, safe='')}", method=method, data=form if method == "POST" else None,
                           query_string={"lang": lang} if lang is not None else None)
    assert response.status_code in (200, 404, 405, 429), response.status_code


def test_fuzz_survey_form_stored_answers_are_all_valid(form_app) -> None:
    """After the fuzzing: every stored answer is an option of its item, or bounded text."""
    from surveys.questionnaire import load_questionnaire

    db, _app, _tokens = form_app
    q = load_questionnaire()
    codes = [(it.key, str(code)) for it in q.items for code, _zh, _en in it.options]
    texts = [it.key for it in q.items if it.kind == "text"]
    bad = db.scalar("""SELECT count(*) FROM survey_answers a
        WHERE NOT (list_contains($texts, a.item_key) AND length(a.answer_text) <= 1000 AND a.answer_code IS NULL)
          AND NOT list_contains($codes, a.item_key || '|' || a.answer_code)""",
                    {"texts": texts, "codes": [f"{k}|{c}" for k, c in codes]})
    assert bad == 0
    per_response = db.query("SELECT response_id, count(*) AS n FROM survey_answers GROUP BY ALL HAVING n > $m",
                            {"m": len(q.items)})
    assert per_response.height == 0


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=False),
              st.text(max_size=30), st.sampled_from(PAYLOADS[:20]),
              st.sampled_from(["?period=2025", "?period=2025&unit=D01S02", "?period=x&unit=%00", "/rankings",
                               "workers", "grids", "W000001"])),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=8,
)


@pytest.fixture(scope="module")
def admin_client(form_app):
    _db, app, _tokens = form_app
    client = app.server.test_client()
    assert client.post("/login", data={"user": "admin", "password": PASSWORD}).status_code == 302
    deps = [d for d in client.get("/_dash-dependencies").json if not d.get("clientside_function")]
    return client, deps


@FUZZ
@given(data=st.data())
def test_fuzz_every_callback_survives_any_input(admin_client, data) -> None:
    client, deps = admin_client
    dep = data.draw(st.sampled_from(deps))
    values = {f"{e['id']}.{e['property']}": data.draw(json_values) for e in dep["inputs"] + dep["state"]}
    response = client.post("/_dash-update-component", json=payload(dep, values))
    assert response.status_code in (200, 204, 400, 403, 404), (dep["output"], values, response.data[:300])


def test_fuzz_examples_setting_is_sane() -> None:
    assert EXAMPLES >= 1 and Path(__file__).exists()
