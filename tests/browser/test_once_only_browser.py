"""The once-only path in Chromium (issue 13, "Done means"): a citizen on a 360 px phone files a licence whose card
asks two agencies in order (identity, then criminal record); the worker answers them through the service-bus
simulator; the officer at the desk sees both answers and approves; the citizen's request page says whom was asked
and how it stands, and /account/data-access names the agencies that answered and the agency that opened the
request. Then the same licence with a provider that never answers: after INQUIRY_MAX_ATTEMPTS tries the officer
sees "failed" and asks the citizen for the document instead, and the citizen sees that request.

Jobs wait for "the worker" here (JOBS_IMMEDIATE off): the live server runs in this process, so worker_runs() does
what a worker does, outbox.run() for every pending job that is due, until none is left.
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app import inquiries
from app.core.persian import jalali_date
from app.extensions import db
from app.inquiries import demo
from app.jobs import outbox
from app.models import InquiryType, Job, Request, Role, ServiceInquiry, utcnow
from tests import factories as f
from tests.browser.conftest import (
    DESKTOP,
    PERSIAN_DIGITS,
    assert_no_serious_violations,
    assert_no_sideways_scroll,
    click_and_wait,
    staff_signs_in,
)
from tests.web.helpers import otp_from_sms, register_mobile, shown_tracking_code

pytestmark = pytest.mark.usefixtures("uploads")
PHONE = {"width": 360, "height": 760}
SHOTS = Path("/tmp/shots-Q")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
AGENCY = "فرماندهی انتظامی"
SERVICE_TITLE = "صدور پروانهٔ حمل سلاح شکاری"
IDENTITY, RECORD = "سازمان ثبت احوال کشور", "قوه قضاییه"  # the demo types' providers (app/inquiries/demo.json)
CITIZEN = 900000  # national code 0009000003: the simulator finds it (it does not end in the "not found" 7)
FORM = [
    {"name": "weapon", "type": "text", "label": "نوع و کالیبر سلاح", "required": True, "max_length": 60},
]
DOCUMENTS = ["کارت ملی", "گواهی عدم سوءپیشینه", "عکس ۳×۴"]


@pytest.fixture
def world(app, monkeypatch):
    """A licence whose card asks identity, then (after it) criminal record; its officer; a citizen."""
    monkeypatch.setitem(app.config, "JOBS_IMMEDIATE", False)  # the inquiries wait for the worker
    SHOTS.mkdir(parents=True, exist_ok=True)
    with app.app_context():
        demo.load()  # the demo's inquiry types and their agencies (no demo card: its services are not here)
        types = {t.code: t for t in db.session.execute(db.select(InquiryType)).scalars()}
        owner = f.agency(name=AGENCY)
        service = f.service(owner, form=FORM, title=SERVICE_TITLE, duration_days=10, documents=DOCUMENTS)
        first = ServiceInquiry(
            service=service, inquiry_type=types["identity"], position=0, on_not_found="continue", replaces=[]
        )
        db.session.add(first)
        db.session.flush()
        db.session.add(
            ServiceInquiry(
                service=service,
                inquiry_type=types["criminal_record"],
                position=1,
                after=first,
                on_not_found="stop",
                replaces=[],
            )
        )
        person = f.citizen(CITIZEN, mobile="09120900000")
        f.staff(Role.AGENCY_OFFICER, username="officer", agency=owner)
        db.session.commit()
        return {"service": service.code, "national_code": person.national_code, "mobile": person.mobile}


def worker_runs(app, later=False):
    """What the worker does: every pending job that is due is run, again until none is left due. later=True: as
    if each retry's wait had passed too. Returns the outcomes of the inquiry jobs, in order."""
    outcomes = []
    with app.app_context():
        for _round in range(30):
            query = db.select(Job).where(Job.state == "pending")
            if not later:
                query = query.where(Job.next_try_at <= utcnow())
            due = db.session.execute(query.order_by(Job.id)).scalars().all()
            if not due:
                break
            for job in due:
                job.next_try_at = min(job.next_try_at, utcnow() - timedelta(seconds=1))
            kinds = {job.id: job.kind for job in due}
            db.session.commit()
            for job_id, kind in kinds.items():
                outcome = outbox.run(job_id)
                if kind == inquiries.JOB:
                    outcomes.append(outcome)
        else:
            raise AssertionError("the worker never ran out of due jobs")
        db.session.remove()
    return outcomes


