"""Uploaded files: kind checked by content (magic bytes), size limits, random names under instance/."""

import hashlib
import os
import secrets
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from flask import Response, current_app, send_file
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from app.core.errors import RuleError
from app.core.persian import local_number
from app.models import Attachment, User, new_public_id

# The first bytes of each kind we accept; a file's name and declared type are never trusted.
SIGNATURES = {
    "pdf": (b"%PDF-",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpeg": (b"\xff\xd8\xff",),
}
CONTENT_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg"}
KIND_NAMES = {"pdf": "PDF", "png": "PNG", "jpeg": "JPEG"}


class UploadError(RuleError):
    """An upload refused for its kind or size."""


def sniff(head: bytes) -> str | None:
    for kind, signatures in SIGNATURES.items():
        if any(head.startswith(signature) for signature in signatures):
            return kind
    return None


def limits(spec: Mapping[str, Any] | None = None) -> tuple[list[str], float]:
    """(kinds, max MB) for a form field's definition; the configured defaults fill what it leaves out."""
    spec = spec or {}
    kinds = [k for k in spec.get("accept", ()) if k in SIGNATURES] or list(SIGNATURES)
    return kinds, float(spec.get("max_size_mb") or current_app.config["ATTACHMENT_MAX_MB"])


def upload_size(upload: FileStorage) -> int:
    stream = upload.stream
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size


def inspect_upload(upload: FileStorage, kinds: Sequence[str], max_mb: float) -> tuple[str, int]:
    """Return (kind, size) of an acceptable upload, or raise UploadError with a Persian message."""
    size = upload_size(upload)
    if size == 0:
        raise UploadError(_("این پرونده خالی است."))
    if size > max_mb * 1024 * 1024:
        whole = max_mb == int(max_mb)
        raise UploadError(_("حجم پرونده بیش از %(n)s مگابایت است.", n=local_number(int(max_mb) if whole else max_mb)))
    head = upload.stream.read(16)
    upload.stream.seek(0)
    kind = sniff(head)
    if kind is None or kind not in kinds:
        allowed = "، ".join(KIND_NAMES[k] for k in kinds)
        raise UploadError(_("نوع این پرونده پذیرفته نیست. فقط این نوع‌ها: %(kinds)s", kinds=allowed))
    return kind, size


def folder() -> Path:
    path = Path(current_app.config["UPLOAD_FOLDER"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def store(
    upload: FileStorage,
    spec: Mapping[str, Any] | None = None,
    *,
    field_name: str = "",
    kind: str = "applicant",
    uploaded_by: User | None = None,
) -> Attachment:
    """Write an accepted upload under a random name and return its (unsaved) Attachment row."""
    file_kind, size = inspect_upload(upload, *limits(spec))
    storage_name = secrets.token_hex(16)
    digest = hashlib.sha256()
    with open(folder() / storage_name, "xb") as target:
        for chunk in iter(lambda: upload.stream.read(64 * 1024), b""):
            digest.update(chunk)
            target.write(chunk)
    name = os.path.basename(upload.filename or "") or f"file.{file_kind}"
    return Attachment(
        public_id=new_public_id(),
        kind=kind,
        field_name=field_name,
        original_name=name[:255],
        content_type=CONTENT_TYPES[file_kind],
        size=size,
        sha256=digest.hexdigest(),
        storage_name=storage_name,
        uploaded_by=uploaded_by,
    )


def discard(attachments: Iterable[Attachment]) -> None:
    """Remove stored files whose rows were never committed."""
    for attachment in attachments:
        try:
            (folder() / attachment.storage_name).unlink()
        except FileNotFoundError:
            pass


def download(attachment: Attachment) -> Response:
    """Always as a download, with its own content type and nosniff (set globally)."""
    return send_file(
        folder() / attachment.storage_name,
        mimetype=attachment.content_type,
        as_attachment=True,
        download_name=attachment.original_name,
        max_age=0,
    )
