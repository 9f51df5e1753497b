"""The UI in a real browser (headless Debian chromium, driven by Playwright): the flows a
marketer, an analyst, a DPO and an admin go through, each page saved as a screenshot
under build/ui-screenshots/ for a human to look at."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers.ui import USERS, LoggedIn, screenshot, warehouse_rows
from personae.pipeline import run_pipeline_once

expect = pytest.importorskip("playwright.sync_api").expect


def _person_across_sources(root: Path) -> tuple[int, str, list[str]]:
    """A person with an e-mail and records from three sources or more (about ten records,
    a graph one can read on a screenshot), and its records."""
    rows = warehouse_rows(
        root,
        """
        SELECT m.person_id, any_value(p.email)
        FROM identity_map m JOIN profiles p USING (person_id)
        WHERE p.email IS NOT NULL
        GROUP BY m.person_id HAVING count(DISTINCT m.source) >= 3
        ORDER BY abs(count(*) - 10), m.person_id LIMIT 1
        """,
    )
    person, email = int(rows[0][0]), str(rows[0][1])
    records = [
        f"{s}:{r}"
        for s, r in warehouse_rows(
            root,
            "SELECT source, record_id FROM identity_map WHERE person_id = ? ORDER BY 1, 2",
            [person],
        )
    ]
    return person, email, records


def _person_of(root: Path, record: str) -> int:
    source, _, record_id = record.partition(":")
    rows = warehouse_rows(
        root,
        "SELECT person_id FROM identity_map WHERE source = ? AND record_id = ?",
        [source, record_id],
    )
    return int(rows[0][0])


def test_login_refuses_a_wrong_password_and_a_forged_form(browser: Any, ui_url: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{ui_url}/persons/1")
    assert page.url.endswith("/ui/login")
    page.fill("#user", "alice")
    page.fill("#password", "not-her-password")
    page.click("button[type=submit]")
    assert "Wrong user name or password." in page.inner_text("[role=alert]")
    screenshot(page, "login-refused")
    page.fill("#user", "alice")
    page.fill("#password", USERS["alice"][1])
    page.click("button[type=submit]")
    page.wait_for_url(f"{ui_url}/")
    # a form posted without the session's CSRF token (as another site would) is refused
    forged = page.request.post(
        f"{ui_url}/overrides", form={"kind": "cannot_link", "a": "crm:x", "b": "crm:y"}
    )
    assert forged.status == 403
    page.click("text=Log out")
    page.wait_for_url(f"{ui_url}/login")
    context.close()


def test_search_360_graph_split_rerun_and_the_split_holds(
    logged_in: LoggedIn, ui_project: Path, ui_url: str
) -> None:
    person, email, records = _person_across_sources(ui_project)
    page = logged_in("alice")
    page.fill("#q", email)
    page.wait_for_selector(f"#results a[href$='/persons/{person}']")
    screenshot(page, "search")
    page.click(f"#results a[href$='/persons/{person}']")
    page.wait_for_url(f"{ui_url}/persons/{person}")
    assert email in page.inner_text("#field-email")
    page.wait_for_selector("#timeline li")
    page.wait_for_selector("#details table")
    screenshot(page, "customer-360")
    page.click("text=Identity graph")
    page.wait_for_url(f"{ui_url}/persons/{person}/graph")
    page.wait_for_function("window.personaeGraph && window.personaeGraph.nodes().length > 2")
    nodes = page.evaluate("window.personaeGraph.nodes().map(n => n.id())")
    assert set(records) <= set(nodes)
    screenshot(page, "identity-graph")
    leaving = records[-1]
    page.click(f"button[data-record='{leaving}']")
    page.wait_for_selector("#split-record")
    page.click("#split-record")
    page.wait_for_selector("#override-saved")
    overrides = yaml.safe_load((ui_project / "overrides.yml").read_text())
    assert {"person": person, "records": [leaving]} in overrides["split_persons"]
    page.click("#run-now")
    page.wait_for_selector("#run-done", timeout=180_000)
    assert _person_of(ui_project, leaving) != person
    assert _person_of(ui_project, records[0]) == person
    run_pipeline_once(ui_project)  # every later run keeps it
    assert _person_of(ui_project, leaving) != person


def test_build_preview_and_save_a_segment(logged_in: LoggedIn, ui_project: Path) -> None:
    expected = warehouse_rows(
        ui_project,
        "SELECT count(*) FROM traits t JOIN persons p USING (person_id) "
        "WHERE p.merged_into IS NULL AND t.order_count >= 2",
    )[0][0]
    page = logged_in("marc")
    page.goto(page.url + "segments/new")
    page.fill("#seg-name", "repeat_buyers_ui")
    page.select_option("select[name=c0_field]", "order_count")
    page.select_option("select[name=c0_op]", ">=")
    page.fill("input[name=c0_value]", "2")
    page.press("input[name=c0_value]", "Tab")
    # the preview follows the conditions: the count a run would find (in the user's locale)
    expect(page.locator("#preview-count")).to_have_text(f"{expected:,}", timeout=20_000)
    assert "repeat_buyers_ui" in page.inner_text("#preview-yaml")
    screenshot(page, "segment-builder")
    page.click("#save-segment")
    page.wait_for_selector("#segment-saved")
    saved = yaml.safe_load((ui_project / "personae.yml").read_text())["segments"]
    assert saved["repeat_buyers_ui"] == {"all": [{"trait": "order_count", ">=": 2}]}


def test_a_review_decision_writes_an_override(logged_in: LoggedIn, ui_project: Path) -> None:
    page = logged_in("alice")
    page.goto(page.url + "review")
    screenshot(page, "review-queue")
    first = page.locator("#review-1")
    if first.count() == 0:
        assert "Nothing to review." in page.inner_text("main")
        return
    records = first.locator("td").first.inner_text().split()
    first.locator("button.danger").click()
    page.wait_for_selector("text=Saved. The next run applies it")
    overrides = yaml.safe_load((ui_project / "overrides.yml").read_text())
    assert sorted(records) in [sorted(pair) for pair in overrides["cannot_link"]]


def test_the_analyst_sees_masked_personal_data(logged_in: LoggedIn, ui_project: Path) -> None:
    person, email, _records = _person_across_sources(ui_project)
    page = logged_in("ana")
    page.goto(page.url + f"persons/{person}")
    text = page.inner_text("main")
    assert email not in text
    assert "•" in page.inner_text("#field-email")
    screenshot(page, "customer-360-analyst")


def test_a_french_user_reads_french(logged_in: LoggedIn) -> None:
    page = logged_in("marc")
    assert page.inner_text("nav").count("Segments") == 1
    assert "Rechercher" in page.inner_text("nav")
    assert page.get_attribute("html", "lang") == "fr"


def test_every_dashboard_draws_its_charts(logged_in: LoggedIn, ui_url: str) -> None:
    page = logged_in("alice")
    for tab in ("quality", "runs", "identity", "collection", "activation"):
        page.goto(f"{ui_url}/dashboards/{tab}")
        charts = page.locator(".chart[data-vega]")
        for i in range(charts.count()):
            # Vega-Lite renders each chart as an SVG (vendored, no network)
            expect(charts.nth(i).locator("svg").first).to_be_visible(timeout=20_000)
        screenshot(page, f"dashboard-{tab}")
    page.goto(f"{ui_url}/dashboards/quarantine")
    screenshot(page, "dashboard-quarantine")
    for path in ("privacy", "users", "segments"):
        page.goto(f"{ui_url}/{path}")
        screenshot(page, path)


def test_an_edge_shows_its_match_weight_waterfall(
    logged_in: LoggedIn, ui_project: Path, ui_url: str
) -> None:
    rows = warehouse_rows(
        ui_project,
        """
        SELECT m.person_id FROM identity_matches x
        JOIN identity_map m ON m.source = x.source_l AND m.record_id = x.record_id_l
        WHERE x.status IN ('linked', 'within') ORDER BY x.match_weight LIMIT 1
        """,
    )
    if not rows:
        return  # no probabilistic match in this demo: nothing to draw
    page = logged_in("alice")
    page.goto(f"{ui_url}/persons/{int(rows[0][0])}/graph")
    page.locator("main ul li button[hx-get*='graph/pair']").first.click()
    expect(page.locator("#waterfall svg").first).to_be_visible(timeout=20_000)
    assert "Match weight" in page.inner_text("#graph-panel")
    screenshot(page, "identity-graph-waterfall")
