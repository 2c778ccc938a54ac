"""The authorization matrix: every URL rule of the app × every role × objects from scope A and from scope B, each
answer checked against a table written by hand (never computed from app.permissions).

Scope A is province 23 (Tehran): office A, agency A (provincial), service A outsourced to the counters of
province A, citizen A's request filed at office A, their draft and an attachment. Scope B is the same in
province 03 (Tabriz). The world is built once for the module; signed-in clients are kept per role.

Tokens in the table: a status code the endpoint answers (200, 302, 400 …); "-" for 404 (the object or page does
not exist for this role: out of scope, or a mode the role never uses, as role_required answers); "L" and "S" for
a redirect to the citizen's or the staff sign-in page; "C" for a redirect to the counter's home page. POSTs are sent without a body (CSRF is off in tests): a
refused one must never answer 200 and must leave the database as it was.

A new route joins automatically: test_every_rule_has_a_row fails until the table has its rows.
"""

import io
from datetime import timedelta

import pytest
from flask_login import login_required
from werkzeug.datastructures import FileStorage

from app.adapters import ownership
from app.administration import audit
from app.core.assets import asset_url
from app.extensions import db, limiter
from app.feedback import complaints
from app.models import (
    Cluster,
    LifeEvent,
    OnlinePayment,
    OtpChallenge,
    Rating,
    Role,
    SimulatedGatewayPayment,
    utcnow,
)
from app.people import data_access
from app.requests import attachments
from app.requests.filing import save_draft
from tests import factories as f
from tests.conftest import _empty_database
from tests.web.helpers import sign_in_citizen, sign_in_staff

ROLES = ("anon", "cit_a", "cit_b", "clerk_a", "clerk_b", "om_a", "off_a", "off_b", "am_a", "padm_a", "nadm")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
A, B = "23", "03"


# --- the world -----------------------------------------------------------------------------------------


def _attachment(user):
    upload = FileStorage(stream=io.BytesIO(PDF), filename="scan.pdf", content_type="application/pdf")
    return attachments.store(upload, field_name="scan", uploaded_by=user)


def _build():
    ids = {}
    for side, province in (("a", A), ("b", B)):
        agency = f.agency(code=f"76{province}", name=f"ادارهٔ کل {side}")
        agency.level, agency.province = "provincial", f.province(province)
        office = f.office(province, code=f"O{province}", name=f"دفتر پیشخوان {side}")
        service = f.service(agency, code=f"76{province}0001", title=f"خدمت آزمایشی {side}")
        outsourcing = f.outsourcing(service, provinces=(province,))
        citizen = f.citizen(7600 + int(province), mobile=f"091276000{province}")
        ownership.register(citizen.national_code, citizen.mobile)
        clerk = f.staff(Role.CLERK, username=f"clerk-{side}", office=office)
        officer = f.staff(Role.AGENCY_OFFICER, username=f"officer-{side}", agency=agency)
        scan = _attachment(citizen)
        filed = f.filed(service, citizen, channel="counter", office=office, actor=clerk, attachments=[scan])
        audit.record(clerk, "office.update", "office", office.code, {}, {"name": office.name})
        # Feedback (issue 14): a complaint about the request, escalated to the province, and a rating of it (written
        # directly: the request is not delivered, and the matrix only asks who may moderate it).
        complaint = complaints.file_complaint(citizen, f"شکایت آزمایشی {side}", request=filed)
        complaint.state, complaint.escalated_at = "escalated", utcnow()
        db.session.add(
            Rating(request=filed, service_id=service.id, agency_id=agency.id, stars=4, comment=f"نظر آزمایشی {side}")
        )
        ids.update(
            {
                f"agency_{side}": agency.code,
                f"office_{side}": office.code,
                f"service_{side}": service.code,
                f"outsourcing_{side}": outsourcing.public_id,
                f"staff_{side}": clerk.public_id,
                f"request_{side}": filed.tracking_code,
                f"file_{side}": scan.public_id,
                f"cit_{side}": (citizen.national_code, citizen.mobile),
                f"clerk_{side}": clerk.username,
                f"off_{side}": officer.username,
                f"complaint_{side}": complaint.reference,
            }
        )
        if side == "a":
            draft = save_draft(service, citizen, {"description": "پیش‌نویس"})
            ids["draft_a"] = draft.public_id
            # A payment of that draft that failed at the gateway, and a session open at the gateway simulator.
            ids["payment_a"] = "matrix-payment-a"
            db.session.add(
                OnlinePayment(
                    token=ids["payment_a"],
                    request=draft,
                    applicant=citizen,
                    amount_rial=150_000,
                    backend="simulator",
                    state="failed",
                    expires_at=utcnow(),
                )
            )
            ids["gateway_session"] = "matrix-gateway-session"
            db.session.add(
                SimulatedGatewayPayment(
                    authority=ids["gateway_session"],
                    order_id=ids["payment_a"],
                    amount_rial=150_000,
                    callback_url="http://localhost/pay/callback/matrix-payment-a",
                    expires_at=utcnow() + timedelta(days=1),
                )
            )
            ids["om_a"] = f.staff(Role.OFFICE_MANAGER, username="om-a", office=office).username
            ids["am_a"] = f.staff(Role.AGENCY_MANAGER, username="am-a", agency=agency).username
            ids["padm_a"] = f.staff(Role.PROVINCIAL_ADMIN, username="padm-a", province=f.province(A)).username
    ids["nadm"] = f.staff(Role.NATIONAL_ADMIN, username="nadm").username
    # One entry of citizen A's data-access log, for the admin's hide form.
    ids["data_entry"] = data_access.record(
        national_code=ids["cit_a"][0], purpose=data_access.COUNTER_IDENTIFY, data_kind="identity"
    ).hash
    ids["stylesheet"] = asset_url("css/app.css").removeprefix("/static/")
    db.session.add(Cluster(slug="matrix-cluster", name="خوشهٔ آزمایشی"))
    db.session.add(LifeEvent(slug="matrix-event", name="رویداد آزمایشی"))
    db.session.commit()
    return ids