def the_inquiries(app, code):
    with app.app_context():
        filed = db.session.execute(db.select(Request).filter_by(tracking_code=code)).scalar_one()
        found = {
            i.inquiry_type.code: {
                "state": i.state,
                "attempts": i.attempts,
                "started_at": i.started_at,
                "answered_at": i.answered_at,
            }
            for i in inquiries.for_request(filed)
        }
        db.session.remove()
    return found


def shot(page, name):
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def citizen_signs_in(page, base, app, world):
    register_mobile(app, world["national_code"], world["mobile"])
    page.goto(base + "/account/sign-in")
    page.get_by_label("کد ملی").fill(world["national_code"].translate(PERSIAN_DIGITS))
    page.get_by_label("شمارهٔ همراه").fill(world["mobile"].translate(PERSIAN_DIGITS))
    click_and_wait(page, page.get_by_role("button", name="دریافت کد ورود"))
    page.get_by_label("کد ورود").fill(otp_from_sms(app, world["mobile"]))
    click_and_wait(page, page.get_by_role("button", name="ورود", exact=True))
    assert "/account/requests" in page.url


def citizen_files(page, base, app, world, suffix, check_a11y):
    """From the card (which says what need not be brought) through the form (which no longer asks for it) to the
    request page; the tracking code."""
    page.goto(f"{base}/services/{world['service']}")
    once_only = page.locator("ul.once-only")
    expect(once_only).to_contain_text(f"لازم نیست «کارت ملی» را بیاورید: از {IDENTITY} استعلام می‌شود.")
    expect(once_only).to_contain_text(f"لازم نیست «گواهی عدم سوءپیشینه» را بیاورید: از {RECORD} استعلام می‌شود.")
    assert_no_sideways_scroll(page, "the card page")
    if check_a11y:
        assert_no_serious_violations(page, "the card page")
    shot(page, f"a1-card-360{suffix}")
    click_and_wait(page, page.get_by_role("link", name="درخواست برخط در پنجره"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(SERVICE_TITLE)
    form = page.locator("main form").first
    expect(form).to_contain_text("عکس ۳×۴")  # the one card document nobody is asked for
    expect(form).not_to_contain_text("گواهی عدم سوءپیشینه")
    expect(page.locator('input[type="file"]')).to_have_count(1)
    page.get_by_label("نوع و کالیبر سلاح").fill("تفنگ ساچمه‌ای کالیبر ۱۲")
    page.get_by_label("عکس ۳×۴").set_input_files({"name": "عکس.pdf", "mimeType": "application/pdf", "buffer": PDF})
    assert_no_sideways_scroll(page, "the filled apply page")
    shot(page, f"a2-apply-360{suffix}")
    click_and_wait(page, page.get_by_role("button", name="ادامه", exact=True))
    click_and_wait(page, page.get_by_role("button", name="فرستادن درخواست"))
    with app.app_context():
        code = db.session.execute(db.select(Request.tracking_code)).scalar_one()
    assert page.url.endswith(f"/requests/{code}")
    return code


def officer_acts(page, action, message=None):
    if message is not None:
        page.get_by_label("پیام به متقاضی یا دلیل").fill(message)
    click_and_wait(page, page.get_by_role("button", name=action, exact=True))
    expect(page.locator("body")).to_contain_text("انجام شد")


def test_two_ordered_inquiries_answered_then_the_officer_approves(new_context, live_server, app, world):
    base = live_server.url
    citizen = new_context(viewport=PHONE, locale="fa-IR").new_page()
    officer = new_context(viewport=DESKTOP, locale="fa-IR").new_page()

    citizen_signs_in(citizen, base, app, world)
    code = citizen_files(citizen, base, app, world, "", check_a11y=True)

    # Filed: both inquiries wait for the worker, the second for the first as well; the citizen sees them queued.
    asked = citizen.locator("section", has=citizen.locator("#inquiries-title"))
    expect(asked.locator("li")).to_have_count(2)
    expect(asked).to_contain_text(f"از {IDENTITY} استعلام می‌شود: در نوبت")
    expect(asked).to_contain_text(f"از {RECORD} استعلام می‌شود: در نوبت")
    shot(citizen, "a3-request-queued-360")

    # The officer's inbox, filtered to what waits for an inquiry, has it.
    staff_signs_in(officer, base, "officer")
    officer.get_by_label("در انتظار استعلام").check()
    click_and_wait(officer, officer.get_by_role("button", name="نمایش", exact=True))
    expect(officer.locator("table.data tbody tr", has_text=SERVICE_TITLE)).to_have_count(1)

    # The worker answers identity, which lets the criminal-record inquiry go; then that one.
    assert worker_runs(app) == ["done", "done"]
    found = the_inquiries(app, code)
    assert found["identity"]["state"] == found["criminal_record"]["state"] == "answered"
    assert found["criminal_record"]["started_at"] >= found["identity"]["answered_at"]  # in the card's order

    officer.reload()
    expect(officer.get_by_text("درخواستی با این پالایش نیست.")).to_be_visible()  # nothing waits any more
    officer.goto(f"{base}/desk/requests/{code}")
    panel = officer.locator("section", has=officer.locator("#inquiries-title"))
    for title in ("استعلام هویت و وقایع حیاتی", "استعلام سوءپیشینهٔ کیفری"):
        expect(panel.locator("li.inquiry-answered", has_text=title)).to_have_count(1)
    expect(panel.locator(".inquiry-answered .tag", has_text="پاسخ داده شد")).to_have_count(2)
    expect(panel.locator(".inquiry-answered .tag", has_text="شبیه‌ساز")).to_have_count(2)  # labelled a simulator
    identity = panel.locator("li", has_text="استعلام هویت و وقایع حیاتی")
    expect(identity.locator("dl.inquiry-answer")).to_contain_text("در قید حیات")
    expect(identity.locator("dl.inquiry-answer")).to_contain_text("بله")
    record = panel.locator("li", has_text="استعلام سوءپیشینهٔ کیفری")
    expect(record.locator("dl.inquiry-answer")).to_contain_text("سابقهٔ کیفری")
    expect(record.locator("dl.inquiry-answer dd").first).to_have_text(re.compile("^(ندارد|دارد)$"))
    expect(panel).to_contain_text("زمان پاسخ")
    assert_no_serious_violations(officer, "the desk request page with two answers")
    shot(officer, "a4-desk-answers-1280")

    # ... and decides.
    officer_acts(officer, "شروع بررسی")
    officer_acts(officer, "تأیید")
    expect(officer.locator(".status").first).to_have_text("تأیید شده")

    # The citizen's request page: whom was asked, on which day, how it stands; never the answer itself.
    citizen.goto(f"{base}/requests/{code}")
    expect(citizen.locator(".status").first).to_have_text("تأیید شده")
    asked = citizen.locator("section", has=citizen.locator("#inquiries-title"))
    for agency, key in ((IDENTITY, "identity"), (RECORD, "criminal_record")):
        day = jalali_date(found[key]["started_at"])
        expect(asked).to_contain_text(f"از {agency} در {day} استعلام شد: پاسخ داده شد")
    expect(citizen.locator("main")).not_to_contain_text("در قید حیات")
    expect(citizen.locator("main")).not_to_contain_text("سابقهٔ کیفری")
    assert_no_sideways_scroll(citizen, "the approved request page")
    assert_no_serious_violations(citizen, "the citizen's request page with its inquiries")
    shot(citizen, "a5-request-approved-360")

    # Who looked at my data: the two agencies that answered about the citizen, and the agency whose officer
    # opened the request (named as the agency, never the officer).
    citizen.goto(f"{base}/account/requests")
    click_and_wait(citizen, citizen.get_by_role("link", name="چه کسی اطلاعات مرا دید"))
    lines = citizen.locator("ol.data-access-list > li")
    for agency in (IDENTITY, RECORD):
        answered = f"«{agency}» به استعلامی دربارهٔ شما برای درخواست با کد رهگیری {shown_tracking_code(code)} پاسخ داد"
        expect(lines.filter(has_text=answered)).to_have_count(1)
    expect(lines.filter(has_text=f"کارشناس «{AGENCY}» درخواست شما با کد رهگیری")).to_have_count(1)
    expect(lines).to_have_count(3)  # the desk page shown again after each action: no new line
    expect(citizen.locator("main")).not_to_contain_text("کارمند آزمایشی")
    assert_no_sideways_scroll(citizen, "the data-access page")
    assert_no_serious_violations(citizen, "the data-access page")
    shot(citizen, "a6-data-access-360")

    # ... filtered to one organisation.
    citizen.get_by_label("سازمان").select_option(label=RECORD)
    click_and_wait(citizen, citizen.get_by_role("button", name="نمایش", exact=True))
    expect(lines).to_have_count(1)
    expect(lines.first).to_contain_text(f"«{RECORD}»")
    expect(lines.first).to_contain_text("قانون اجرای احکام کیفری")  # the inquiry type's legal basis
    shot(citizen, "a7-data-access-one-agency-360")


def test_a_provider_that_never_answers_and_the_officer_asks_for_the_document(
    new_context, live_server, app, world, monkeypatch
):
    """Without JavaScript, as the desk and the citizen's pages must work that way too."""
    monkeypatch.setitem(app.config, "BUS_SIMULATOR_FAIL_DIGIT", world["national_code"][-1])  # never answers
    base = live_server.url
    citizen = new_context(viewport=PHONE, java_script_enabled=False, locale="fa-IR").new_page()
    officer = new_context(viewport=DESKTOP, java_script_enabled=False, locale="fa-IR").new_page()

    citizen_signs_in(citizen, base, app, world)
    code = citizen_files(citizen, base, app, world, "-nojs", check_a11y=False)

    # Tried, waited for (the outbox's backoff), tried again … INQUIRY_MAX_ATTEMPTS times, then failed.
    assert app.config["INQUIRY_MAX_ATTEMPTS"] == 3
    assert worker_runs(app) == ["retry"]
    assert worker_runs(app) == []  # the second try waits for its time
    assert worker_runs(app, later=True) == ["retry", "done"]  # the third try ends it: the inquiry is failed
    found = the_inquiries(app, code)
    assert found["identity"]["state"] == "failed" and found["identity"]["attempts"] == 3
    assert found["criminal_record"]["state"] == "queued" and found["criminal_record"]["started_at"] is None

    staff_signs_in(officer, base, "officer")
    officer.goto(f"{base}/desk/requests/{code}")
    panel = officer.locator("section", has=officer.locator("#inquiries-title"))
    failed = panel.locator("li.inquiry-failed")
    expect(failed).to_have_count(1)
    expect(failed).to_contain_text("استعلام هویت و وقایع حیاتی")
    expect(failed.locator(".tag").first).to_have_text("ناموفق")
    expect(failed).to_contain_text("دستگاه پاسخ نداد (۳ تلاش)")
    expect(failed.get_by_role("button", name="استعلام دوباره")).to_be_visible()
    expect(panel.locator("li", has_text="استعلام سوءپیشینهٔ کیفری")).to_contain_text("در انتظار «استعلام هویت")
    shot(officer, "b1-desk-failed-1280-nojs")

    # The officer asks the citizen for the document instead (the existing needs-info action).
    officer_acts(officer, "شروع بررسی")
    message = "استعلام هویت پاسخ نداد؛ لطفاً تصویر کارت ملی خود را بفرستید."
    officer_acts(officer, "درخواست اطلاعات یا مدرک", message=message)
    expect(officer.locator(".status").first).to_have_text("نیاز به اطلاعات بیشتر")
    shot(officer, "b2-desk-asked-1280-nojs")

    citizen.goto(f"{base}/requests/{code}")
    expect(citizen.locator(".status").first).to_have_text("نیاز به اطلاعات بیشتر")
    expect(citizen.locator(".timeline")).to_contain_text(message)
    expect(citizen.locator(".timeline")).to_contain_text(AGENCY)  # the agency, not the officer
    expect(citizen.get_by_label("متن پیام")).to_be_visible()  # where to answer it
    asked = citizen.locator("section", has=citizen.locator("#inquiries-title"))
    day = jalali_date(found["identity"]["started_at"])
    expect(asked).to_contain_text(f"از {IDENTITY} در {day} استعلام شد: ناموفق")
    expect(asked).to_contain_text(f"از {RECORD} استعلام می‌شود: در نوبت")
    assert_no_sideways_scroll(citizen, "the request page asking for the document")
    shot(citizen, "b3-request-needs-info-360-nojs")

    # Nothing answered about the citizen: the log has the officer's viewing only.
    citizen.goto(f"{base}/account/data-access")
    lines = citizen.locator("ol.data-access-list > li")
    expect(lines).to_have_count(1)
    expect(lines.first).to_contain_text(f"کارشناس «{AGENCY}» درخواست شما با کد رهگیری")
