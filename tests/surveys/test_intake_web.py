"""The web form passes the device (User-Agent) and address to intake, stored only as salted hashes."""

from __future__ import annotations

from flask import Flask

from bench.reliability.concurrency import form_answers
from dashboard.ratelimit import TokenBucket
from dashboard.survey_form import register_survey_form
from surveys.design import draw_sample
from surveys.intake import fingerprint, salt_of
from warehouse.db import Database

AGENT = "Mozilla/5.0 (Linux; Android 14; test-phone) Mobile"


def _app(db: Database) -> Flask:
    server = Flask("survey-test")
    register_survey_form(server, db=db, bucket=TokenBucket(burst=100, per_minute=6000.0))
    return server


def test_web_submission_stores_salted_device_and_address_fingerprints(register_db: Database) -> None:
    tokens = draw_sample(register_db, "2025", seed=1).tokens["token"].to_list()
    client = _app(register_db).test_client()
    for n, (token, address) in enumerate([(tokens[0], "127.0.0.21"), (tokens[1], "127.0.0.21"),
                                          (tokens[2], "127.0.0.22")]):
        page = client.post(f"/s/{token}", data={**form_answers(), "submission_id": f"web-{n}"},
                           headers={"User-Agent": AGENT}, environ_base={"REMOTE_ADDR": address})
        assert page.status_code == 200 and "感谢您的参与" in page.get_data(as_text=True)
    rows = register_db.query(
        "SELECT submission_id, period_id, device_hash, address_hash FROM survey_responses ORDER BY submission_id")
    period = rows["period_id"][0]
    salt = salt_of(register_db, period)
    assert rows["device_hash"].to_list() == [fingerprint(period, salt, AGENT)] * 3
    assert rows["address_hash"].to_list() == [fingerprint(period, salt, "127.0.0.21")] * 2 + [
        fingerprint(period, salt, "127.0.0.22")]
    stored = " ".join(str(v) for v in register_db.query("SELECT * FROM survey_responses").rows())
    assert AGENT not in stored and "127.0.0.2" not in stored  # only the salted hashes are kept


def test_web_submission_without_user_agent_stores_no_device(register_db: Database) -> None:
    token = draw_sample(register_db, "2025", seed=1).tokens["token"][0]
    client = _app(register_db).test_client()
    page = client.post(f"/s/{token}", data={**form_answers(), "submission_id": "no-ua"},
                       headers={"User-Agent": ""}, environ_base={"REMOTE_ADDR": "127.0.0.9"})
    assert "感谢您的参与" in page.get_data(as_text=True)
    device, address = register_db.query("SELECT device_hash, address_hash FROM survey_responses").row(0)
    assert device is None and address is not None


def test_web_duplicate_device_screen_sees_the_form_submissions(register_db: Database) -> None:
    """The quality screen flags responses sharing a device/address hash from the web form."""
    from surveys.quality import screen

    tokens = draw_sample(register_db, "2025", seed=1).tokens["token"].to_list()
    client = _app(register_db).test_client()
    for n, token in enumerate(tokens[:4]):
        client.post(f"/s/{token}", data={**form_answers(), "submission_id": f"dup-{n}"},
                    headers={"User-Agent": AGENT}, environ_base={"REMOTE_ADDR": "127.0.0.30"})
    flags = screen(register_db, "2025", max_same_source=3)["flag"].to_list()
    assert {"duplicate_device", "duplicate_address"} <= set(flags), flags
