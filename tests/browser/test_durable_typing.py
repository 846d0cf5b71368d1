"""Durable typing in the visit editor: typed at real speeds, pasted, then interrupted (reload, closed tab, lock)
at random moments with a fixed seed. After unlock the worker is back in the same record and section, and every
character typed more than the measured window before the interruption is there."""

from __future__ import annotations

import json
import random
import time

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.browser.conftest import wait_until
from tests.browser.shell_fixtures import enrol, next_section, start_visit, unlock, visible

pytestmark = pytest.mark.browser

# The remaining window (ms): a change older than this at the moment of a reload or a closed tab is in the vault.
# Measured by test_save_latency_is_a_few_tens_of_ms (median 6-9 ms, p95 9-60 ms; the slowest write 17-190 ms on
# a 2-core machine shared by eight test runs, load 18-27) and stated in the README. The bound held here is the
# slowest write seen under that load, rounded up, so the test does not depend on an idle machine.
WINDOW_MS = 250
FIELD = "#rf-visit-observations"
PASTE_FIELD = "#rf-visit-childs_words"
WORDS = [
    "calm",
    "warm",
    "kitchen",
    "nan",
    "school",
    "football",
    "tired",
    "happy",
    "worried",
    "brother",
    "dog",
    "tidy",
    "garden",
    "bedroom",
    "lunch",
    "homework",
    "visit",
    "talked",
    "smiled",
    "quiet",
]


def to_observations(page):
    start_visit(page)
    next_section(page)
    next_section(page)
    page.wait_for_selector(f"{FIELD}:visible")


def caret_to_end(page, selector):
    page.focus(selector)
    page.keyboard.press("Control+End")


def typed_text(rng, length):
    text = ""
    while len(text) < length:
        text += rng.choice(WORDS) + " "
    return text[:length]


def reopen(context, page, how, url):
    """Interrupt the way `how` says; unlock again; return the page now showing the app."""
    if how == "reload":
        page.reload()
    elif how == "close":
        page.close()  # the tab is closed with no chance to ask (no beforeunload)
        page = context.new_page()
        page.set_default_timeout(15000)
        page.on("dialog", lambda dialog: dialog.accept())
        page.goto(url)
    else:
        page.click("#lock-button")
    unlock(page)
    visible(page, "#screen-record")  # straight back into the visit, not the home screen
    return page


def assert_back_in_place(page, selector):
    try:
        wait_until(page, "(id) => document.activeElement && document.activeElement.id === id", arg=selector[1:])
    except (AssertionError, PlaywrightError):  # say where the focus went instead
        active = page.evaluate("() => document.activeElement && document.activeElement.outerHTML.slice(0, 160)")
        raise AssertionError(f"{selector} is not focused; the focus is on {active}") from None
    box = page.evaluate(
        """(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
        return {top: r.top, bottom: r.bottom, height: innerHeight}; }""",
        selector,
    )
    assert box["top"] >= 0 and box["top"] < box["height"], f"{selector} is not in view: {box}"