@pytest.fixture(scope="module")
def world(session_app):
    with session_app.app_context():
        _empty_database()
        ids = _build()
    yield ids
    with session_app.app_context():
        _empty_database()
    limiter.reset()


class Clients:
    """One signed-in test client per role, signed in through the real pages once and again only after a request
    that ends the session."""

    def __init__(self, app, ids):
        self.app, self.ids, self.signed_in = app, ids, {}

    def get(self, role):
        if role == "anon":
            return self.app.test_client()
        if role not in self.signed_in:
            limiter.reset()
            client = self.app.test_client()
            if role.startswith("cit_"):
                with self.app.app_context():  # a second sign-in within the resend wait is refused, rightly
                    db.session.execute(db.delete(OtpChallenge))
                    db.session.commit()
                sign_in_citizen(client, self.app, *self.ids[role])
            else:
                sign_in_staff(client, self.ids[role])
            self.signed_in[role] = client
        return self.signed_in[role]

    def forget(self, role):
        self.signed_in.pop(role, None)


@pytest.fixture(scope="module")
def clients(session_app, world):
    return Clients(session_app, world)


# --- which objects fill each rule's URL arguments ------------------------------------------------------


def _objects(ids):
    """kind -> {variant: URL values}; "_query" is sent as the query string."""
    side = {
        "agency": lambda s: {"code": ids[f"agency_{s}"]},
        "office": lambda s: {"code": ids[f"office_{s}"], "office_code": ids[f"office_{s}"]},
        "outsourcing": lambda s: {"public_id": ids[f"outsourcing_{s}"]},
        "staff": lambda s: {"public_id": ids[f"staff_{s}"]},
        "service": lambda s: {"code": ids[f"service_{s}"]},
        "request": lambda s: {"code": ids[f"request_{s}"]},
        "complaint": lambda s: {"reference": ids[f"complaint_{s}"]},
    }
    objects = {kind: {"A": make("a"), "B": make("b")} for kind, make in side.items()}
    objects["request"]["draft"] = {"code": ids["draft_a"]}
    objects["rating"] = objects["request"]  # a rating is named by its request's tracking code
    objects["apply"] = {**objects["service"], "draft": {"code": ids["service_a"], "_query": {"draft": ids["draft_a"]}}}
    objects["attachment"] = {
        "A": {"code": ids["request_a"], "file_id": ids["file_a"]},
        "B": {"code": ids["request_b"], "file_id": ids["file_b"]},
        "A+fileB": {"code": ids["request_a"], "file_id": ids["file_b"]},  # a file of another request
    }
    objects["cluster"] = {"-": {"slug": "matrix-cluster"}}
    objects["life_event"] = {"-": {"slug": "matrix-event"}}
    objects["language"] = {"-": {"code": "en"}}
    objects["static"] = {"-": {"filename": ids["stylesheet"]}}
    objects["payment"] = {"A": {"token": ids["payment_a"]}}
    objects["gateway_session"] = {"-": {"authority": ids["gateway_session"]}}
    objects["data_entry"] = {"-": {"entry": ids["data_entry"]}}
    objects["dashboard_table"] = {"-": {"chart": "weeks", "kind": "csv"}}
    objects["weekly_report"] = {"-": {"key": "1300-W01"}}  # no stored report for that week (issue 14)
    objects["weekly_file"] = {"-": {"key": "1300-W01", "kind": "csv"}}
    objects["weekly_table"] = {"-": {"key": "1300-W01", "table": "late", "kind": "xlsx"}}
    objects["none"] = {"-": {}}
    return objects


