"""Downloads of a published table as CSV or XLSX (openpyxl): the same headers and rows the page shows, so a file
always holds the page's numbers. Every public table (the weekly report, the ranking, the dashboard) uses these."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from flask import Response
from openpyxl import Workbook

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Cell = str | int | float | None


def _disposition(filename: str) -> str:
    return f'attachment; filename="{filename}"'


def csv_response(filename: str, headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Response:
    """UTF-8 with a byte-order mark, so spreadsheet programs read the Persian as Persian."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(["" if cell is None else cell for cell in row] for row in rows)
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": _disposition(filename), "Cache-Control": "no-store"},
    )


def xlsx_bytes(sheet_title: str, headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = sheet_title[:31]  # Excel's limit
    sheet.sheet_view.rightToLeft = True
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_response(filename: str, sheet_title: str, headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Response:
    return Response(
        xlsx_bytes(sheet_title, headers, rows),
        mimetype=XLSX_TYPE,
        headers={"Content-Disposition": _disposition(filename), "Cache-Control": "no-store"},
    )
