"""Transparency pages: the public dashboard (issue 14): tiles, charts drawn as inline SVG, each with its data table and
that table as CSV and XLSX, nationally or for one province. It reads the stored snapshot (app/evaluation/dashboard.py)
and is kept in the page cache: the snapshot's nightly rewrite bumps the catalogue version the cache is keyed by."""

from __future__ import annotations

from typing import Any

import jdatetime
from flask import abort, render_template, request
from flask_babel import gettext as _
from markupsafe import Markup

from app.catalogue.queries import CONNECTION_STATUSES
from app.core.page_cache import cached_page, do_not_store
from app.core.persian import fold_digits, local_digits, persian_digits_enabled
from app.evaluation import charts
from app.evaluation import dashboard as figures_of
from app.evaluation.export import csv_response, xlsx_response
from app.models import Province
from app.web.transparency import bp


def _province(code: str) -> Province | None:
    code = fold_digits(code).strip()[:8]
    return figures_of.province_by_code(code) if code else None


def tables(figures: dict[str, Any]) -> dict[str, tuple[str, figures_of.Table]]:
    """Each chart's table (caption, headers and rows): the page shows it and the files hold it, the same rows."""
    english = not persian_digits_enabled()
    return {
        "weeks": (
            _("درخواست‌ها در هر هفته، به تفکیک مجرای ثبت"),
            figures_of.weeks_table(figures, [_("هفتهٔ آغازشده در"), _("برخط"), _("پیشخوان"), _("جمع")]),
        ),
        "agencies": (
            _("سهم خدمات کاملاً الکترونیکی در ده دستگاه با بیشترین خدمت"),
            figures_of.agencies_table(
                figures, [_("دستگاه"), _("خدمات"), _("کاملاً الکترونیکی"), _("سهم (درصد)")], english=english
            ),
        ),
        "connection": (
            _("دستگاه‌ها به تفکیک وضعیت اتصال"),
            figures_of.connection_table(figures, [_("وضعیت اتصال"), _("دستگاه‌ها")], CONNECTION_STATUSES),
        ),
    }


def _charts(figures: dict[str, Any], found: dict[str, tuple[str, figures_of.Table]]) -> dict[str, Markup]:
    persian = persian_digits_enabled()
    week_rows = found["weeks"][1].rows
    columns = [
        charts.Column(label=local_digits(row[0][5:]), values={"online": row[1], "counter": row[2]}) for row in week_rows
    ]
    weeks = charts.column_chart(
        "chart-weeks",
        found["weeks"][0],
        _("ستون‌های روی‌هم برای دوازده هفتهٔ اخیر به ترتیب زمان، قدیمی‌ترین هفته در آغاز سطر؛ اعداد در جدول زیر آمده است."),
        columns,
        [
            charts.Series("online", _("برخط"), charts.BRAND),
            charts.Series("counter", _("پیشخوان"), charts.ACCENT, edge=charts.ACCENT_EDGE),
        ],
        persian=persian,
    )
    agency_rows = found["agencies"][1].rows
    agencies = charts.bar_chart(
        "chart-agencies",
        found["agencies"][0],
        _(
            "میله‌های افقی، یکی برای هر دستگاه، با نشان هدف %(target)s؛ اعداد در جدول زیر آمده است.",
            target=charts.percent(figures_of.TARGET_PERCENT, persian),
        ),
        [
            charts.Bar(label=row[0], value=row[3], text=charts.percent(row[3], persian), colour=charts.BRAND)
            for row in agency_rows
        ],
        maximum=100,
        target=figures_of.TARGET_PERCENT,
        target_label=_("هدف %(share)s", share=charts.percent(figures_of.TARGET_PERCENT, persian)),
        persian=persian,
    )
    colours = {"connected": charts.OK, "redirect": charts.ACCENT_EDGE, "not_connected": charts.ERROR}
    connection = charts.bar_chart(
        "chart-connection",
        found["connection"][0],
        _("میله‌های افقی، یکی برای هر وضعیت؛ اعداد در جدول زیر آمده است."),
        [
            charts.Bar(label=row[0], value=row[1], colour=colours[status])
            for status, row in zip(figures_of.CONNECTION_ORDER, found["connection"][1].rows, strict=True)
        ],
        persian=persian,
    )
    return {"weeks": weeks, "agencies": agencies, "connection": connection}


def _month_name(figures: dict[str, Any]) -> str:
    year, month = (int(part) for part in figures_of.month_label(figures).split("/"))
    names = jdatetime.date.j_months_fa if persian_digits_enabled() else jdatetime.date.j_months_en
    return f"{names[month - 1]} {local_digits(year)}"


@bp.get("/dashboard")
@cached_page
def dashboard():
    asked = request.args.get("province", "")
    province = _province(asked)
    unknown = bool(asked.strip()) and province is None
    if unknown:
        do_not_store()  # any text can be typed here; only the real filters are worth keeping
    found = figures_of.snapshot(province.code if province else figures_of.NATIONAL)
    if found is None:  # a province added since the last computation: its figures come with the next one
        found = figures_of.snapshot(figures_of.NATIONAL)
        province = None
    assert found is not None
    figures = found.figures
    page_tables = tables(figures)
    return render_template(
        "transparency/dashboard.html",
        snapshot=found,
        figures=figures,
        province=province,
        provinces=figures_of.provinces(),
        unknown=unknown,
        electronic_share=figures_of.share(figures["electronic"], figures["services"]),
        target=figures_of.TARGET_PERCENT,
        month=_month_name(figures),
        tables=page_tables,
        charts=_charts(figures, page_tables),
        percent=lambda value: charts.percent(value, persian_digits_enabled()),
    )


@bp.get("/dashboard/<chart>.<any(csv, xlsx):kind>")
def dashboard_download(chart, kind):
    if chart not in figures_of.CHARTS:
        abort(404)
    asked = request.args.get("province", "")
    province = _province(asked)
    if asked.strip() and province is None:
        abort(404)  # a file named for a province must hold that province's figures, never the national ones
    scope = province.code if province else figures_of.NATIONAL
    found = figures_of.snapshot(scope)
    if found is None:
        abort(404)
    caption, table = tables(found.figures)[chart]
    name = f"dashboard-{chart}-{scope}.{kind}"
    if kind == "csv":
        return csv_response(name, table.headers, table.rows)
    return xlsx_response(name, caption, table.headers, table.rows)