KINDS = {
    "admin.agency_edit": "agency",
    "public.agency": "agency",
    "admin.office_edit": "office",
    "admin.office_status": "office",
    "counter.day_ledger": "office",
    "counter.day_csv": "office",
    "counter.day_xlsx": "office",
    "counter.month_csv": "office",
    "counter.close_day": "office",
    "admin.outsourcing_page": "outsourcing",
    "admin.decide": "outsourcing",
    "desk.outsourcing_page": "outsourcing",
    "admin.staff_account": "staff",
    "admin.staff_role": "staff",
    "admin.staff_status": "staff",
    "admin.staff_password": "staff",
    "public.service": "service",
    "public.service_history": "service",
    "account.apply": "apply",
    "account.apply_check": "apply",
    "counter.start": "service",
    "counter.identify": "service",
    "counter.consent": "service",
    "counter.fill": "service",
    "counter.fill_again": "service",
    "counter.submit": "service",
    "desk.outsourcing_propose": "service",
    "account.request_page": "request",
    "account.act": "request",
    "desk.request_page": "request",
    "desk.act": "request",
    "counter.receipt": "request",
    "account.download": "attachment",
    "public.cluster": "cluster",
    "public.life_event": "life_event",
    "public.language": "language",
    "static": "static",
    "account.pay_start": "apply",
    "account.pay_callback": "payment",
    "account.simulator_page": "gateway_session",
    "desk.refund": "request",
    "admin.data_access_hide": "data_entry",
    "desk.claim": "request",
    "desk.reassign": "request",
    "desk.add_inquiry": "request",
    "desk.retry_inquiry": "request",
    "transparency.dashboard_download": "dashboard_table",
    "transparency.weekly_report": "weekly_report",
    "transparency.weekly_file": "weekly_file",
    "transparency.weekly_download": "weekly_table",
    "admin.connection_edit": "agency",
    "account.rate": "request",
    "account.complaint_page": "complaint",
    "account.complaint_close": "complaint",
    "public.track_complaint_close": "complaint",
    "desk.complaint_page": "complaint",
    "desk.complaint_act": "complaint",
    "desk.rating_flag": "rating",
    "admin.complaint_page": "complaint",
    "admin.complaint_act": "complaint",
}


# --- the hand-written table ----------------------------------------------------------------------------


def everyone(token):
    return " ".join([token] * len(ROLES))


CITIZENS = "L 200 200 - - - - - - - -"
AGENCY_STAFF = "S - - - - - 200 200 200 - -"
COUNTER_STAFF = "S - - 200 200 200 - - - - -"
ADMINS = "S - - - - - - - - 200 200"

