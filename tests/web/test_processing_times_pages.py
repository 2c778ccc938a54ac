"""The card shows its measured time next to the declared one, in Persian digits, once enough requests were decided;
below the minimum sample it says nothing; the cached card of one service never shows another's figure."""

from datetime import timedelta

from app.extensions import db
from app.models import Request, utcnow
from tests import factories as f

DAY = timedelta(days=1)


def _card_with_decisions(app, count, days=(1.5, 2.1, 4.0, 9.5)):
    """A card with `count` decisions in the last weeks, cycling through `days` from submission to decision."""
    with app.app_context():
        target, applicant = f.service(duration_days=5), f.citizen()
        for index in range(count):
            decided_at = utcnow() - (index + 1) * DAY
            f.decided(target, applicant, decided_at - timedelta(days=days[index % len(days)]), decided_at)
        db.session.commit()
        return target.code


def test_the_card_shows_the_median_and_90th_percentile_in_persian_digits(app, client):
    # 20 decisions: 5 each of 1.5, 2.1, 4 and 9.5 days. Sorted, the 10th is 2.1 days ("within 3 days"), the 18th
    # is 9.5 days ("within 10 days").
    code = _card_with_decisions(app, 20)
    html = client.get(f"/services/{code}").get_data(as_text=True)
    assert "حدود ۵ روز" in html  # the declared time stays
    assert "معمولاً ظرف ۳ روز (بر پایهٔ ۲۰ درخواست در ۹۰ روز گذشته)؛ ۹ از ۱۰ درخواست ظرف ۱۰ روز" in html
    assert "از ثبت درخواست تا اعلام نتیجه" in html


def test_below_the_minimum_sample_the_card_says_nothing(app, client):
    code = _card_with_decisions(app, 19)
    html = client.get(f"/services/{code}").get_data(as_text=True)
    assert "حدود ۵ روز" in html
    assert "معمولاً ظرف" not in html and "زمان واقعی" not in html


def test_the_minimum_sample_is_a_setting(app, client):
    code = _card_with_decisions(app, 4)
    app.config["PROCESSING_TIMES_MIN_SAMPLE"] = 4
    try:
        html = client.get(f"/services/{code}").get_data(as_text=True)
    finally:
        app.config["PROCESSING_TIMES_MIN_SAMPLE"] = 20
    # Sorted 1.5 2.1 4 9.5: the 2nd is 2.1 days, the 4th (ceil 3.6) 9.5 days.
    assert "معمولاً ظرف ۳ روز (بر پایهٔ ۴ درخواست در ۹۰ روز گذشته)؛ ۹ از ۱۰ درخواست ظرف ۱۰ روز" in html


def test_a_cached_card_shows_only_its_own_figure(app, client):
    measured = _card_with_decisions(app, 20, days=(1.0,))
    unmeasured = _card_with_decisions(app, 3, days=(30.0,))
    assert app.config["PAGE_CACHE_ENABLED"]
    for _ in range(2):  # the second round is served from the cache
        assert "معمولاً ظرف ۱ روز (بر پایهٔ ۲۰ درخواست" in client.get(f"/services/{measured}").get_data(as_text=True)
        assert "معمولاً ظرف" not in client.get(f"/services/{unmeasured}").get_data(as_text=True)


def test_seed_demo_gives_a_few_demo_cards_a_measured_time(app, client, seeded):
    for code in ("10010003", "10060001", "10050001"):
        html = client.get(f"/services/{code}").get_data(as_text=True)
        assert "معمولاً ظرف" in html and "۹ از ۱۰ درخواست ظرف" in html, code
    # The demo officer's traffic-police card has only the demo stories: below the sample, nothing shown.
    assert "معمولاً ظرف" not in client.get("/services/10020001").get_data(as_text=True)
    # Running it again adds nothing.
    with app.app_context():
        before = db.session.execute(db.select(db.func.count(Request.id))).scalar_one()
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
        assert db.session.execute(db.select(db.func.count(Request.id))).scalar_one() == before
