"""The desk inbox: oldest first, paged by position with next/previous links that work without JavaScript."""

import re
from datetime import datetime, timedelta

from app.extensions import db
from app.models import Request, Role
from app.requests import workflow
from tests import factories as f
from tests.web.helpers import sign_in_staff

ROW = re.compile(r'href="/desk/requests/(\d+)"')
NEXT = re.compile(r'href="([^"]+)" rel="next"')
PREV = re.compile(r'href="([^"]+)" rel="prev"')


def _page(client, url):
    response = client.get(url.replace("&amp;", "&"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    following, previous = NEXT.search(html), PREV.search(html)
    return ROW.findall(html), following and following.group(1), previous and previous.group(1)


def _sixty_open_requests(app):
    """60 open requests of one agency filed so that the inbox order is not the filing order: they come in groups
    of three that share a minute, the groups' minutes running backwards. Returns (officer's username, the
    tracking codes in the order the inbox must show them, those of them in review, those it must not show)."""
    with app.app_context():
        target = f.service()
        officer = f.staff(Role.AGENCY_OFFICER, agency_id=target.agency_id)
        start = datetime(2026, 11, 1, 8, 0)
        codes, in_review = [], set()
        for i in range(60):
            found = f.filed(target, f.citizen())
            found.submitted_at = start + timedelta(minutes=(59 - i) // 3)
            if i % 4 == 0:
                workflow.advance(found, "take", officer)  # in review: still open
                in_review.add(found.tracking_code)
            codes.append(found.tracking_code)
        rejected = f.filed(target, f.citizen())
        workflow.advance(rejected, "take", officer)
        workflow.advance(rejected, "reject", officer, message="مدارک ناقص است")
        rejected.submitted_at = start
        other = f.filed(f.service(), f.citizen())
        other.submitted_at = start
        db.session.commit()
        hidden = {rejected.tracking_code, other.tracking_code}
        username = officer.username
    # Minute 0 holds the last three filed (57, 58, 59), in filing (id) order within the minute; and so on back.
    expected = [codes[3 * group + k] for group in reversed(range(20)) for k in range(3)]
    return username, expected, in_review, hidden


def test_inbox_pages_through_sixty_open_requests_each_once_in_order(app, client):
    username, expected, _in_review, hidden = _sixty_open_requests(app)
    sign_in_staff(client, username)

    first, following, previous = _page(client, "/desk/")
    assert len(first) == 50 and previous is None and following is not None
    assert "page=" not in following and "offset" not in following
    second, last_link, back = _page(client, following)
    assert len(second) == 10 and last_link is None and back is not None

    assert first + second == expected
    assert not hidden & set(first + second)
    again, _following, no_previous = _page(client, back)
    assert again == first and no_previous is None


def test_inbox_next_page_skips_nothing_when_a_request_leaves_the_list_meanwhile(app, client):
    username, expected, in_review, _hidden = _sixty_open_requests(app)
    sign_in_staff(client, username)
    first, following, _previous = _page(client, "/desk/")
    with app.app_context():
        # Another officer rejects a request of the first page while this one reads it (OFFSET would now skip one).
        found = db.session.execute(db.select(Request).filter_by(tracking_code=first[0])).scalar_one()
        colleague = f.staff(Role.AGENCY_OFFICER, agency_id=found.agency_id)
        if found.tracking_code not in in_review:
            workflow.advance(found, "take", colleague)
        workflow.advance(found, "reject", colleague, message="تکراری است")
        db.session.commit()
    second, _last, _back = _page(client, following)
    assert second == expected[50:]


def test_inbox_filter_keeps_its_status_across_pages(app, client):
    username, expected, in_review, _hidden = _sixty_open_requests(app)
    sign_in_staff(client, username)
    rows, following, _previous = _page(client, "/desk/?status=in_review")
    assert len(rows) == 15 and following is None
    assert rows == [code for code in expected if code in in_review]


def test_inbox_malformed_unknown_or_foreign_cursor_shows_the_first_page(app, client):
    username, expected, _in_review, _hidden = _sixty_open_requests(app)
    with app.app_context():
        elsewhere = f.filed(f.service(), f.citizen())
        db.session.commit()
        foreign = elsewhere.public_id
    sign_in_staff(client, username)
    for query in (
        "after=%27%20OR%201%3D1--",
        "before=%D9%BE%D9%86%D8%AC%D8%B1%D9%87",
        "after=" + "x" * 500,
        "after=AAAAAAAAAAAAAAAA",
        "before=AAAAAAAAAAAAAAAA",
        "after=" + foreign,
        "after=&before=",
        "after=a&after=b",
    ):
        rows, following, previous = _page(client, "/desk/?" + query)
        assert rows == expected[:50] and previous is None, query
