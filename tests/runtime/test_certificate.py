"""The CE certificate: only once the completion rules are met, with the LMS's learner name."""

from __future__ import annotations

from packager.certificate import verification_code
from tests.conftest import ROOTS, unzip
from tests.runtime.lms import load, questions_by_id, walk

BASIC = ROOTS / "basic"


def certificate_text(ui) -> str:
    ui.get_by_role("button", name="Certificate").click()
    return ui.locator("#certificate").inner_text()


def test_standalone_certificate_asks_for_the_name(browser, serve_dir, page_errors, tmp_path):
    from packager import api

    (artifact,) = api.build(BASIC, ["web"], tmp_path)
    base = serve_dir(unzip(artifact.path, tmp_path / "site"))
    page = browser.new_page()
    errors = page_errors(page)
    page.goto(base + "index.html")
    page.wait_for_selector("html[data-packager-ready]")
    button = page.get_by_role("button", name="Certificate")
    assert not button.is_visible()
    walk(page, questions_by_id(BASIC), correct=True, skip_modules=("03-eval",))
    assert not button.is_visible(), "the evaluation rule is not met yet"
    walk(page, questions_by_id(BASIC), correct=True)
    assert button.is_visible()
    button.click()
    assert page.get_by_role("heading", name="Certificate of Completion").is_visible()
    page.get_by_label("Your name as it should appear on the certificate").fill("Ada Lovelace")
    page.get_by_role("button", name="Show certificate").click()
    text = page.locator("#certificate").inner_text()
    date = page.evaluate("Packager.state().d")
    assert "Ada Lovelace" in text and "Basic Test Course" in text and "Test Provider" in text
    assert "Test approval 123" in text and "100%" in text and date in text
    assert verification_code(load(BASIC), "Ada Lovelace", date) in text
    page.reload()
    page.wait_for_selector("html[data-packager-ready]")
    assert "Ada Lovelace" in certificate_text(page), "the typed name is kept with the progress"
    assert errors == []
    page.close()


def test_scorm12_certificate_uses_the_lms_name(lms):
    session = lms(BASIC, "1.2").launch({"core": {"student_name": "Lovelace, Ada",
                                                 "student_id": "42"}})
    ui = session.ui
    assert not ui.get_by_role("button", name="Certificate").is_visible()
    walk(ui, questions_by_id(BASIC), correct=True)
    text = certificate_text(ui)
    assert "Ada Lovelace" in text
    assert not ui.get_by_label("Your name as it should appear on the certificate").is_visible()
    date = session.frame.evaluate("Packager.state().d")
    assert verification_code(load(BASIC), "Lovelace, Ada", date) in text
    session.assert_clean()


def test_scorm2004_certificate_not_before_completion(lms):
    session = lms(BASIC, "2004").launch({"learner_name": "Grace Hopper", "learner_id": "7"})
    ui = session.ui
    walk(ui, questions_by_id(BASIC), correct=False)
    assert not ui.get_by_role("button", name="Certificate").is_visible(), "failed: no certificate"
    session.assert_clean()


def test_attestation_comes_first_and_is_recorded(lms):
    course = ROOTS / "attest"
    session = lms(course, "2004").launch({"learner_name": "Grace Hopper", "learner_id": "7"})
    ui = session.ui
    walk(ui, questions_by_id(course), correct=True)
    ui.get_by_role("button", name="Certificate").click()
    assert not ui.locator(".cert-body").is_visible()
    ui.get_by_label("I attest that I completed this course myself", exact=False).check()
    ui.get_by_role("button", name="Confirm").click()
    assert "Grace Hopper" in ui.locator(".cert-body").inner_text()
    ids = [e["args"][1] for e in session.log() if e["call"] == "SetValue"
           and e["args"][0].startswith("cmi.interactions.") and e["args"][0].endswith(".id")]
    assert any(v.endswith(":attestation") or v == "attestation" for v in ids), ids
    session.assert_clean()
