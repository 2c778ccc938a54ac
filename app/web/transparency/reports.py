"""Transparency pages: the weekly connection report (issue 14): the archive of stored weeks, one week's page with
its tables, and those tables as CSV and XLSX (the same rows). Not in the page cache on purpose: the week under way
is written again whenever an administrator generates it, and a page reads one stored row, which costs less than the
cache would save."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import abort, render_template
from flask_babel import gettext as _

from app.catalogue.queries import CONNECTION_STATUSES
from app.core.persian import jalali_date, local_digits, persian_digits_enabled, to_tehran
from app.evaluation import weekly
from app.evaluation.export import Cell, csv_response, xlsx_response
from app.models import WeeklyReport
from app.web.transparency import bp


@bp.app_template_filter("week_label")
def week_label(key: str) -> str:
    """A week key (1405-W37) in words, «هفتهٔ ۳۷ سال ۱۴۰۵»: the key itself reads backwards inside Persian text."""
    found = weekly.KEY.fullmatch(key or "")
    if found is None:
        return key
    year, number = (local_digits(str(int(part))) for part in found.groups())
    return _("هفتهٔ %(week)s سال %(year)s", week=number, year=year)


@dataclass(frozen=True)
class Table:
    caption: str
    headers: list[str]
    rows: list[list[Cell]]


def _day(text: str | None) -> str:
    """A stored ISO date or moment as the Jalali date people read (the page's digits)."""
    if not text:
        return ""
    value = datetime.fromisoformat(text)
    day = to_tehran(value).date() if "T" in text else date.fromisoformat(text)
    return jalali_date(day, persian=False)


def tables(found: WeeklyReport) -> dict[str, Table]:
    """The report's three tables; the page shows them and the files hold them, row for row (digits Latin here,
    the page turns them Persian)."""
    figures: dict[str, Any] = found.figures
    labels = {status: str(label) for status, label in CONNECTION_STATUSES.items()}
    national = _("ملی")  # a national agency has no province
    count_labels = {**labels, "late": _("دارای تأخیر (از مهلت اتصال گذشته و متصل نشده)")}
    counts = Table(
        _("شمار دستگاه‌ها در برابر هفتهٔ پیش"),
        [_("وضعیت"), _("این هفته"), _("هفتهٔ پیش"), _("تغییر")],
        [
            [
                count_labels[key],
                figures["counts"][key],
                figures["previous"][key],
                figures["counts"][key] - figures["previous"][key],
            ]
            for key in weekly.COUNTED
        ],
    )
    connected = Table(
        _("دستگاه‌هایی که در این هفته متصل شدند"),
        [_("دستگاه"), _("استان"), _("تاریخ اتصال")],
        [[row["name"], (row["province"] or national), _day(row["connected_at"])] for row in figures["connected"]],
    )
    late = Table(
        _("دستگاه‌های دارای تأخیر"),
        [_("دستگاه"), _("استان"), _("وضعیت"), _("مهلت اتصال"), _("روز تأخیر")],
        [
            [row["name"], (row["province"] or national), labels[row["status"]], _day(row["deadline"]), row["days_late"]]
            for row in figures["late"]
        ],
    )
    return {"counts": counts, "connected": connected, "late": late}


def _found(key: str) -> WeeklyReport:
    week = weekly.parse_key(key)
    found = weekly.report(week.key) if week is not None else None
    if found is None:
        abort(404)
    return found


@bp.get("/reports/weekly")
def weekly_archive():
    reports = [(found, weekly.parse_key(found.week_key)) for found in weekly.archive()]
    latest = reports[0][0] if reports else None
    return render_template("transparency/reports_archive.html", reports=reports, latest=latest)


@bp.get("/reports/weekly/<key>")
def weekly_report(key):
    found = _found(key)
    week = weekly.parse_key(found.week_key)
    assert week is not None
    return render_template(
        "transparency/reports_week.html",
        report=found,
        week=week,
        tables=tables(found),
        previous=weekly.report(week.previous().key),
        following=weekly.report(week.next().key),
        persian=persian_digits_enabled(),
    )


@bp.get("/reports/weekly/<key>/<any(counts, connected, late):table>.<any(csv, xlsx):kind>")
def weekly_download(key, table, kind):
    found = _found(key)
    chosen = tables(found)[table]
    name = f"weekly-{found.week_key}-{table}.{kind}"
    if kind == "csv":
        return csv_response(name, chosen.headers, chosen.rows)
    return xlsx_response(name, chosen.caption, chosen.headers, chosen.rows)


@bp.get("/reports/weekly/<key>.<any(csv, xlsx):kind>")
def weekly_file(key, kind):
    """The whole report in one file: the three tables one after the other, each under its caption."""
    found = _found(key)
    rows: list[list[Cell]] = []
    for chosen in tables(found).values():
        if rows:
            rows.append([])
        rows.append([chosen.caption])
        rows.append(list(chosen.headers))
        rows.extend(chosen.rows)
    name = f"weekly-{found.week_key}.{kind}"
    headers = [_("گزارش هفتگی اتصال دستگاه‌ها، هفتهٔ %(key)s", key=found.week_key)]
    if kind == "csv":
        return csv_response(name, headers, rows)
    return xlsx_response(name, found.week_key, headers, rows)