def test_typing_torture_nothing_older_than_the_window_is_lost(shell_server, context, page):
    rng = random.Random(20261101)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.accept()))
    enrol(page, shell_server)
    to_observations(page)
    expected = {FIELD: "", PASTE_FIELD: ""}
    checked = 0
    deadline = time.monotonic() + 60
    for round_ in range(14):
        if time.monotonic() > deadline:
            break
        how = rng.choice(["reload", "reload", "close", "lock"])
        wait_ms = rng.choice([0, 5, 20, 40, 80, 150, 300])
        if rng.random() < 0.7:
            selector = FIELD
            chars_per_second = rng.uniform(5, 15)
            delay = 1000 / chars_per_second
            chunk = typed_text(rng, rng.randint(6, 18))
            caret_to_end(page, selector)
            page.keyboard.type(chunk, delay=delay)
            # Characters typed within the window before the interruption may be missing, none older.
            allowed = 0 if how == "lock" or wait_ms > WINDOW_MS else int((WINDOW_MS - wait_ms) // delay) + 1
        else:
            selector = PASTE_FIELD  # pasted, dictated or filled by an assistive tool: the whole text at once
            chunk = f"pasted {round_}: " + typed_text(rng, rng.randint(200, 2000))
            page.fill(selector, expected[selector] + chunk)
            allowed = 0 if how == "lock" or wait_ms > WINDOW_MS else len(chunk)
        full = expected[selector] + chunk
        page.wait_for_timeout(wait_ms)
        page = reopen(context, page, how, f"{shell_server.url}/app")
        assert_back_in_place(page, selector)
        got = page.input_value(selector)
        assert full.startswith(got), f"round {round_} ({how}): the text came back altered: {got[-40:]!r}"
        missing = len(full) - len(got)
        assert missing <= allowed, (
            f"round {round_} ({how} {wait_ms} ms after the last change): {missing} characters "
            f"lost, at most {allowed} may be within the {WINDOW_MS} ms window"
        )
        expected[selector] = got
        checked += 1
        if selector == PASTE_FIELD:
            caret_to_end(page, FIELD)  # where the next round types
    assert checked >= 8
    print(f"\ntorture: {checked} interruptions, {len(dialogs)} beforeunload prompts")


LATENCIES_JS = """async () => {
  const { saveLatencies } = await import('/static/js/autosave.js');
  return JSON.stringify(saveLatencies.splice(0));
}"""


def latencies_of(page, action):
    page.evaluate(LATENCIES_JS)  # start afresh
    action()
    page.wait_for_selector("#record-saved:has-text('All changes saved')")
    return sorted(json.loads(page.evaluate(LATENCIES_JS)))


def describe(name, values):
    return (
        f"{name}: {len(values)} writes, median {values[len(values) // 2]:.1f} ms, "
        f"p95 {values[int(len(values) * 0.95)]:.1f} ms, worst {values[-1]:.1f} ms"
    )


def test_save_latency_is_a_few_tens_of_ms(shell_server, page):
    """The window stated in the README: from a change to its encrypted write being committed in IndexedDB."""
    enrol(page, shell_server)
    to_observations(page)
    caret_to_end(page, FIELD)
    typing = latencies_of(page, lambda: page.keyboard.type("steady typing, ten characters a second. " * 2, delay=100))
    fast = latencies_of(page, lambda: page.keyboard.type("fifteen a second now " * 2, delay=66))
    pasted = latencies_of(page, lambda: [page.fill(PASTE_FIELD, f"pasted text {n} " * 800) for n in range(10)])
    print(
        "\n"
        + "\n".join(
            describe(*phase) for phase in [("10 chars/s", typing), ("15 chars/s", fast), ("pasted 10 kB", pasted)]
        )
    )
    assert len(typing) >= 70 and len(fast) >= 35 and pasted  # one write per keystroke: no debounce
    everything = sorted(typing + fast + pasted)
    # Only the typical figure is held here: the slowest write depends on the machine's load (speed claims belong
    # in benchmarks); the torture test holds what matters, that nothing older than the window is lost.
    assert everything[len(everything) // 2] < 50, "the typical change takes more than a few tens of ms"


BLOCK_DRAFTS_JS = """(ms) => new Promise((resolve, reject) => {
  // Another tab holding a write transaction on the drafts store: the editor's writes queue behind it.
  const open = indexedDB.open("fieldapp");
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const store = open.result.transaction("drafts", "readwrite").objectStore("drafts");
    const until = Date.now() + ms;
    const spin = () => { if (Date.now() < until) store.get("nothing").onsuccess = spin; };
    spin();
    resolve();
  };
})"""


def test_page_asks_before_unloading_while_a_write_is_pending(shell_server, context, page):
    enrol(page, shell_server)
    to_observations(page)
    blocker = context.new_page()
    blocker.goto(f"{shell_server.url}/static/icons/icon-192.png")
    blocker.evaluate(BLOCK_DRAFTS_JS, 1500)
    caret_to_end(page, FIELD)
    page.keyboard.type("kept although the tab was closing", delay=5)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    page.close(run_before_unload=True)  # the worker is asked, and chooses to stay
    page.wait_for_timeout(300)
    assert dialogs == ["beforeunload"] and not page.is_closed()
    page.wait_for_selector("#record-saved:has-text('All changes saved')", timeout=5000)
    page.reload()  # nothing pending now: no question
    assert dialogs == ["beforeunload"]
    unlock(page)
    visible(page, "#screen-record")
    expect(page.locator(FIELD)).to_have_value("kept although the tab was closing")
