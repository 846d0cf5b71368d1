"""axe finds no serious or critical violations on any form, blank or showing errors, on a tablet and a phone."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from fieldapp.records.definitions import RECORD_TYPES
from tests.browser.test_record_forms import CONTROLLER, open_form, worker_page  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser
VIEWPORTS = {"tablet": {"width": 768, "height": 1024}, "phone": {"width": 390, "height": 844}}


def serious(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("record_type", RECORD_TYPES)
def test_form_pages_pass_axe(worker_page, live_server, record_type, viewport):  # noqa: F811
    page = worker_page
    page.set_viewport_size(VIEWPORTS[viewport])
    open_form(page, live_server.url, record_type)
    # One item in each repeating group, so group controls and item fields are checked too.
    for button in page.locator(".form-section .group-add").all():
        page.evaluate("(id) => document.getElementById(id).click()", button.get_attribute("id"))
    assert serious(page) == []
    page.evaluate(f"async () => {CONTROLLER}.validate()")
    assert page.locator(".error-summary").is_visible()
    assert serious(page) == []
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, "the form scrolls sideways"
    small = page.evaluate("""() => [...document.querySelectorAll('.form-section:not([hidden]) button')]
        .filter((b) => b.offsetParent && (b.offsetHeight < 44 || b.offsetWidth < 44)).map((b) => b.textContent)""")
    assert small == [], "buttons smaller than 44px"