# fmt: off
MATRIX = {
    # --- public: the same for everyone ---
    #                               anon cit_a cit_b clerk_a clerk_b om_a off_a off_b am_a padm_a nadm
    "public.home":              {"GET -": everyone("200")},
    "public.search":            {"GET -": everyone("200")},
    "public.agencies":          {"GET -": everyone("200")},
    "public.agency":            {"GET A": everyone("200"), "GET B": everyone("200")},
    "public.service":           {"GET A": everyone("200"), "GET B": everyone("200")},
    "public.service_history":   {"GET A": everyone("200"), "GET B": everyone("200")},
    "public.cluster":           {"GET -": everyone("200")},
    "public.life_event":        {"GET -": everyone("200")},
    "public.offices_page":      {"GET -": everyone("200")},
    "public.location":          {"GET -": everyone("200"), "POST -": everyone("400")},
    "public.forget_location":   {"POST -": everyone("302")},
    "public.language":          {"GET -": everyone("302")},
    "public.track":             {"GET -": everyone("200"), "POST -": everyone("400")},
    # Rating and complaining from /track need the session's proof of a tracked request: without it, back to /track.
    "public.tracked":           {"GET -": everyone("302")},
    "public.track_rate":        {"POST -": everyone("302")},
    "public.track_complaint":   {"POST -": everyone("302")},
    "public.track_complaint_close": {"POST A": everyone("302"), "POST B": everyone("302")},
    "transparency.dashboard":   {"GET -": everyone("200")},
    "transparency.dashboard_download": {"GET -": everyone("200")},
    # the weekly connection report (issue 14): the archive; a week with no stored report is 404 for everyone
    "transparency.weekly_archive": {"GET -": everyone("200")},
    "transparency.weekly_report": {"GET -": everyone("-")},
    "transparency.weekly_file": {"GET -": everyone("-")},
    "transparency.weekly_download": {"GET -": everyone("-")},
    # scores (issue 14): the method and the ranking, with its files
    "transparency.score_method": {"GET -": everyone("200")},
    "transparency.ranking":     {"GET -": everyone("200")},
    "transparency.ranking_csv": {"GET -": everyone("200")},
    "transparency.ranking_xlsx": {"GET -": everyone("200")},
    "health.healthz":           {"GET -": everyone("200")},
    "kept_forms.renew":         {"GET -": everyone("200")},
    "static":                   {"GET -": everyone("200")},
    # --- signing in and out ---
    "account.sign_in":          {"GET -": everyone("200"), "POST -": everyone("400")},
    # Without a code on its way, the code page sends everyone back to the sign-in page.
    "account.verify":           {"GET -": everyone("L"), "POST -": everyone("L")},
    "account.resend":           {"POST -": everyone("L")},
    "account.staff_sign_in":    {"GET -": everyone("200"), "POST -": everyone("400")},
    "account.sign_out":         {"POST -": everyone("302")},
    "account.sign_out_everywhere": {"POST -": everyone("302")},
    "account.dev_sms":          {"GET -": everyone("200")},  # the simulator's outbox: loopback clients only
    # --- the citizen's account ---
    "account.my_requests":      {"GET -": CITIZENS},
    "account.data_access_log":  {"GET -": CITIZENS},
    "account.change_mobile":    {"GET -": CITIZENS, "POST -": "L 400 400 - - - - - - - -"},
    "account.change_mobile_code": {"GET -": "L 302 302 - - - - - - - -", "POST -": "L 302 302 - - - - - - - -"},
    "account.apply": {
        "GET A":      CITIZENS,
        "GET B":      CITIZENS,
        "GET draft":  "L 200 - - - - - - - - -",  # a draft is its owner's alone
        "POST A":     "L 400 400 - - - - - - - -",
        "POST B":     "L 400 400 - - - - - - - -",
        "POST draft": "L 400 - - - - - - - - -",
    },
    # Check your answers: of a draft only (without one, back to the form); its owner's alone.
    "account.apply_check": {
        "GET A":      "L 302 302 - - - - - - - -",
        "GET B":      "L 302 302 - - - - - - - -",
        "GET draft":  "L 200 - - - - - - - - -",
        "POST A":     "L 302 302 - - - - - - - -",
        "POST B":     "L 302 302 - - - - - - - -",
        "POST draft": "L 400 - - - - - - - - -",  # sent without the page's key: the page again, nothing filed
    },
    # The request page is for everyone signed in who may see the request: its citizen and the staff in scope.
    "account.request_page": {
        "GET A":     "L 200 - 200 - 200 200 - 200 200 200",
        "GET B":     "L - 200 - 200 - - 200 - - 200",
        "GET draft": "L 302 - - - - - - - - -",
    },
    "account.download": {
        "GET A":       "L 200 - 200 - 200 200 - 200 200 200",
        "GET B":       "L - 200 - 200 - - 200 - - 200",
        "GET A+fileB": "L - - - - - - - - - -",
    },
    # Paying online: the draft named in the form (or the query) must be one's own; a service without a fee has
    # nothing to pay (303 back to the check page). The callback of one's own payment that failed goes back there too.
    "account.pay_start": {
        "POST A":     "L - - - - - - - - - -",
        "POST B":     "L - - - - - - - - - -",
        "POST draft": "L 303 - - - - - - - - -",
    },
    "account.pay_callback":     {"GET A": "L 303 - - - - - - - - -"},
    # The bank-gateway simulator's page: loopback clients only, like the SMS outbox; a POST without a button is
    # refused by the "bank".
    "account.simulator_page":   {"GET -": everyone("200"), "POST -": everyone("400")},
    # Feedback (issue 14): rating one's own request (not delivered here, a draft neither: 400), one's complaints.
    "account.rate": {
        "POST A":     "L 400 - - - - - - - - -",
        "POST B":     "L - 400 - - - - - - - -",
        "POST draft": "L 400 - - - - - - - - -",
    },
    "account.complaints_list":  {"GET -": CITIZENS},
    "account.complaint_new":    {"GET -": CITIZENS, "POST -": "L 400 400 - - - - - - - -"},
    "account.complaint_page":   {"GET A": "L 200 - - - - - - - - -", "GET B": "L - 200 - - - - - - - -"},
    # Closing needs nothing but the token (CSRF is off here): the complainant's own closes.
    "account.complaint_close":  {"POST A": "L 302 - - - - - - - - -", "POST B": "L - 302 - - - - - - - -"},
    "account.act": {
        "POST A":     "L 400 - - - - - - - - -",
        "POST B":     "L - 400 - - - - - - - -",
        "POST draft": "L 400 - - - - - - - - -",
    },
    # --- the agency desk ---
    "desk.inbox":               {"GET -": AGENCY_STAFF},
    "desk.request_page": {
        "GET A":     "S - - - - - 200 - 200 - -",
        "GET B":     "S - - - - - - 200 - - -",
        "GET draft": "S - - - - - - - - - -",
    },
    "desk.act": {
        "POST A":     "S - - - - - 400 - 400 - -",
        "POST B":     "S - - - - - - 400 - - -",
        "POST draft": "S - - - - - - - - - -",
    },
    # Recording a refund: none is due on these requests, so the desk in scope goes back to the request (303).
    "desk.refund": {
        "POST A":     "S - - - - - 303 - 303 - -",
        "POST B":     "S - - - - - - 303 - - -",
        "POST draft": "S - - - - - - - - - -",
    },
    # Taking a request needs the version the page showed (none in an empty POST: 400); reassigning is the agency
    # manager's (an officer: 403; the manager without an officer chosen: 400).
    "desk.claim": {
        "POST A":     "S - - - - - 400 - 400 - -",
        "POST B":     "S - - - - - - 400 - - -",
        "POST draft": "S - - - - - - - - - -",
    },
    "desk.reassign": {
        "POST A":     "S - - - - - 403 - 400 - -",
        "POST B":     "S - - - - - - 403 - - -",
        "POST draft": "S - - - - - - - - - -",
    },
    # An inquiry added or retried from the desk: an empty POST names none (400) for the desk in scope.
    "desk.add_inquiry": {
        "POST A":     "S - - - - - 400 - 400 - -",
        "POST B":     "S - - - - - - 400 - - -",
        "POST draft": "S - - - - - - - - - -",
    },
    "desk.retry_inquiry": {
        "POST A":     "S - - - - - 400 - 400 - -",
        "POST B":     "S - - - - - - 400 - - -",
        "POST draft": "S - - - - - - - - - -",
    },
    # Complaints and ratings of the officer's own agency; an empty POST presses no button (400).
    "desk.complaints_list":     {"GET -": AGENCY_STAFF},
    "desk.complaint_page":      {"GET A": "S - - - - - 200 - 200 - -", "GET B": "S - - - - - - 200 - - -"},
    "desk.complaint_act":       {"POST A": "S - - - - - 400 - 400 - -", "POST B": "S - - - - - - 400 - - -"},
    "desk.ratings_list":        {"GET -": AGENCY_STAFF},
    "desk.rating_flag": {
        "POST A":     "S - - - - - 400 - 400 - -",
        "POST B":     "S - - - - - - 400 - - -",
        "POST draft": "S - - - - - - - - - -",
    },
    "desk.outsourcing_list":    {"GET -": "S - - - - - - - 200 - -"},
    "desk.links_page":          {"GET -": AGENCY_STAFF},
    "desk.outsourcing_propose": {
        "GET A":  "S - - - - - - - 200 - -",
        "GET B":  "S - - - - - - - - - -",
        "POST A": "S - - - - - - - 400 - -",
        "POST B": "S - - - - - - - - - -",
    },
    "desk.outsourcing_page":    {"GET A": "S - - - - - - - 200 - -", "GET B": "S - - - - - - - - - -"},
    # --- the counter: a service is filed only where it is outsourced, a ledger only at one's own office ---
    "counter.home":             {"GET -": COUNTER_STAFF},
    "counter.requests_list":    {"GET -": COUNTER_STAFF},
    "counter.ledger_today":     {"GET -": "S - - 302 302 302 - - - - -"},
    "counter.start":            {"GET A": "S - - 200 - 200 - - - - -", "GET B": "S - - - 200 - - - - - -"},
    # A step posted without its signed state starts the filing again (302 to its first page); a service not
    # fileable at the clerk's office goes back to the counter home with a message (C), as for an unknown code.
    "counter.identify":         {"POST A": "S - - 302 C 302 - - - - -", "POST B": "S - - C 302 C - - - - -"},
    "counter.consent":          {"POST A": "S - - 302 C 302 - - - - -", "POST B": "S - - C 302 C - - - - -"},
    "counter.fill":             {"POST A": "S - - 302 C 302 - - - - -", "POST B": "S - - C 302 C - - - - -"},
    # The form step shown again after a stale POST (core.kept_forms); with nothing kept, the filing starts over.
    "counter.fill_again":       {"GET A": "S - - 302 - 302 - - - - -", "GET B": "S - - - 302 - - - - - -"},
    "counter.submit":           {"POST A": "S - - 302 C 302 - - - - -", "POST B": "S - - C 302 C - - - - -"},
    "counter.receipt": {
        "GET A":     "S - - 200 - 200 - - - - -",
        "GET B":     "S - - - 200 - - - - - -",
        "GET draft": "S - - - - - - - - - -",
    },
    "counter.day_ledger":       {"GET A": "S - - 200 - 200 - - - - -", "GET B": "S - - - 200 - - - - - -"},
    "counter.day_csv":          {"GET A": "S - - 200 - 200 - - - - -", "GET B": "S - - - 200 - - - - - -"},
    "counter.day_xlsx":         {"GET A": "S - - 200 - 200 - - - - -", "GET B": "S - - - 200 - - - - - -"},
    "counter.month_csv":        {"GET A": "S - - 200 - 200 - - - - -", "GET B": "S - - - 200 - - - - - -"},
    "counter.close_day":        {"POST A": "S - - - - 400 - - - - -", "POST B": "S - - - - - - - - - -"},
    # --- administration: a provincial administrator manages scope A only ---
    "admin.home":               {"GET -": ADMINS},
    "admin.queue":              {"GET -": ADMINS},
    "admin.agencies_list":      {"GET -": ADMINS},
    "admin.offices_list":       {"GET -": ADMINS},
    "admin.staff_list":         {"GET -": ADMINS},
    "admin.audit_log":          {"GET -": ADMINS},
    "admin.agency_new":         {"GET -": ADMINS, "POST -": "S - - - - - - - - 400 400"},
    "admin.office_new":         {"GET -": ADMINS, "POST -": "S - - - - - - - - 400 400"},
    "admin.staff_new":          {"GET -": ADMINS, "POST -": "S - - - - - - - - 400 400"},
    "admin.fee_cap":            {"GET -": "S - - - - - - - - - 200", "POST -": "S - - - - - - - - - 400"},
    # Background work is national infrastructure: provincial administrators do not see it.
    "admin.jobs":               {"GET -": "S - - - - - - - - - 200"},
    "admin.job_retry":          {"POST -": "S - - - - - - - - - 400"},
    "admin.links_page":         {"GET -": ADMINS},
    # connection status and deadlines (issue 14); generating the week under way redirects to its report
    "admin.connections_list":   {"GET -": ADMINS},
    "admin.connections_generate": {"POST -": "S - - - - - - - - 302 302"},
    "admin.connection_edit": {
        "GET A":  ADMINS,
        "GET B":  "S - - - - - - - - - 200",
        "POST A": "S - - - - - - - - 400 400",
        "POST B": "S - - - - - - - - - 400",
    },
    "admin.scores_page":        {"GET -": "S - - - - - - - - - 200"},  # scores on demand (issue 14)
    "admin.scores_compute":     {"POST -": "S - - - - - - - - - 302"},
    "admin.inquiry_types":      {"GET -": ADMINS},
    # Complaints escalated to the province: a provincial administrator sees their province's only.
    "admin.complaints_list":    {"GET -": ADMINS},
    "admin.complaint_page":     {"GET A": ADMINS, "GET B": "S - - - - - - - - - 200"},
    "admin.complaint_act":      {"POST A": "S - - - - - - - - 400 400", "POST B": "S - - - - - - - - - 400"},
    # Hiding a data-access entry from its citizen: the national administrator only.
    "admin.data_access_admin":  {"GET -": "S - - - - - - - - - 200"},
    "admin.data_access_hide":   {"POST -": "S - - - - - - - - - 400"},
    "admin.agency_edit": {
        "GET A":  ADMINS,
        "GET B":  "S - - - - - - - - - 200",
        "POST A": "S - - - - - - - - 400 400",
        "POST B": "S - - - - - - - - - 400",
    },
    "admin.office_edit": {
        "GET A":  ADMINS,
        "GET B":  "S - - - - - - - - - 200",
        "POST A": "S - - - - - - - - 400 400",
        "POST B": "S - - - - - - - - - 400",
    },
    "admin.office_status":      {"POST A": "S - - - - - - - - 400 400", "POST B": "S - - - - - - - - - 400"},
    "admin.outsourcing_page":   {"GET A": ADMINS, "GET B": "S - - - - - - - - - 200"},
    "admin.decide":             {"POST A": "S - - - - - - - - 400 400", "POST B": "S - - - - - - - - - 400"},
    "admin.staff_account":      {"GET A": ADMINS, "GET B": "S - - - - - - - - - 200"},
    "admin.staff_role":         {"POST A": "S - - - - - - - - 400 400", "POST B": "S - - - - - - - - - 400"},
    # Without a body these two only ask for confirmation: nothing changes yet.
    "admin.staff_status":       {"POST A": ADMINS, "POST B": "S - - - - - - - - - 200"},
    "admin.staff_password":     {"POST A": ADMINS, "POST B": "S - - - - - - - - - 200"},
}
# fmt: on

