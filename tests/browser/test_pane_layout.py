"""The pane at 320 px, Office's narrowest task pane: nothing scrolls sideways, in either host,
before and after an answer with long words and long sheet names. Each run also leaves a
screenshot per host in test-output/screenshots/ to look at."""

from __future__ import annotations

import base64

import pytest

from tests.browser.conftest import Pane, excel_config, screenshot_dir, word_config
from tests.helpers import make_docx

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

LONG = "https://example.org/reports/" + "very-long-unbroken-path-segment-" * 4
WORD = "Rindfleischetikettierungsüberwachungsaufgabenübertragungsgesetz"  # wider than 320 px
DOC = [
    ("Title", "Regional budget review"),
    ("Heading 1", "Findings"),
    ("", f"Spending rose in the north after the new depot opened; see {LONG} for the data. "
         "Contracts signed in spring fixed prices for two years."),
    ("", f"The southern region kept its costs flat while serving more customers under the {WORD}. "
         "Its team credits the scheduling software introduced last year."),
    ("Heading 1", "Next steps"),
    ("", f"The board will review depot costs each quarter and publish them at {LONG}."),
]
SHEET = "Q4_2024_Sales_Final_Checked_v12"  # 31 characters, Excel's longest
VALUES = [["Region", "Month", "Units"], *[[f"Region{i % 3}", 45292 + 31 * (i // 3), 10 + i]
                                           for i in range(12)]]


def assert_no_sideways_scroll(pane: Pane, when: str) -> None:
    width, client = pane.page.evaluate(
        "[document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]")
    assert width <= client, f"{when}: the page is {width}px wide in a {client}px pane"


def test_word_pane_fits_320_px(open_pane) -> None:
    pane = open_pane(word_config(file=base64.b64encode(make_docx(DOC)).decode(),
                                 paragraphs=[{"text": t, "style": s or "Normal"}
                                             for s, t in DOC], selection=[2, 3]))
    page = pane.page
    assert page.evaluate("window.innerWidth") == 320
    page.click("summary")  # the options open
    assert_no_sideways_scroll(pane, "the form")
    page.fill("#focus", "costs")
    page.click("#run")
    expect(page.locator("#status")).to_have_text("Done.")
    page.click("#thumb-up")
    expect(page.locator("#comment-box")).to_be_visible()
    expect(page.locator("#answer")).to_contain_text(WORD)
    assert_no_sideways_scroll(pane, "the answer")
    page.screenshot(path=str(screenshot_dir() / "look-word-320.png"), full_page=True)


def test_excel_pane_fits_320_px(open_pane) -> None:
    pane = open_pane(excel_config(
        sheets={SHEET: {"address": "A1:C13", "values": VALUES}}, activeSheet=SHEET,
        selectedRange={"sheet": SHEET, "address": "A1:C13", "values": VALUES}))
    page = pane.page
    assert_no_sideways_scroll(pane, "the form")
    page.fill("#question", "total units by region")
    page.click("#run")
    expect(page.locator("#status")).to_have_text("Done.")
    expect(page.locator("#insights button.range").first).to_contain_text(SHEET)
    assert_no_sideways_scroll(pane, "the answer")
    page.screenshot(path=str(screenshot_dir() / "look-excel-320.png"), full_page=True)


def test_french_in_excel(open_pane) -> None:
    pane = open_pane(excel_config(
        displayLanguage="fr-CA", sheets={SHEET: {"address": "A1:C13", "values": VALUES}},
        activeSheet=SHEET, selectedRange={"sheet": SHEET, "address": "A1:C13",
                                          "values": VALUES}))
    page = pane.page
    expect(page.locator("#run")).to_have_text("Analyser")
    expect(page.locator("label[for=question]")).to_have_text("Question (facultatif)")
    page.click("#run")
    expect(page.locator("#status")).to_have_text("Terminé.")
    expect(page.locator("#write-sheet")).to_have_text("Écrire dans une nouvelle feuille")
    assert_no_sideways_scroll(pane, "the French answer")
    page.screenshot(path=str(screenshot_dir() / "look-excel-320-fr.png"), full_page=True)
