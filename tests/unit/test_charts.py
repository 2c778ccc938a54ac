"""The server-side SVG charts: an accessible image (role, title, desc and the ids that tie them), scalable (a viewBox
and no width), right to left in Persian and mirrored in English, Persian digits in Persian and Latin in English,
and every label escaped."""

import re

from app.evaluation import charts

BARS = [charts.Bar("سازمان <ثبت> & اسناد", 30), charts.Bar("اداره", 60)]
COLUMNS = [charts.Column("۰۹/۰۱", {"online": 4, "counter": 1}), charts.Column("۰۹/۰۸", {"online": 2, "counter": 2})]
SERIES = [charts.Series("online", "برخط", charts.BRAND), charts.Series("counter", "پیشخوان", charts.ACCENT)]


def bars(persian=True, **options):
    return str(charts.bar_chart("c1", "عنوان <نمودار>", "شرح & توضیح", BARS, persian=persian, **options))


def rects(svg):
    return [
        {key: float(value) for key, value in re.findall(r'(x|y|width|height)="([0-9.]+)"', rect)}
        for rect in re.findall(r"<rect [^>]*>", svg)
    ]


def test_a_chart_is_an_image_named_by_its_title_and_description():
    svg = bars()
    assert svg.startswith("<svg ") and 'role="img"' in svg
    assert '<title id="c1-title">عنوان &lt;نمودار&gt;</title>' in svg
    assert '<desc id="c1-desc">شرح &amp; توضیح</desc>' in svg
    assert 'aria-labelledby="c1-title c1-desc"' in svg


def test_a_chart_scales_to_its_container():
    svg = bars()
    root = re.match(r"<svg [^>]*>", svg).group(0)
    assert re.search(r'viewBox="0 0 320 [0-9.]+"', root)
    assert " width=" not in root and " height=" not in root and "style=" not in svg and "<script" not in svg


def test_labels_are_escaped():
    svg = bars()
    assert "سازمان &lt;ثبت&gt; &amp; اسناد" in svg and "<ثبت>" not in svg


def test_persian_digits_in_persian_and_latin_in_english():
    persian, english = bars(persian=True), bars(persian=False)
    assert ">۳۰<" in persian and ">۶۰<" in persian and not re.search(r">[^<]*[0-9][^<]*</text>", persian)
    assert ">30<" in english and ">60<" in english and not re.search("[۰-۹]", english)
    assert ">۴٫۵<" in str(charts.bar_chart("c", "t", "d", [charts.Bar("a", 4.5)]))


def test_bars_grow_from_the_right_in_persian_and_from_the_left_in_english():
    persian = rects(bars(persian=True, maximum=100))
    english = rects(bars(persian=False, maximum=100))
    # 30 and 60 of 100 over a 260-unit track: the bars end at the start edge, x + width = 320 in Persian.
    assert [(r["x"] + r["width"], r["width"]) for r in persian] == [(320, 78), (320, 156)]
    assert [(r["x"], r["width"]) for r in english] == [(0, 78), (0, 156)]
    assert 'direction="rtl"' in bars(persian=True) and 'direction="ltr"' in bars(persian=False)


def test_the_target_line_sits_at_the_target_value():
    svg = bars(maximum=100, target=30, target_label="هدف ۳۰٪")
    lines = re.findall(r'<line x1="([0-9.]+)"[^>]*x2="([0-9.]+)"', svg)
    assert lines == [("242", "242")] * 2  # one mark per bar at 320 - 30 % of 260
    assert ">هدف ۳۰٪</text>" in svg


def test_time_runs_right_to_left_in_persian():
    svg = str(charts.column_chart("w", "هفته‌ها", "شرح", COLUMNS, SERIES, persian=True, label_every=1))
    labels = re.findall(r'<text x="([0-9.]+)"[^>]*>(۰۹/۰[۱۸])</text>', svg)
    first, second = (float(x) for x, _ in labels)
    assert [text for _, text in labels] == ["۰۹/۰۱", "۰۹/۰۸"] and first > second
    english = str(charts.column_chart("w", "Weeks", "d", COLUMNS, SERIES, persian=False, label_every=1))
    xs = [float(x) for x in re.findall(r'<text x="([0-9.]+)"[^>]*>۰۹/۰[۱۸]</text>', english)]
    assert xs[0] < xs[1]


def test_stacked_columns_are_as_tall_as_their_totals():
    svg = str(charts.column_chart("w", "t", "d", COLUMNS, SERIES))
    heights = [r["height"] for r in rects(svg) if r.get("width", 0) > 14]  # the columns, not the legend swatches
    # The tallest total (5) fills the 150-unit plot: 4 and 1, then 2 and 2 of 5.
    assert heights == [120, 30, 60, 60]
    assert ">۵</text>" in svg  # the scale's top
