"""Agency desk depth: assignment tabs scoped to the agency, «برداشتن», reassignment by the manager only and within
the agency (two managers at once: one wins), the paused clock said on the page, the «دیرکرد» view, the filters and
keyset paging that stays stable across pages."""

import re
import threading
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import AuditEvent, Request, Role, utcnow
from app.requests import workflow
from tests import factories as f
from tests.web.helpers import sign_in_citizen, sign_in_staff

ROW = re.compile(r'href="/desk/requests/(\d+)"')
NEXT = re.compile(r'href="([^"]+)" rel="next"')
PAUSED = "ساعت مهلت متوقف است: در انتظار پاسخ متقاضی"


def _named(user, name):
    user.full_name = name
    return user


def _codes(client, url):
    response = client.get(url.replace("&amp;", "&"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    following = NEXT.search(html)
    return ROW.findall(html), following and following.group(1).replace("&amp;", "&")


@pytest.fixture
def desk(app):
    """One agency with a manager, two officers and three open requests (one each assigned to the officers, one
    nobody holds), and another agency with its own officer and request."""
    with app.app_context():
        roads = f.agency(name="پلیس راهور")
        service = f.service(roads, title="صدور المثنی کارت خودرو")
        manager = _named(f.staff(Role.AGENCY_MANAGER, username="manager", agency=roads), "مدیر راهور")
        manager2 = _named(f.staff(Role.AGENCY_MANAGER, username="manager2", agency=roads), "مدیر دوم")
        sara = _named(f.staff(Role.AGENCY_OFFICER, username="sara", agency=roads), "سارا کارشناس")
        reza = _named(f.staff(Role.AGENCY_OFFICER, username="reza", agency=roads), "رضا کارشناس")
        tax = f.agency(name="امور مالیاتی")
        outsider = _named(f.staff(Role.AGENCY_OFFICER, username="outsider", agency=tax), "کارشناس مالیات")
        alice = f.citizen(7301, mobile="09120007301")
        mine = f.filed(service, alice)
        workflow.advance(mine, "take", sara)
        theirs = f.filed(service, f.citizen())
        workflow.advance(theirs, "take", reza)
        free = f.filed(service, f.citizen())
        other = f.filed(f.service(tax), f.citizen())
        db.session.commit()
        return {
            "mine": mine.tracking_code,
            "theirs": theirs.tracking_code,
            "free": free.tracking_code,
            "other": other.tracking_code,
            "service": service.code,
            "sara": sara.public_id,
            "reza": reza.public_id,
            "outsider": outsider.public_id,
            "alice": (alice.national_code, alice.mobile),
            "ids": {"manager": manager.id, "manager2": manager2.id, "sara": sara.id, "reza": reza.id},
        }


def _request(code):
    return db.session.execute(db.select(Request).filter_by(tracking_code=code)).scalar_one()


def test_tabs_show_mine_unassigned_and_the_whole_agency_only(client, desk):
    sign_in_staff(client, "sara")
    mine, _n = _codes(client, "/desk/?tab=mine")
    unassigned, _n = _codes(client, "/desk/?tab=unassigned")
    everything, _n = _codes(client, "/desk/?tab=all")
    assert mine == [desk["mine"]]
    assert unassigned == [desk["free"]]
    assert sorted(everything) == sorted([desk["mine"], desk["theirs"], desk["free"]])
    html = client.get("/desk/").get_data(as_text=True)
    for label in ("مال من", "بی‌مسئول", "همهٔ سازمان"):
        assert label in html
    assert 'href="/desk/?tab=mine"' in html  # plain links: no JavaScript needed
    assert "دیرکرد" not in re.search(r'<nav class="tabs".*?</nav>', html, re.S).group(0)  # the manager's tab only


def test_the_first_action_assigns_and_the_take_button_claims(client, app, desk):
    sign_in_staff(client, "sara")
    with app.app_context():
        seen = _request(desk["free"]).version
    # A page older than the request is not acted on: told to reload.
    assert client.post(f"/desk/requests/{desk['free']}/claim", data={"version": seen - 1}).status_code == 409
    assert client.post(f"/desk/requests/{desk['free']}/claim", data={"version": seen}).status_code == 302
    with app.app_context():
        assert _request(desk["free"]).assignee_id == desk["ids"]["sara"]
        event = db.session.execute(db.select(AuditEvent).filter_by(action="request.assign")).scalar_one()
        assert event.object_ref == desk["free"] and event.actor_id == desk["ids"]["sara"]
    mine, _n = _codes(client, "/desk/?tab=mine")
    assert sorted(mine) == sorted([desk["mine"], desk["free"]])
    # Someone else's request: an officer cannot take it over.
    with app.app_context():
        seen = _request(desk["theirs"]).version
    response = client.post(f"/desk/requests/{desk['theirs']}/claim", data={"version": seen})
    assert response.status_code == 400
    assert "کارشناس دیگری" in response.get_data(as_text=True)
    with app.app_context():
        assert _request(desk["theirs"]).assignee_id == desk["ids"]["reza"]


def test_the_manager_reassigns_within_the_agency(client, app, desk):
    sign_in_staff(client, "manager")
    page = client.get(f"/desk/requests/{desk['mine']}").get_data(as_text=True)
    assert "رضا کارشناس" in page and "کارشناس مالیات" not in page  # only the agency's officers are offered
    response = client.post(f"/desk/requests/{desk['mine']}/reassign", data={"officer": desk["reza"]})
    assert response.status_code == 302
    with app.app_context():
        assert _request(desk["mine"]).assignee_id == desk["ids"]["reza"]
        event = db.session.execute(db.select(AuditEvent).filter_by(action="request.assign")).scalar_one()
        assert event.before == {"assignee": desk["sara"]} and event.after == {"assignee": desk["reza"]}


def test_a_reassignment_to_another_agencys_officer_is_refused_next_to_the_field(client, app, desk):
    sign_in_staff(client, "manager")
    response = client.post(f"/desk/requests/{desk['mine']}/reassign", data={"officer": desk["outsider"]})
    assert response.status_code == 400
    assert "فقط می‌توان به کارشناسان فعال همین دستگاه ارجاع داد." in response.get_data(as_text=True)
    with app.app_context():
        assert _request(desk["mine"]).assignee_id == desk["ids"]["sara"]


def test_an_officer_cannot_reassign_and_another_agency_cannot_see(client, app, desk):
    sign_in_staff(client, "sara")
    assert client.post(f"/desk/requests/{desk['mine']}/reassign", data={"officer": desk["reza"]}).status_code == 403
    assert "ارجاع به کارشناس" not in client.get(f"/desk/requests/{desk['mine']}").get_data(as_text=True)
    assert client.post(f"/desk/requests/{desk['other']}/claim", data={"version": 1}).status_code == 404
    with app.app_context():
        assert _request(desk["mine"]).assignee_id == desk["ids"]["sara"]


def test_a_stale_reassignment_form_is_refused(client, app, desk):
    sign_in_staff(client, "manager")
    with app.app_context():
        seen = _request(desk["mine"]).version
    assert (
        client.post(
            f"/desk/requests/{desk['mine']}/reassign", data={"officer": desk["reza"], "version": seen}
        ).status_code
        == 302
    )
    # The other manager's page still carries the old version: told, not silently overwritten.
    other = client.application.test_client()
    sign_in_staff(other, "manager2")
    response = other.post(f"/desk/requests/{desk['mine']}/reassign", data={"officer": desk["sara"], "version": seen})
    assert response.status_code == 409
    assert "این درخواست همین حالا تغییر کرد" in response.get_data(as_text=True)
    with app.app_context():
        assert _request(desk["mine"]).assignee_id == desk["ids"]["reza"]


def test_two_managers_reassigning_at_once_never_both_win(app, desk):
    clients = []
    for name in ("manager", "manager2"):
        c = app.test_client()
        sign_in_staff(c, name)
        clients.append(c)
    with app.app_context():
        seen = _request(desk["free"]).version
    barrier = threading.Barrier(2)
    results = [None, None]

    def run(index, officer):
        barrier.wait()
        try:
            results[index] = (
                clients[index]
                .post(f"/desk/requests/{desk['free']}/reassign", data={"officer": officer, "version": seen})
                .status_code
            )
        except BaseException as error:
            results[index] = error

    threads = [
        threading.Thread(target=run, args=(0, desk["sara"])),
        threading.Thread(target=run, args=(1, desk["reza"])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(results) == [302, 409]
    with app.app_context():
        winner = desk["ids"]["sara"] if results[0] == 302 else desk["ids"]["reza"]
        assert _request(desk["free"]).assignee_id == winner
        events = db.session.execute(db.select(AuditEvent).filter_by(action="request.assign")).scalars().all()
        assert len(events) == 1


def test_the_citizen_sees_the_agency_never_the_officer(client, app, desk):
    sign_in_citizen(client, app, *desk["alice"])
    html = client.get(f"/requests/{desk['mine']}").get_data(as_text=True)
    assert "پلیس راهور" in html
    assert "سارا کارشناس" not in html and "کارشناس آزمایشی" not in html


def test_the_desk_says_the_clock_is_paused_while_waiting_for_the_citizen(client, app, desk):
    with app.app_context():
        found = _request(desk["mine"])
        workflow.advance(found, "ask_info", found.assignee, message="تصویر سند را بفرستید")
        db.session.commit()
    sign_in_staff(client, "sara")
    assert PAUSED in client.get(f"/desk/requests/{desk['mine']}").get_data(as_text=True)
    assert "ساعت متوقف" in client.get("/desk/?tab=mine").get_data(as_text=True)
    citizen = app.test_client()
    sign_in_citizen(citizen, app, *desk["alice"])
    told = "تا پاسخ شما، مهلت رسیدگی پلیس راهور متوقف است"
    assert told in citizen.get(f"/requests/{desk['mine']}").get_data(as_text=True)  # the citizen is told too
    with app.app_context():
        found = _request(desk["mine"])
        workflow.advance(found, "answer", found.applicant, message="فرستادم")
        db.session.commit()
    assert PAUSED not in client.get(f"/desk/requests/{desk['mine']}").get_data(as_text=True)
    assert told not in citizen.get(f"/requests/{desk['mine']}").get_data(as_text=True)


def _make_late(code, days, hours=2):
    found = _request(code)
    found.due_at = utcnow() - timedelta(days=days, hours=hours)


def test_overdue_requests_are_in_the_managers_late_view_with_days_counted(client, app, desk):
    with app.app_context():
        _make_late(desk["theirs"], 3)  # 3 days and 2 hours: shows 4
        _make_late(desk["free"], 1)
        _make_late(desk["other"], 9)  # another agency's
        db.session.commit()
    sign_in_staff(client, "manager")
    late, _n = _codes(client, "/desk/?tab=late")
    assert late == [desk["theirs"], desk["free"]]  # longest overdue first
    html = client.get("/desk/?tab=late").get_data(as_text=True)
    assert "۴ روز دیرکرد" in html and "۲ روز دیرکرد" in html
    # An officer asking for the manager's tab gets the whole agency instead; the overdue filter is everyone's.
    sign_in_staff(client, "sara")
    assert len(_codes(client, "/desk/?tab=late")[0]) == 3
    flagged, _n = _codes(client, "/desk/?tab=all&overdue=1")
    assert sorted(flagged) == sorted([desk["theirs"], desk["free"]])


def test_filters_by_status_and_service(client, app, desk):
    with app.app_context():
        target = db.session.execute(db.select(Request).filter_by(tracking_code=desk["free"])).scalar_one()
        other_service = f.service(target.agency, title="خدمت دیگر")
        extra = f.filed(other_service, f.citizen()).tracking_code
        db.session.commit()
        code = other_service.code
    sign_in_staff(client, "sara")
    assert _codes(client, f"/desk/?service={code}")[0] == [extra]
    assert sorted(_codes(client, "/desk/?status=in_review")[0]) == sorted([desk["mine"], desk["theirs"]])
    assert sorted(_codes(client, "/desk/?status=submitted&tab=unassigned")[0]) == sorted([desk["free"], extra])
    assert client.get("/desk/?tab=nonsense&status=bogus&service=x").status_code == 200


def test_keyset_paging_of_a_tab_is_stable_across_pages(client, app, desk):
    with app.app_context():
        target = db.session.execute(db.select(Request).filter_by(tracking_code=desk["free"])).scalar_one()
        start = utcnow() - timedelta(days=30)
        expected = []
        for i in range(70):
            found = f.filed(target.service, f.citizen())
            found.submitted_at = start + timedelta(minutes=i // 5)  # groups sharing a minute: id breaks the tie
            found.due_at = utcnow() - timedelta(days=20) + timedelta(minutes=(69 - i) // 5)
            expected.append(found.tracking_code)
        db.session.commit()
    sign_in_staff(client, "manager")
    first, following = _codes(client, "/desk/?tab=unassigned")
    assert len(first) == 50 and following and "tab=unassigned" in following and "offset" not in following
    second, last = _codes(client, following)
    assert last is None
    assert first + second == expected + [desk["free"]]
    # The late tab pages by due date: most overdue first, each once.
    late_first, late_next = _codes(client, "/desk/?tab=late")
    late_second, _none = _codes(client, late_next)
    late = late_first + late_second
    assert len(late) == len(set(late)) == 70
    order = [expected[i] for group in reversed(range(14)) for i in range(5 * group, 5 * group + 5)]
    assert late == order
