"""The task pane in Word: summarize (document or selection), streaming, cancel, citations,
inserting the answer, and what it says when something fails."""

from __future__ import annotations

import base64
import io
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from tests.browser.conftest import Pane, word_config
from tests.fakes import Step
from tests.helpers import make_docx

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

REPORT = [
    ("Title", "Annual Water Quality Report"),
    ("Heading 1", "Introduction"),
    ("", "The city tested drinking water at 120 sites across four districts during the year. "
         "Every site was sampled monthly and analysed by an accredited laboratory."),
    ("", "Residents asked for clearer reporting after the pipe replacement programme began. "
         "This report answers that request with district-level results."),
    ("Heading 1", "Results"),
    ("", "Lead levels fell in all four districts compared with the previous year. "
         "The largest drop, 38 percent, was measured in the northern district."),
    ("", "Nitrate concentrations stayed well below the legal limit at every site. "
         "Two sites showed brief turbidity spikes after heavy storms in March."),
    ("Heading 1", "Conclusion"),
    ("", "Water quality improved overall, driven by the pipe replacement programme. "
         "The city will publish quarterly results from next year."),
]
DOC = make_docx(REPORT)
PARAGRAPHS = [{"text": text, "style": style or "Normal"} for style, text in REPORT]
SIMULATED = "• Simulated point one\n• Simulated point two\n• Simulated point three"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def document_config(**overrides: Any) -> dict[str, Any]:
    """Word with DOC open, its paragraphs as body.paragraphs, the cursor in paragraph 3."""
    return word_config(**{"file": b64(DOC), "maxSlice": 4096, "paragraphs": PARAGRAPHS,
                          "selection": [3, 4], **overrides})


def summarize(pane: Pane) -> None:
    pane.page.click("#run")
    expect(pane.page.locator("#status")).to_have_text("Done.", timeout=20_000)