REFUSED = ("-", "L", "S", "C", "403")
# Requests after which the role's client must sign in again.
ENDS_SESSION = {"account.sign_out", "account.sign_out_everywhere"}
# Public endpoints: no guard on their view functions (test_non_public_views_are_guarded checks the others).
PUBLIC = {
    "public.home",
    "public.search",
    "public.agencies",
    "public.agency",
    "public.service",
    "public.service_history",
    "public.cluster",
    "public.life_event",
    "public.offices_page",
    "public.location",
    "public.forget_location",
    "public.language",
    "public.track",
    "public.tracked",
    "public.track_rate",
    "public.track_complaint",
    "public.track_complaint_close",
    "transparency.dashboard",
    "transparency.dashboard_download",
    "transparency.weekly_archive",
    "transparency.weekly_report",
    "transparency.weekly_file",
    "transparency.weekly_download",
    "transparency.score_method",
    "transparency.ranking",
    "transparency.ranking_csv",
    "transparency.ranking_xlsx",
    "health.healthz",
    "kept_forms.renew",  # renews whatever session the browser has (js/session.js); reveals nothing
    "static",
    "account.sign_in",
    "account.verify",
    "account.resend",
    "account.staff_sign_in",
    "account.sign_out",
    "account.sign_out_everywhere",
    "account.dev_sms",  # guarded by the simulator backend and a loopback client instead of a role
    "account.simulator_page",  # the same: the payment simulator's bank page
}
# Tables whose rows a refused request may add as a side effect that changes nothing of substance, and the
# reference data no request writes.
# (job: the outbox rows of those SMS; worker_heartbeat: a worker's beat.)
UNTRACKED_TABLES = {
    "sms_message",
    "job",
    "worker_heartbeat",
    "otp_challenge",
    "sign_in_throttle",
    "search_miss",
    "search_term",
} | {
    "province",
    "county",
    "alembic_version",
}


