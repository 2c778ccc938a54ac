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
from app.core.persian import clean_text, local_number
from app.models import Attachment, User, new_public_id

# The first bytes of each kind we accept; a file's name and declared type are never trusted.
SIGNATURES = {
    "pdf": (b"%PDF-",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpeg": (b"\xff\xd8\xff",),
}
CONTENT_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg"}
KIND_NAMES = {"pdf": "PDF", "png": "PNG", "jpeg": "JPEG"}
# The extension a stored file is offered with: its checked kind's, never the uploader's (a PDF/HTML polyglot named
# .html must download as .pdf).
EXTENSIONS = {"pdf": "pdf", "png": "png", "jpeg": "jpg"}
NAME_MAX_LENGTH = 120


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
    return Attachment(
        public_id=new_public_id(),
        kind=kind,
        field_name=field_name,
        original_name=display_name(upload.filename, file_kind),
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


def display_name(filename: str | None, file_kind: str) -> str:
    """The name a file is listed and downloaded under: the uploader's last path part, cleaned as any stored text
    (no NUL, CR/LF or other control and direction characters; Persian letters and ZWNJ kept), with the extension
    of its checked kind in place of the one it came with."""
    name = clean_text((filename or "").replace("\\", "/").rsplit("/", 1)[-1])
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = stem.strip(" .")[:NAME_MAX_LENGTH].strip(" .") or "file"
    return f"{stem}.{EXTENSIONS[file_kind]}"


def _kind_of(content_type: str) -> str:
    return next((kind for kind, known in CONTENT_TYPES.items() if known == content_type), "pdf")


def download(attachment: Attachment) -> Response:
    """Always as a download (Content-Disposition: attachment), with the checked content type, nosniff and no
    cache; the name is cleaned again, for rows stored before names were."""
    kind = _kind_of(attachment.content_type)
    response = send_file(
        folder() / attachment.storage_name,
        mimetype=CONTENT_TYPES[kind],
        as_attachment=True,
        download_name=display_name(attachment.original_name, kind),
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response