def test_the_summary_streams_in_and_is_inserted_at_the_cursor(open_pane, model_app) -> None:
    pane = open_pane(document_config(), model_app(Step(tokens_per_second=25)))
    page = pane.page
    page.evaluate("""() => {
        const answer = document.getElementById("answer");
        window.__lengths = [];
        new MutationObserver(() => window.__lengths.push(answer.textContent.length))
            .observe(answer, {childList: true, subtree: true, characterData: true});
    }""")
    with page.expect_request(lambda r: r.url.endswith("/api/v1/summarize") or
                             "/api/v1/summarize?" in r.url) as sent:
        page.click("#run")
    expect(page.locator("#status")).to_have_text("Done.", timeout=20_000)
    request = sent.value
    assert request.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    assert request.post_data_buffer == DOC  # the whole file, put back together from its slices
    [opened] = pane.calls("Document.getFileAsync")
    assert (opened["fileType"], opened["sliceSize"]) == ("compressed", 65536)
    assert len(pane.calls("File.getSliceAsync")) == -(-len(DOC) // 4096)
    assert len(pane.calls("File.closeAsync")) == 1

    lengths = [n for n in page.evaluate("window.__lengths") if n]
    assert len(set(lengths)) >= 4, f"the answer should grow delta by delta, saw {lengths}"
    assert lengths == sorted(lengths)
    assert "Simulated point three" in pane.answer_text()
    expect(page.locator("#model")).to_have_text("Model: llama-test (inhouse)")
    expect(page.locator("#cost")).to_have_text("Cost: free")
    expect(page.locator("#answer")).to_have_attribute("aria-busy", "false")

    page.select_option("#insert-where", "replace")
    page.click("#insert")
    expect(page.locator("#action-status")).to_have_text("Inserted into the document.")
    [inserted] = pane.wait_calls("Range.insertText")
    assert inserted == {"api": "Range.insertText", "text": SIMULATED, "location": "Replace",
                        "start": 3, "end": 4, "synced": True}
    page.select_option("#insert-where", "after")
    page.click("#insert")
    assert pane.wait_calls("Range.insertText", 2)[1]["location"] == "After"


def test_selection_scope_sends_only_the_selected_paragraphs(open_pane) -> None:
    paragraphs = [
        {"text": "Quarterly report", "style": "Title"},
        {"text": "Results", "style": "Heading 1"},
        {"text": "Revenue grew by twelve percent in the northern region this quarter.",
         "style": "Normal"},
        {"text": "Appendix", "style": "Heading 1"},
        {"text": "Results", "style": "Heading 1"},  # same text as p1: found by its range
        {"text": "Costs fell in every region after the new supplier contracts were signed.",
         "style": "Normal"},
        {"text": "", "style": "Normal"},
        {"text": "Closing words that are not selected.", "style": "Normal"},
    ]
    pane = open_pane(word_config(paragraphs=paragraphs, selection=[4, 7]))
    page = pane.page
    page.check("input[name=scope][value=selection]")
    with page.expect_request("**/api/v1/summarize") as sent:
        page.click("#run")
    expect(page.locator("#status")).to_have_text("Done.")
    body = json.loads(sent.value.post_data)
    assert body["paragraphs"] == [
        {"id": "p4", "text": "Results", "style": "Heading 1"},
        {"id": "p5", "text": paragraphs[5]["text"], "style": "Normal"},
    ]
    assert sent.value.headers["content-type"] == "application/json"
    assert not pane.calls("Document.getFileAsync")
    assert "Costs fell" in pane.answer_text()
    page.locator("#answer button.cite").first.click()
    expect(page.locator("#error")).to_be_empty()
    assert [c["index"] for c in pane.wait_calls("Paragraph.select")] == [5]


def test_a_citation_selects_its_paragraph(open_pane) -> None:
    pane = open_pane(document_config())
    expected = pane.app.test_client().post(
        "/api/v1/summarize", data={"file": (io.BytesIO(DOC), "r.docx")}).json["citations"]
    assert len(expected) >= 2
    summarize(pane)
    buttons = pane.page.locator("#answer button.cite")
    expect(buttons).to_have_count(len(expected))
    second = expected[1]
    button = pane.page.locator(f"#answer button.cite[data-cite='{second['n']}']")
    expect(button).to_have_attribute("title", second["preview"])
    button.click()
    expect(pane.page.locator("#error")).to_be_empty()
    index = int(second["paragraph_ids"][0][1:])
    assert index not in (0, 1)
    assert pane.wait_calls("Paragraph.select") == [
        {"api": "Paragraph.select", "index": index, "synced": True}]


def test_cancel_stops_the_stream(open_pane, model_app) -> None:
    words = " ".join(f"word{i}" for i in range(80))
    pane = open_pane(document_config(), model_app(Step(text=f"- {words} [p2]",
                                                       tokens_per_second=4)))
    page = pane.page
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.click("#run")
    expect(page.locator("#answer")).to_contain_text("word1", timeout=10_000)
    expect(page.locator("#cancel")).to_be_visible()
    page.click("#cancel")
    expect(page.locator("#status")).to_have_text("Cancelled. The answer was stopped.")
    stopped_at = pane.answer_text()
    time.sleep(1.5)  # six more words would have arrived
    assert pane.answer_text() == stopped_at and "word79" not in stopped_at
    assert any("/api/v1/summarize" in url for url in failed), "the request was not aborted"
    expect(page.locator("#cancel")).to_be_hidden()
    expect(page.locator("#run")).to_be_enabled()
    expect(page.locator("#actions")).to_be_hidden()
    expect(page.locator("#error")).to_be_empty()


def test_a_model_that_fails_midway_is_replaced_and_said_so(open_pane, model_app) -> None:
    pane = open_pane(document_config(), model_app(Step("cut", after_chunks=3,
                                                       tokens_per_second=50)))
    summarize(pane)
    page = pane.page
    expect(page.locator("#fallback")).to_have_text(
        "Answered by local after inhouse was unavailable.")
    expect(page.locator("#model")).to_have_text("Model: extractive-v1 (local)")
    assert "Simulated" not in pane.answer_text()  # the cut answer was replaced, not appended
    assert "Lead levels fell" in pane.answer_text()


def test_insert_at_the_end_and_as_a_comment(open_pane) -> None:
    pane = open_pane(document_config())
    summarize(pane)
    page = pane.page
    page.select_option("#insert-where", "end")
    page.click("#insert")
    expect(page.locator("#action-status")).to_have_text("Inserted into the document.")
    paragraphs = pane.wait_calls("Body.insertParagraph")
    assert paragraphs and all(p["location"] == "End" and p["synced"] for p in paragraphs)
    text = "\n".join(p["text"] for p in paragraphs)
    assert text.startswith("• ") and "[" not in text and "Lead levels fell" in text

    page.select_option("#insert-where", "comment")
    page.click("#insert")
    expect(page.locator("#action-status")).to_have_text("Inserted into the document.")
    [comment] = pane.wait_calls("Range.insertComment")
    assert comment["text"] == text and comment["synced"]


def test_no_comment_option_without_word_api_1_4(open_pane) -> None:
    pane = open_pane(document_config(sets={"WordApi": "1.3"}))
    options = pane.page.locator("#insert-where option").evaluate_all(
        "options => options.map(o => o.value)")
    assert options == ["after", "replace", "end"]


def test_a_refused_document_shows_the_services_message(open_pane) -> None:
    broken = DOC[: len(DOC) // 2]
    pane = open_pane(document_config(file=b64(broken)))
    response = pane.app.test_client().post(
        "/api/v1/summarize", data=broken, content_type=(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"))
    assert response.status_code == 422
    pane.page.click("#run")
    expect(pane.page.locator("#error")).to_have_text(response.json["error"]["message"])
    expect(pane.page.locator("#result")).to_be_hidden()
    expect(pane.page.locator("#run")).to_be_enabled()
    assert len(pane.calls("File.closeAsync")) == 1


@pytest.mark.parametrize(("ending", "message"), [
    ('event: error\ndata: {"code": "internal_error", "message": "The answer failed part-way. '
     'Try again.", "request_id": "r1"}\n\n', "The answer failed part-way. Try again."),
    ("", "The answer stopped before it was complete. Try again."),
], ids=["error-event", "no-done"])
def test_a_stream_that_ends_without_done_shows_why(open_pane, ending: str,
                                                   message: str) -> None:
    pane = open_pane(document_config())
    body = ('event: meta\ndata: {"request_id": "r1", "feature": "summarize", '
            '"provider": "local", "model": "extractive-v1"}\n\n'
            'event: delta\ndata: {"text": "- A first point\\n"}\n\n' + ending)
    pane.page.route("**/api/v1/summarize**", lambda route: route.fulfill(
        status=200, content_type="text/event-stream", body=body))
    pane.page.click("#run")
    expect(pane.page.locator("#error")).to_have_text(message)
    expect(pane.page.locator("#answer")).to_have_text("A first point")
    expect(pane.page.locator("#actions")).to_be_hidden()  # a broken answer is not inserted
    expect(pane.page.locator("#feedback")).to_be_hidden()


def test_a_network_failure_is_said_in_plain_words(open_pane) -> None:
    pane = open_pane(document_config())
    pane.page.route("**/api/v1/summarize**", lambda route: route.abort("connectionrefused"))
    pane.page.click("#run")
    expect(pane.page.locator("#error")).to_have_text(
        "The add-in service can't be reached. Check your connection and try again.")


def test_copy_puts_the_answer_on_the_clipboard(open_pane) -> None:
    pane = open_pane(document_config(),
                     permissions=["clipboard-read", "clipboard-write"])
    summarize(pane)
    pane.page.click("#copy")
    expect(pane.page.locator("#action-status")).to_have_text("Copied to the clipboard.")
    copied = pane.page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("• ") and "Lead levels fell" in copied and "[1]" not in copied


def test_thumbs_are_stored_with_the_model_that_answered(open_pane) -> None:
    pane = open_pane(document_config())
    summarize(pane)
    page = pane.page
    store = pane.app.extensions["addin.store"]
    with page.expect_response("**/api/v1/feedback") as answered:
        page.click("#thumb-up")
    assert answered.value.status == 201
    expect(page.locator("#feedback-status")).to_have_text("Thank you for your feedback.")
    expect(page.locator("#thumb-up")).to_have_attribute("aria-pressed", "true")
    [total] = store.feedback_summary()
    assert (total.provider, total.model, total.up, total.down) == (
        "local", "extractive-v1", 1, 0)

    answers: list[Any] = []
    page.on("response", lambda r: answers.append(r) if r.url.endswith("/feedback") else None)
    page.fill("#comment", "Missed the storms paragraph.")
    page.click("#send-comment")
    page.click("#thumb-down")  # at once: the pane sends one after the other, in order
    deadline = time.monotonic() + 10
    while len(answers) < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    sent = [json.loads(a.request.post_data) for a in answers]
    assert [(b["rating"], b["comment"]) for b in sent] == [
        ("up", "Missed the storms paragraph."), ("down", "Missed the storms paragraph.")]
    expect(page.locator("#thumb-up")).to_have_attribute("aria-pressed", "false")
    [total] = store.feedback_summary()
    assert (total.up, total.down, total.comments) == (0, 1, 1)


def test_the_pane_works_from_the_keyboard(open_pane) -> None:
    pane = open_pane(document_config())
    page = pane.page
    unlabeled = page.evaluate("""() => [...document.querySelectorAll("input, select, textarea")]
        .filter(el => !el.labels.length && !el.getAttribute("aria-label")).map(el => el.id)""")
    assert unlabeled == []
    page.focus("input[name=scope][value=document]")
    for _ in range(10):  # Tab through the form to the Summarize button
        if page.evaluate("document.activeElement.id") == "run":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "run"
    page.keyboard.press("Enter")
    expect(page.locator("#status")).to_have_text("Done.")
    assert page.evaluate("document.activeElement.id") == "run"  # focus came back from Cancel
    page.locator("#answer button.cite").first.focus()
    page.keyboard.press("Enter")
    assert len(pane.wait_calls("Paragraph.select")) == 1
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # the focus ring shows


def test_french_when_office_speaks_french(open_pane) -> None:
    pane = open_pane(document_config(displayLanguage="fr-FR"))
    page = pane.page
    assert page.evaluate("document.documentElement.lang") == "fr"
    expect(page.locator("#run")).to_have_text("Résumer")
    expect(page.locator("label[for=length]")).to_have_text("Longueur")
    page.click("#run")
    expect(page.locator("#status")).to_have_text("Terminé.")
    expect(page.locator("#cost")).to_have_text("Coût : gratuit")
    expect(page.locator("#thumb-up")).to_have_attribute("aria-label", "Utile")


def test_outside_office_the_pane_says_where_to_open_it(browser: Any,
                                                      serve: Callable[[Flask], str]) -> None:
    from addin import create_app

    context = browser.new_context()
    page = context.new_page()
    page.route("https://appsforoffice.microsoft.com/**", lambda route: route.abort())
    page.goto(serve(create_app()) + "/taskpane.html")
    expect(page.locator("#not-office")).to_be_visible()
    expect(page.locator("#ask")).to_be_hidden()
    context.close()