def _cases(app, endpoint):
    """(method, variant) pairs the rule offers: its GET and POST methods × the variants of its kind."""
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint]
    methods = sorted({m for rule in rules for m in rule.methods if m in ("GET", "POST")})
    return {f"{method} {variant}" for method in methods for variant in _VARIANTS[KINDS.get(endpoint, "none")]}


_VARIANTS = {
    "payment": ("A",),
    "gateway_session": ("-",),
    "agency": ("A", "B"),
    "office": ("A", "B"),
    "outsourcing": ("A", "B"),
    "staff": ("A", "B"),
    "service": ("A", "B"),
    "apply": ("A", "B", "draft"),
    "request": ("A", "B", "draft"),
    "complaint": ("A", "B"),
    "rating": ("A", "B", "draft"),
    "attachment": ("A", "B", "A+fileB"),
    "cluster": ("-",),
    "life_event": ("-",),
    "language": ("-",),
    "static": ("-",),
    "data_entry": ("-",),
    "dashboard_table": ("-",),
    "weekly_report": ("-",),
    "weekly_file": ("-",),
    "weekly_table": ("-",),
    "none": ("-",),
}


def _answer(response):
    if response.status_code in (301, 302, 303):
        location = response.headers.get("Location", "")
        path = location.split("://", 1)[-1].split("/", 1)[-1] if "://" in location else location.lstrip("/")
        if path.startswith("account/sign-in") and not path.startswith("account/sign-in/"):
            return "L"
        if path.startswith("staff/sign-in"):
            return "S"
        if path == "counter/":
            return "C"
    if response.status_code == 404:
        return "-"
    return str(response.status_code)


