"""Transparency pages: agency scores (issue 14). The method (axes, indicators, weights, the formula, the no-data
rule, the 30 % target) and the ranking of every agency, read from a stored snapshot (app/evaluation/scores.py):
nothing is computed on a page view. Pages are kept in the page cache; storing a snapshot bumps the catalogue version
the cache is keyed by, so a new ranking shows at once."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from app.core.i18n import localized
from app.core.page_cache import cached_page, do_not_store
from app.core.persian import fold_digits, format_number, local_digits, persian_digits_enabled
from app.evaluation import scores
from app.evaluation.export import csv_response, xlsx_response
from app.extensions import db
from app.models import Province
from app.web.transparency import bp


def score_text(value: float) -> str:
    """Points as shown: two decimals, Persian digits and separators on Persian pages (26.07 → ۲۶٫۰۷)."""
    text = f"{value:,.2f}"
    if persian_digits_enabled():
        text = text.replace(",", "٬").replace(".", "٫")
    return local_digits(text)


def percent_text(ratio: float) -> str:
    """A share as a whole percent (0.3 → ۳۰٪)."""
    whole = round(ratio * 100)
    return local_digits(whole) + ("٪" if persian_digits_enabled() else "%")


def count_text(value: float) -> str:
    """A figure's numerator or denominator: whole numbers as whole (12), the rest with two decimals."""
    return (
        format_number(int(value), persian=persian_digits_enabled()) if float(value).is_integer() else score_text(value)
    )


bp.add_app_template_global(score_text, "score_text")
bp.add_app_template_global(count_text, "count_text")
bp.add_app_template_global(percent_text, "percent_text")


@bp.get("/evaluation/method")
@cached_page
def score_method():
    return render_template(
        "transparency/scores_method.html",
        axes=scores.method(),
        weights=scores.WEIGHTS,
        total=sum(scores.WEIGHTS.values()),
        target=scores.FULLY_ELECTRONIC_TARGET,
        fields=scores.CARD_FIELDS,
        version=scores.METHOD_VERSION,
        window=scores.WINDOW_DAYS,
        title_of=scores.title_of,
    )


def _provinces() -> list[Province]:
    return list(db.session.execute(select(Province).order_by(Province.name)).scalars())


def _selection():
    """The snapshot and the province the query string asks for, and a Persian message per field it got wrong."""
    errors: dict[str, str] = {}
    asked = request.args.get("snapshot", "")[:40].strip()
    snapshot = scores.find_snapshot(asked) if asked else scores.latest()
    if asked and snapshot is None:
        errors["snapshot"] = _("محاسبه‌ای با این شماره یا در این روز پیدا نشد؛ آخرین محاسبه نشان داده می‌شود.")
        snapshot = scores.latest()
    code = fold_digits(request.args.get("province", "")).strip()[:8]
    province = None
    if code:
        province = db.session.execute(select(Province).filter_by(code=code)).scalar_one_or_none()
        if province is None:
            errors["province"] = _("این استان را نمی‌شناسیم؛ همهٔ دستگاه‌ها نشان داده می‌شوند.")
    return snapshot, province, errors


def _headers() -> list[str]:
    return [_("رتبه"), _("دستگاه"), _("کد دستگاه"), _("امتیاز از ۱۰۰")] + [str(title) for title in scores.AXES.values()]


def _rows(snapshot, province) -> list[list]:
    """The ranking's rows: the page shows them and the CSV and XLSX files hold them, the same list."""
    if snapshot is None:
        return []
    return [
        [total.rank, localized(agency), agency.code, total.score] + [getattr(total, axis) for axis in scores.AXES]
        for total, agency in scores.ranking(snapshot, province.id if province else None)
    ]


@bp.get("/ranking")
@cached_page
def ranking():
    snapshot, province, errors = _selection()
    if errors:
        do_not_store()
    page = render_template(
        "transparency/scores_ranking.html",
        snapshot=snapshot,
        province=province,
        provinces=_provinces(),
        history=scores.snapshots(),
        headers=_headers(),
        rows=_rows(snapshot, province),
        errors=errors,
        axes=scores.AXES,
        asked=request.args.get("snapshot", "")[:40],
        download_query=_query(snapshot, province),
    )
    return page, 400 if errors else 200


def _query(snapshot, province) -> dict[str, object]:
    """The download links' query: the same snapshot (by number, so a file of a past ranking stays that ranking)
    and province as the page."""
    query: dict[str, object] = {"snapshot": snapshot.id} if snapshot else {}
    if province:
        query["province"] = province.code
    return query


def _filename(snapshot, province, ext: str) -> str:
    day = snapshot.as_of.date().isoformat() if snapshot else "none"
    return f"ranking-{day}{'-' + province.code if province else ''}.{ext}"


@bp.get("/ranking.csv")
def ranking_csv():
    snapshot, province, _errors = _selection()
    return csv_response(_filename(snapshot, province, "csv"), _headers(), _rows(snapshot, province))


@bp.get("/ranking.xlsx")
def ranking_xlsx():
    snapshot, province, _errors = _selection()
    return xlsx_response(_filename(snapshot, province, "xlsx"), _("رتبه‌بندی"), _headers(), _rows(snapshot, province))
