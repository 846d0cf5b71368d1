"""GET /api/record-types serves each definition with the council's labels applied."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fieldapp.models import Role
from fieldapp.records.definitions import RECORD_TYPES, LabelsFileError, apply_labels, base_definition


@pytest.fixture
def worker(make_team, make_user, login_as):
    user = make_user(Role.WORKER, make_team())
    login_as(user)
    return user


def test_all_definitions_served(client, worker):
    body = client.get("/api/record-types").get_json()
    assert [d["type"] for d in body["record_types"]] == list(RECORD_TYPES)
    assert all(d["schema_version"] == 1 and "schema" in d and "ui" in d for d in body["record_types"])


def test_one_definition_served(client, worker):
    body = client.get("/api/record-types/sos_map").get_json()
    assert body["title"] == "Signs of Safety map"
    assert body["schema"] == base_definition("sos_map")["schema"]


def test_unknown_type_is_a_json_404(client, worker):
    response = client.get("/api/record-types/diary")
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_definitions_need_a_signed_in_user(client):
    assert client.get("/api/record-types").status_code in (302, 401)


def test_council_renames_trademarked_methods(app, client, worker):
    labels = {
        "terms": {"Signs of Safety": "Safety and Wellbeing", "Three Houses": "My Three Worlds"},
        "types": {"three_houses": {"labels": {"worries": "Worries house"}, "sections": {"about": "Details"}}},
    }
    (Path(app.instance_path) / "labels.json").write_text(json.dumps(labels))
    sos = client.get("/api/record-types/sos_map").get_json()
    houses = client.get("/api/record-types/three_houses").get_json()
    assert sos["title"] == "Safety and Wellbeing map"
    assert houses["title"] == "My Three Worlds"
    assert houses["ui"]["labels"]["worries"] == "Worries house"
    assert [s["title"] for s in houses["ui"]["sections"]] == ["The three houses", "Details"]
    assert "Signs of Safety" not in json.dumps(client.get("/api/record-types").get_json())


def test_labels_file_from_config(app, client, worker, tmp_path):
    path = tmp_path / "council.json"
    path.write_text(json.dumps({"types": {"visit": {"title": "Home visit"}}}))
    app.config["LABELS_FILE"] = str(path)
    assert client.get("/api/record-types/visit").get_json()["title"] == "Home visit"


def test_labels_never_change_the_schema():
    shipped = base_definition("sos_map")
    labelled = apply_labels(shipped, {"terms": {"safety": "SAFETY", "Safety": "SAFETY"}})
    assert labelled["schema"] == shipped["schema"]
    assert shipped["title"] == "Signs of Safety map"  # the cached original is untouched


def test_malformed_labels_file_is_reported(app, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"types": {"diary": {}}}))
    app.config["LABELS_FILE"] = str(path)
    from fieldapp.records.definitions import definition

    with pytest.raises(LabelsFileError):
        definition("visit")


def test_form_preview_page_renders_for_a_worker(client, worker):
    page = client.get("/records/form-preview/visit")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "css/forms.css" in html and 'type="module" src="/static/js/form-preview.js"' in html
    assert "<script>" not in html and "style=" not in html  # the CSP allows neither