def _fingerprint():
    """Everything stored, but the rows a refused request may legitimately leave (SMS outbox, throttles …)."""
    state = []
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            if table.name in UNTRACKED_TABLES:
                continue
            columns = [c for c in table.columns if not (table.name == "user" and c.name == "last_login_at")]
            rows = connection.execute(table.select().with_only_columns(*columns)).all()
            state.append((table.name, sorted(map(repr, rows))))
    return state


def test_every_rule_has_a_row(session_app):
    """New routes join the matrix: a rule without rows here fails with what to add."""
    endpoints = {rule.endpoint for rule in session_app.url_map.iter_rules()}
    missing = sorted(endpoints - set(MATRIX))
    assert not missing, f"add these endpoints to MATRIX in {__name__} (who may open them, for scope A and B): {missing}"
    stale = sorted(set(MATRIX) - endpoints)
    assert not stale, f"MATRIX rows for endpoints that no longer exist: {stale}"
    for endpoint, rows in MATRIX.items():
        assert set(rows) == _cases(session_app, endpoint), (
            f"{endpoint}: rows for {sorted(_cases(session_app, endpoint))}"
        )
        for key, tokens in rows.items():
            assert len(tokens.split()) == len(ROLES), f"{endpoint} {key}: one token per role {ROLES}"
    cases = sum(len(rows) for rows in MATRIX.values())
    print(
        f"authorization matrix: {len(MATRIX)} rules, {cases} (method, object) cases x {len(ROLES)} roles = {cases * len(ROLES)}"
    )


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_matrix(session_app, world, clients, endpoint):
    objects = _objects(world)[KINDS.get(endpoint, "none")]
    adapter = session_app.url_map.bind("localhost")
    rule_args = next(r.arguments for r in session_app.url_map.iter_rules() if r.endpoint == endpoint)
    wrong = []
    for key, tokens in sorted(MATRIX[endpoint].items()):
        method, variant = key.split(" ")
        values = dict(objects[variant])
        query = values.pop("_query", None)
        url = adapter.build(endpoint, {name: values[name] for name in rule_args}, method=method)
        expected = dict(zip(ROLES, tokens.split()))
        refused = [role for role in ROLES if expected[role] in REFUSED]
        # The refusals first, between two looks at the database; then the roles that may, whose POSTs may change it.
        if method == "POST" and refused:
            with session_app.app_context():
                before = _fingerprint()
        for role in refused + [role for role in ROLES if role not in refused]:
            limiter.reset()  # rate limits are their own tests; here every request must reach its view
            response = clients.get(role).open(url, method=method, query_string=query)
            got = _answer(response)
            if got != expected[role]:
                wrong.append(f"{key} as {role}: expected {expected[role]}, got {got} ({url})")
            if method == "POST" and role in refused:
                assert response.status_code != 200, f"{key} as {role}: a refused POST answered 200"
            if method == "POST" and refused and role == refused[-1]:
                with session_app.app_context():
                    assert _fingerprint() == before, f"{key}: a refused POST changed the database ({refused})"
            if endpoint in ENDS_SESSION:
                clients.forget(role)
    assert not wrong, f"{endpoint}:\n  " + "\n  ".join(wrong)


# List pages, whose answer is 200 for every role that may open them: what they list must stay in scope too.
# (role, page, links that must be there, links that must not)
LISTS = [
    ("off_a", "/desk/", ["/desk/requests/{request_a}"], ["/desk/requests/{request_b}"]),
    ("am_a", "/desk/", ["/desk/requests/{request_a}"], ["/desk/requests/{request_b}"]),
    ("off_b", "/desk/", ["/desk/requests/{request_b}"], ["/desk/requests/{request_a}"]),
    ("clerk_a", "/counter/requests", ["/counter/requests/{request_a}/receipt"], ["/counter/requests/{request_b}/"]),
    ("om_a", "/counter/requests", ["/counter/requests/{request_a}/receipt"], ["/counter/requests/{request_b}/"]),
    ("clerk_b", "/counter/requests", ["/counter/requests/{request_b}/receipt"], ["/counter/requests/{request_a}/"]),
    ("cit_a", "/account/requests", ["/requests/{request_a}", "draft={draft_a}"], ["/requests/{request_b}"]),
    ("cit_b", "/account/requests", ["/requests/{request_b}"], ["/requests/{request_a}", "draft={draft_a}"]),
    ("am_a", "/desk/outsourcing", ["/desk/outsourcing/{outsourcing_a}"], ["/desk/outsourcing/{outsourcing_b}"]),
    (
        "padm_a",
        "/admin/outsourcing?status=approved",
        ["/admin/outsourcing/{outsourcing_a}"],
        ["/admin/outsourcing/{outsourcing_b}"],
    ),
    (
        "nadm",
        "/admin/outsourcing?status=approved",
        ["/admin/outsourcing/{outsourcing_a}", "/admin/outsourcing/{outsourcing_b}"],
        [],
    ),
    ("padm_a", "/admin/agencies", ["/admin/agencies/{agency_a}"], ["/admin/agencies/{agency_b}"]),
    ("padm_a", "/admin/offices", ["/admin/offices/{office_a}"], ["/admin/offices/{office_b}"]),
    ("padm_a", "/admin/staff", ["/admin/staff/{staff_a}"], ["/admin/staff/{staff_b}"]),
    ("padm_a", "/admin/audit", ['/admin/offices/{office_a}"'], ['/admin/offices/{office_b}"']),
    ("nadm", "/admin/audit", ['/admin/offices/{office_a}"', '/admin/offices/{office_b}"'], []),
    ("off_a", "/desk/complaints", ["/desk/complaints/{complaint_a}"], ["/desk/complaints/{complaint_b}"]),
    ("off_b", "/desk/complaints", ["/desk/complaints/{complaint_b}"], ["/desk/complaints/{complaint_a}"]),
    ("off_a", "/desk/ratings", ["/desk/ratings/{request_a}/flag"], ["/desk/ratings/{request_b}/flag"]),
    ("padm_a", "/admin/complaints?state=all", ["/admin/complaints/{complaint_a}"], ["/admin/complaints/{complaint_b}"]),
    (
        "nadm",
        "/admin/complaints?state=all",
        ["/admin/complaints/{complaint_a}", "/admin/complaints/{complaint_b}"],
        [],
    ),
    ("cit_a", "/account/complaints", ["/account/complaints/{complaint_a}"], ["/account/complaints/{complaint_b}"]),
]


@pytest.mark.parametrize("role, path, present, absent", LISTS)
def test_list_pages_list_only_what_is_in_scope(world, clients, role, path, present, absent):
    limiter.reset()
    response = clients.get(role).get(path.format(**world))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for link in present:
        assert link.format(**world) in html, f"{role} on {path}: {link} should be listed"
    for link in absent:
        assert link.format(**world) not in html, f"{role} on {path}: {link} is out of scope"


def _guarded(view):
    """The view is wrapped by login_required, itself or through role_required (whose outer wrapper is
    login_required's, functools.wraps pointing its __wrapped__ at the view)."""
    login_code = login_required(lambda: None).__code__
    while view is not None:
        if getattr(view, "__code__", None) is login_code:
            return True
        view = getattr(view, "__wrapped__", None)
    return False


def test_non_public_views_are_guarded(session_app):
    """In the manner of notifications-admin's test_routes_have_permissions_decorators: every view of an endpoint
    not listed as public carries role_required or login_required, and the public ones are listed on purpose."""
    unguarded = sorted(
        endpoint
        for endpoint, view in session_app.view_functions.items()
        if endpoint not in PUBLIC and not _guarded(view)
    )
    assert not unguarded, f"views without role_required/login_required (guard them or list them in PUBLIC): {unguarded}"
    guarded_public = sorted(
        e for e in PUBLIC if e in session_app.view_functions and _guarded(session_app.view_functions[e])
    )
    assert not guarded_public, f"listed as public but guarded (remove them from PUBLIC): {guarded_public}"
