"""Forms as data: one renderer turns a service revision's form definition into a WTForms form.

A definition is an ordered list of fields:
    {"name": "reason", "type": "choice", "label": "…", "hint": "…", "required": true,
     "choices": [["lost", "…"], …], "max_length": 500, "min": 0, "max": 10, "accept": ["pdf"], "max_size_mb": 5}
Types: text, textarea, number, amount, national_code, mobile, postal_code, date, choice, multi_choice, yes_no,
address (province + county + text) and file. Answers are stored as JSON with canonical values (digits folded,
identifiers cleaned, dates as ISO Gregorian) and shown back through display_answers(). check_definition() says
what is wrong with a definition; the importer refuses such a card, and a stored one is never rendered.
A field may be the applicant's own ("prefill": "applicant.national_code", "applicant.mobile" or
"applicant.full_name"): build_form(..., applicant=...) fills it from who is applying and shows it read-only.
Each document the card lists (ServiceRevision.documents) is asked for by the form: by the definition's own field
that says `"document": <its 0-based place in the card's list>` (or a list of places; a typed code such as the
national code answers a document as well as a scan does), else by a file field definition_for() adds (required
unless the card marks it «در صورت …» or «اختیاری»).
"""

import logging
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField as UploadField
from werkzeug.datastructures import MultiDict
from wtforms import Form, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.core import validators as identifier_validators
from app.core.errors import RuleError
from app.core.persian import clean_text, jalali_date, local_number, parse_jalali_date, parse_whole_number
from app.models import ServiceRevision
from app.requests import attachments

log = logging.getLogger("panjereh")

# One field of a definition, as stored (JSON): {"name": …, "type": …, "label": …, …}.
FieldSpec = dict[str, Any]

TYPES = (
    "text",
    "textarea",
    "number",
    "amount",
    "national_code",
    "mobile",
    "postal_code",
    "date",
    "choice",
    "multi_choice",
    "yes_no",
    "address",
    "file",
)
YES_NO = [("yes", _l("بله")), ("no", _l("خیر"))]
FILE_KINDS = ("pdf", "jpeg", "png")
ACCEPT_EXTENSIONS = {"pdf": (".pdf",), "jpeg": (".jpg", ".jpeg"), "png": (".png",)}

# A field may say it is the applicant's own ("prefill": one of these): it is filled from who is applying and shown
# read-only, and the value posted for it is never read. Each names the Applicant attribute and the field types that
# can hold it.
PREFILLS: dict[str, tuple[str, tuple[str, ...]]] = {
    "applicant.national_code": ("national_code", ("national_code", "text")),
    "applicant.mobile": ("mobile", ("mobile", "text")),
    "applicant.full_name": ("full_name", ("text",)),
}


@dataclass(frozen=True)
class Applicant:
    """Who is applying, as a form needs them: the signed-in citizen online (source "account"), the citizen the clerk
    identified at the counter (source "counter"). A value left empty is asked for as usual."""

    national_code: str = ""
    mobile: str = ""
    full_name: str = ""
    source: str = "account"

    @classmethod
    def of(cls, person: Any, source: str = "account") -> "Applicant":
        """From a signed-in user, or from the counter's identified citizen (a dict of the same three keys)."""
        keys = ("national_code", "mobile", "full_name")
        values = [person.get(key) if isinstance(person, Mapping) else getattr(person, key, None) for key in keys]
        national_code, mobile, full_name = (str(value or "").strip() for value in values)
        return cls(national_code, mobile, full_name, source)

    def value(self, prefill: str) -> str:
        return getattr(self, PREFILLS[prefill][0]) if prefill in PREFILLS else ""


class _PersianChoice:
    """WTForms' own 'Not a valid choice' is English; a stale or altered form gets a Persian message."""

    def pre_validate(self, form):
        try:
            super().pre_validate(form)
        except ValidationError:
            raise ValidationError(_("این گزینه در فهرست نیست؛ یکی از گزینه‌ها را انتخاب کنید.")) from None


class ChoiceRadioField(_PersianChoice, RadioField):
    pass


class ChoiceSelectField(_PersianChoice, SelectField):
    pass


class MultiCheckboxField(_PersianChoice, SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class FileField(UploadField):
    """Flask-WTF's file field, remembering when text came where a file belongs (a filename with a raw line break
    cuts the upload's part header, and the file arrives as a text value), so check_files() can say so."""

    arrived_as_text = False

    def __init__(self, *args: Any, limits: tuple[list[str], float] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # What this field accepts (attachments.limits of its definition), for the field macro to state and for
        # js/files.js to check before anything is uploaded.
        kinds, self.max_mb = limits or (list(FILE_KINDS), 0.0)
        self.kinds = sorted(kinds, key=lambda kind: FILE_KINDS.index(kind) if kind in FILE_KINDS else len(FILE_KINDS))

    @property
    def max_bytes(self) -> int:
        return int(self.max_mb * 1024 * 1024)

    @property
    def accept(self) -> str:
        """The file picker's filter: the extensions of the accepted kinds (their content is still checked)."""
        return ",".join(ext for kind in self.kinds for ext in ACCEPT_EXTENSIONS[kind])

    @property
    def limits_text(self) -> str:
        """«حداکثر ۵ مگابایت؛ PDF، JPEG یا PNG», in the page's language and digits."""
        names = [attachments.KIND_NAMES[kind] for kind in self.kinds]
        kinds = names[0] if len(names) == 1 else _("%(some)s یا %(last)s", some="، ".join(names[:-1]), last=names[-1])
        size = int(self.max_mb) if self.max_mb == int(self.max_mb) else self.max_mb
        return _("حداکثر %(n)s مگابایت؛ %(kinds)s", n=local_number(size), kinds=kinds)

    @property
    def too_big_text(self) -> str:
        """What js/files.js says beside the field when the chosen file is over the limit (nothing is sent)."""
        size = int(self.max_mb) if self.max_mb == int(self.max_mb) else self.max_mb
        return _("حجم این پرونده بیش از %(n)s مگابایت است؛ پرونده‌ای کوچک‌تر انتخاب کنید.", n=local_number(size))

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.arrived_as_text = any(isinstance(value, str) and value for value in valuelist)
        super().process_formdata(valuelist)


def _options(pairs):
    return [SelectChoice(str(value), label) for value, label in pairs]


def _jalali_date(form, field):
    if (field.data or "").strip():
        try:
            parse_jalali_date(field.data)
        except ValueError as error:
            raise ValidationError(str(error.args[0])) from None


class AllowedFile:
    """Checks an uploaded file's kind by its first bytes (not its name) and its size."""

    def __init__(self, spec):
        self.spec = spec
        # Whether a file is required is decided by check_files (a draft's file counts); the flag tells the field
        # macro which label says «(اختیاری)».
        self.field_flags = {"required": True} if spec.get("required") else {"optional": True}

    def __call__(self, form, field):
        upload = field.data
        if not upload or not getattr(upload, "filename", ""):
            return
        try:
            attachments.inspect_upload(upload, *attachments.limits(self.spec))
        except attachments.UploadError as error:
            raise ValidationError(error.message) from None


# Fields the person picks from (radio, select, checkbox) are chosen, not typed, and the message says so.
CHOSEN_TYPES = ("choice", "multi_choice", "yes_no")


def _required(spec: dict, chosen: bool | None = None) -> InputRequired | Optional:
    label = spec.get("label", spec["name"])
    if not spec.get("required"):
        return Optional()
    if chosen is None:
        chosen = spec["type"] in CHOSEN_TYPES
    if chosen:
        return identifier_validators.Required(message=_l("«%(label)s» را انتخاب کنید.", label=label))
    return identifier_validators.Required(message=_l("«%(label)s» را وارد کنید.", label=label))


def _field(spec, provinces):
    kind, label, hint = spec["type"], spec.get("label", spec["name"]), spec.get("hint", "")
    required = _required(spec)
    common = {"label": label, "description": hint}
    if kind in ("text", "textarea"):
        length = Length(
            max=int(spec.get("max_length") or (4000 if kind == "textarea" else 200)),
            message=_l("این متن طولانی‌تر از حد مجاز است."),
        )
        cls = TextAreaField if kind == "textarea" else StringField
        return cls(validators=[required, length], **common)
    if kind in ("number", "amount"):
        return StringField(
            validators=[required, identifier_validators.WholeNumber(spec.get("min", 0), spec.get("max"))], **common
        )
    if kind in ("national_code", "mobile", "postal_code"):
        validator = {
            "national_code": identifier_validators.NationalCode,
            "mobile": identifier_validators.Mobile,
            "postal_code": identifier_validators.PostalCode,
        }[kind]()
        return StringField(validators=[required, validator], **common)
    if kind == "date":
        return StringField(validators=[required, _jalali_date], **common)
    if kind == "choice":
        choices = [tuple(c) for c in spec.get("choices", [])]
        cls = ChoiceRadioField if len(choices) <= 5 else ChoiceSelectField
        if cls is ChoiceSelectField:
            choices = [("", _l("انتخاب کنید"))] + choices
        return cls(choices=_options(choices), validators=[required], validate_choice=True, **common)
    if kind == "multi_choice":
        return MultiCheckboxField(choices=_options(spec.get("choices", [])), validators=[required], **common)
    if kind == "yes_no":
        return ChoiceRadioField(choices=_options(YES_NO), validators=[required], **common)
    if kind == "address":
        return None  # expanded into three fields by build_form_class
    if kind == "file":
        return FileField(validators=[AllowedFile(spec)], limits=attachments.limits(spec), **common)
    raise ValueError(f"unknown form field type {kind!r}")


def _address_fields(spec, provinces):
    label = spec.get("label", spec["name"])
    required = bool(spec.get("required"))
    choose = [("", _l("انتخاب کنید"))]
    return {
        "province": ChoiceSelectField(
            _l("%(label)s — استان", label=label),
            choices=_options(choose + provinces),
            validators=[_required({**spec, "label": _l("استان")}, chosen=True)],
            validate_choice=True,
        ),
        "county": StringField(
            _l("شهرستان"),
            validators=[
                _required({**spec, "label": _l("شهرستان")}),
                Length(max=80, message=_l("نام شهرستان حداکثر ۸۰ نویسه است.")),
            ],
        ),
        "text": TextAreaField(
            _l("نشانی دقیق"),
            description=spec.get("hint", ""),
            validators=[
                identifier_validators.Required(message=_l("نشانی را وارد کنید.")) if required else Optional(),
                Length(max=500, message=_l("نشانی حداکثر ۵۰۰ نویسه است.")),
            ],
        ),
    }


def _province_choices():
    from app.extensions import db
    from app.models import Province

    return [(p.code, p.name) for p in db.session.execute(db.select(Province).order_by(Province.name)).scalars()]


def build_form_class(definition: Sequence[FieldSpec], base: type[Form] = Form) -> type[Form]:
    """A form class for a definition; field names are the definition's names (address parts: name__part)."""
    provinces = _province_choices() if any(s["type"] == "address" for s in definition) else []
    attrs = {}
    for spec in definition:
        if spec["type"] == "address":
            for part, field in _address_fields(spec, provinces).items():
                attrs[f"{spec['name']}__{part}"] = field
        else:
            attrs[spec["name"]] = _field(spec, provinces)
    return type("DefinitionForm", (base,), attrs)


def build_form(
    definition: Sequence[FieldSpec],
    formdata: MultiDict | None = None,
    answers: Mapping[str, Any] | None = None,
    raw: bool = False,
    base: type[Form] = Form,
    applicant: Applicant | None = None,
) -> Form:
    """The form bound to posted data, or prefilled from answers: canonical ones, or a draft's raw ones.

    The base is a plain Form: the page's own FlaskForm carries the CSRF token once for the whole page. With an
    applicant, the fields marked as theirs ("prefill") hold the applicant's own values whatever was posted or saved.
    """
    cls = build_form_class(definition, base)
    if formdata is None and answers:
        form = cls(formdata=None, data=answers if raw else _form_data(definition, answers))
    else:
        form = cls(formdata=formdata)
    if applicant is not None:
        _fill_from_applicant(form, definition, applicant)
    return form


def _fill_from_applicant(form: Form, definition: Sequence[FieldSpec], applicant: Applicant) -> None:
    """The applicant's own values into the fields marked as theirs, read-only; `prefilled` tells the field macro
    where the value came from. A value the applicant lacks (an account without a name) stays an ordinary input."""
    for spec in definition:
        value = applicant.value(spec.get("prefill") or "")
        if not value or spec["name"] not in form:
            continue
        field = form[spec["name"]]
        field.data, field.raw_data = value, [value]  # what is validated, filed and shown: never the posted value
        field.render_kw = {**(field.render_kw or {}), "readonly": True}
        field.prefilled = applicant.source


def raw_answers(form: Form, definition: Sequence[FieldSpec]) -> dict[str, Any]:
    """What the person typed, as typed, for a draft: nothing is refused until they submit."""
    return {
        name: field.data
        for name, field in form._fields.items()
        if not isinstance(field, FileField) and field.data not in (None, "", [])
    }


def _form_data(definition, answers):
    """Saved answers back into field data, so a draft re-opens as the person left it."""
    data = {}
    for spec in definition:
        name, value = spec["name"], answers.get(spec["name"])
        if value is None:
            continue
        if spec["type"] == "address":
            for part in ("province", "county", "text"):
                data[f"{name}__{part}"] = value.get(part, "")
        elif spec["type"] == "date":
            try:
                data[name] = jalali_date(date.fromisoformat(value), persian=False)
            except (TypeError, ValueError):
                data[name] = f"?{value}"  # not an ISO date: the date validator refuses it
        elif spec["type"] == "yes_no":
            # Only real booleans are answers; anything else stays as given and fails the choice check.
            data[name] = {True: "yes", False: "no"}.get(value, f"?{value}") if isinstance(value, bool) else f"?{value}"
        elif spec["type"] == "multi_choice" and not isinstance(value, list):
            data[name] = [f"?{value}"]
        elif spec["type"] != "file":
            data[name] = str(value) if spec["type"] in ("number", "amount") else value
    return data


def answers_from(form: Form, definition: Sequence[FieldSpec]) -> dict[str, Any]:
    """The validated form's answers as canonical JSON values (files are handled as attachments)."""
    answers = {}
    for spec in definition:
        name, kind = spec["name"], spec["type"]
        if kind == "file":
            continue
        if kind == "address":
            parts = {
                part: clean_text(getattr(form, f"{name}__{part}").data or "") for part in ("province", "county", "text")
            }
            if any(parts.values()):
                answers[name] = parts
            continue
        value = getattr(form, name).data
        if isinstance(value, str):
            value = value.strip()  # spaces alone are no answer (an optional date of spaces is none)
        if value in (None, "", []):
            continue
        if kind in ("number", "amount"):
            value = parse_whole_number(value, signed=True)
        elif kind == "date":
            value = parse_jalali_date(value).isoformat()
        elif kind == "yes_no":
            value = value == "yes"
        answers[name] = value
    return answers


def validate_answers(definition: Sequence[FieldSpec], answers: Mapping[str, Any]) -> dict[str, list[str]]:
    """Check stored answers against a definition with the same validators as the page; returns field errors.

    The filing path calls this so that no channel (online, counter, API) can file what the form would refuse.
    """
    data: MultiDict[str, Any] = MultiDict()
    for key, value in _form_data(definition, answers).items():
        for item in value if isinstance(value, list) else [value]:
            data.add(key, item)
    form = build_form_class([s for s in definition if s["type"] != "file"], base=Form)(formdata=data)
    form.validate()
    return form.errors


def raw_formdata(raw: Mapping[str, Any] | None) -> MultiDict:
    """A draft's raw answers (raw_answers) as posted form data again, so the same form validates them."""
    data: MultiDict[str, Any] = MultiDict()
    for key, value in (raw or {}).items():
        for item in value if isinstance(value, list) else [value]:
            data.add(key, item if isinstance(item, str) else str(item))
    return data


def display_answers(definition: object, answers: Mapping[str, Any]) -> list[tuple[object, object]]:
    """(label, text) pairs for showing what was filed, in the definition's order."""
    return [(label, text) for _name, label, text in answer_rows(definition, answers)]


def answer_rows(definition: object, answers: Mapping[str, Any]) -> list[tuple[str, object, object]]:
    """(field id, label, text) for each answer, in the definition's order: display_answers with the id of the form
    field each answer came from (the first part of an address), for «تغییر» links back to it."""
    from app.core.persian import format_number, persian_digits_enabled, to_persian_digits

    rows = []
    provinces = None
    # The definition may be one check_definition() refuses (a request filed before it was checked): what cannot be
    # read is shown as stored rather than failing the page.
    for spec in definition if isinstance(definition, list) else []:
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
            continue
        value = answers.get(spec["name"])
        if value in (None, "", []) or spec.get("type") == "file":
            continue
        kind, text = spec.get("type"), value
        if check_definition([spec]):
            kind = None
        choices = {str(c[0]): c[1] for c in spec.get("choices", [])} if kind in CHOICE_TYPES else {}
        if kind in ("number", "amount"):
            text = format_number(value, persian=persian_digits_enabled())
            if kind == "amount":
                text = _("%(amount)s ریال", amount=text)
        elif kind == "date":
            text = jalali_date(date.fromisoformat(value), persian=persian_digits_enabled())
        elif kind == "choice":
            text = choices.get(str(value), value)
        elif kind == "multi_choice":
            text = "، ".join(str(choices.get(str(v), v)) for v in value)
        elif kind == "yes_no":
            text = _("بله") if value else _("خیر")
        elif kind == "address" and isinstance(value, dict):
            provinces = provinces if provinces is not None else dict(_province_choices())
            text = "، ".join(
                filter(None, [provinces.get(value.get("province"), ""), value.get("county", ""), value.get("text", "")])
            )
        if persian_digits_enabled():
            text = to_persian_digits(text)
        anchor = f"{spec['name']}__province" if spec.get("type") == "address" else spec["name"]
        rows.append((anchor, spec.get("label", spec["name"]), text))
    return rows


def file_fields(definition: Sequence[FieldSpec]) -> list[FieldSpec]:
    return [s for s in definition if s["type"] == "file"]


def check_files(
    form: Form, definition: Sequence[FieldSpec], attached: Collection[str] = (), attached_bytes: int = 0
) -> tuple[bool, str | None]:
    """Required files are chosen now or already attached (a draft's, or scans staged at the counter), and all of
    a request's files together stay under REQUEST_ATTACHMENTS_MAX_MB. Field errors go next to their fields;
    the return value is (ok, message about the total or None)."""
    from flask import current_app

    ok, total = True, attached_bytes
    for spec in file_fields(definition):
        field = form[spec["name"]]
        if getattr(field, "arrived_as_text", False):  # say so rather than file the request without it
            field.errors = list(field.errors) + [_("این پرونده خوانده نشد. نام پرونده را ساده کنید و دوباره بفرستید.")]
            ok = False
        elif field.data and getattr(field.data, "filename", ""):
            # A file its own field refused (too big, wrong kind) is not stored: only its field's error speaks.
            if not field.errors:
                total += attachments.upload_size(field.data)
        elif spec.get("required") and spec["name"] not in attached:
            field.errors = list(field.errors) + [_("«%(label)s» را پیوست کنید.", label=spec.get("label", spec["name"]))]
            ok = False
    limit = current_app.config["REQUEST_ATTACHMENTS_MAX_MB"]
    if total > limit * 1024 * 1024:
        return False, _("حجم همهٔ پیوست‌ها با هم بیش از %(n)s مگابایت است.", n=local_number(limit))
    return ok, None


DEFAULT_DEFINITION = [
    {
        "name": "description",
        "type": "textarea",
        "label": _l("شرح درخواست"),
        "required": True,
        "max_length": 2000,
        "hint": _l("آنچه از این خدمت می‌خواهید را کوتاه بنویسید."),
    },
    {
        "name": "document",
        "type": "file",
        "label": _l("مدارک"),
        "required": False,
        "accept": list(FILE_KINDS),
        "max_size_mb": 5,  # the field macro states it, with the kinds, beside the field
    },
]


# --- checking a definition ----------------------------------------------------------------------------------

# A name is a form attribute and a key in the posted form: lower-case ASCII, and never the name of a Form method.
_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
_FORM_ATTRIBUTES = frozenset(name for name in dir(Form) if not name.startswith("_"))
# What the pages that post a card's fields send beside them, in the same POST: the apply page (account/apply.html
# and its view) its CSRF token, idempotency key, the submit/draft buttons' `action` and the `draft` it reads from
# request.values; the counter's form step (counter/form.html and the steps' views) its CSRF token, the signed
# `state` and the back button's `nav`. A card field by one of these names would be read as the page's own.
PAGE_FIELDS = frozenset({"action", "csrf_token", "draft", "idempotency_key", "nav", "state"})
MAX_TEXT_LENGTH = 10_000
MAX_NUMBER = 10**15 - 1  # what the whole-number parser reads (15 digits)
MAX_FILE_MB = 100
MAX_DOCUMENTS = 100
CHOICE_TYPES = ("choice", "multi_choice")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _field_problems(spec: dict, where: str) -> list[str]:
    kind = spec["type"]
    problems = []
    for key in ("label", "hint"):
        if key in spec and not isinstance(spec[key], str | LazyString):  # the built-in form's labels are lazy
            problems.append(_("%(where)s: «%(key)s» باید متن باشد.", where=where, key=key))
    if "required" in spec and not isinstance(spec["required"], bool):
        problems.append(_("%(where)s: «required» باید true یا false باشد.", where=where))
    if kind in ("text", "textarea") and spec.get("max_length") is not None:
        if not _is_int(spec["max_length"]) or not 1 <= spec["max_length"] <= MAX_TEXT_LENGTH:
            problems.append(
                _(
                    "%(where)s: «max_length» باید عددی از ۱ تا %(n)s باشد.",
                    where=where,
                    n=local_number(MAX_TEXT_LENGTH),
                )
            )
    if kind in ("number", "amount"):
        low, high = spec.get("min"), spec.get("max")
        if any(b is not None and (not _is_int(b) or abs(b) > MAX_NUMBER) for b in (low, high)):
            problems.append(_("%(where)s: «min» و «max» باید عدد صحیح باشند.", where=where))
        elif low is not None and high is not None and low > high:
            problems.append(_("%(where)s: «min» از «max» بزرگ‌تر است.", where=where))
    if kind in CHOICE_TYPES:
        choices = spec.get("choices")
        pairs = isinstance(choices, list) and all(
            isinstance(c, list | tuple)
            and len(c) == 2
            and isinstance(c[0], str | int)
            and not isinstance(c[0], bool)
            and str(c[0]).strip()
            and isinstance(c[1], str)
            and c[1].strip()
            for c in choices
        )
        if not choices or not pairs:
            problems.append(
                _("%(where)s: «choices» باید فهرستی از جفت‌های [مقدار، برچسب] باشد و خالی نباشد.", where=where)
            )
        elif len({str(c[0]) for c in choices}) != len(choices):
            problems.append(_("%(where)s: مقدار گزینه‌ها تکراری است.", where=where))
    if "prefill" in spec:
        prefill = spec["prefill"]
        if not isinstance(prefill, str) or prefill not in PREFILLS:
            problems.append(
                _("%(where)s: «prefill» فقط یکی از این‌هاست: %(names)s.", where=where, names="، ".join(PREFILLS))
            )
        elif kind not in PREFILLS[prefill][1]:
            problems.append(
                _(
                    "%(where)s: «prefill» «%(prefill)s» برای فیلدی از این نوع‌هاست: %(kinds)s.",
                    where=where,
                    prefill=prefill,
                    kinds="، ".join(PREFILLS[prefill][1]),
                )
            )
    if "document" in spec:
        document = spec["document"]
        documents = document if isinstance(document, list) and document else [document]
        if any(not _is_int(d) or not 0 <= d < MAX_DOCUMENTS for d in documents):
            problems.append(
                _(
                    "%(where)s: «document» شمارهٔ مدرک (یا فهرستی از شماره‌ها) در فهرست مدارک شناسنامه است، "
                    "از ۰ (نخستین) تا %(n)s.",
                    where=where,
                    n=local_number(MAX_DOCUMENTS - 1),
                )
            )
    if kind == "file":
        accept = spec.get("accept")
        if accept is not None and (
            not isinstance(accept, list) or not accept or any(k not in FILE_KINDS for k in accept)
        ):
            problems.append(
                _("%(where)s: «accept» فقط از این نوع‌هاست: %(kinds)s.", where=where, kinds="، ".join(FILE_KINDS))
            )
        size = spec.get("max_size_mb")
        if size is not None and (
            isinstance(size, bool) or not isinstance(size, int | float) or not 0 < size <= MAX_FILE_MB
        ):
            problems.append(
                _(
                    "%(where)s: «max_size_mb» باید بیشتر از صفر و حداکثر %(n)s باشد.",
                    where=where,
                    n=local_number(MAX_FILE_MB),
                )
            )
    return problems


def check_definition(definition: object, documents: Sequence[object] | None = None) -> list[str]:
    """What is wrong with a form definition, in Persian, one line a problem; empty when the renderer, the filing
    path and the request pages can all use it. The importer, the form builder and the API call this; given the
    card's documents, a file field's "document" must name one of them, and each at most once."""
    if not isinstance(definition, list):
        return [_("فرم باید فهرستی از تعریف فیلدها باشد.")]
    problems, seen, documents_seen = [], set(), set()
    for position, spec in enumerate(definition, start=1):
        where = _("فیلد %(n)s", n=local_number(position))
        if not isinstance(spec, dict):
            problems.append(_("%(where)s: تعریف فیلد باید شیء باشد.", where=where))
            continue
        name = spec.get("name")
        if isinstance(name, str) and name:
            where = _("فیلد %(n)s («%(name)s»)", n=local_number(position), name=name[:40])
        if not isinstance(name, str) or not _NAME.fullmatch(name) or "__" in name or name in _FORM_ATTRIBUTES:
            problems.append(
                _(
                    "%(where)s: نام فیلد باید با حرف کوچک لاتین شروع شود و فقط حرف کوچک لاتین، رقم و _ (نه __) "
                    "داشته باشد، حداکثر ۴۰ نویسه، و از نام‌های رزروشده نباشد.",
                    where=where,
                )
            )
        elif name in PAGE_FIELDS:
            problems.append(
                _(
                    "%(where)s: نام «%(name)s» را صفحهٔ درخواست یا پیشخوان خود می‌فرستد؛ نام دیگری برگزینید "
                    "(نام‌های رزروشده: %(names)s).",
                    where=where,
                    name=name,
                    names="، ".join(sorted(PAGE_FIELDS)),
                )
            )
        elif name in seen:
            problems.append(_("%(where)s: نام فیلد تکراری است.", where=where))
        seen.add(name)
        if spec.get("type") not in TYPES:
            problems.append(
                _("%(where)s: نوع فیلد «%(type)s» شناخته نیست.", where=where, type=str(spec.get("type"))[:40])
            )
            continue
        problems += _field_problems(spec, where)
        for document in document_indexes(spec):
            if document in documents_seen:
                problems.append(_("%(where)s: این مدرک را فیلد دیگری هم می‌خواهد.", where=where))
            elif documents is not None and document >= len(documents):
                problems.append(
                    _(
                        "%(where)s: شناسنامه مدرک شمارهٔ %(n)s ندارد (شماره از ۰ است).",
                        where=where,
                        n=local_number(document),
                    )
                )
            documents_seen.add(document)
    return problems


class FormUnavailable(RuleError):
    """A stored form definition the renderer cannot use; the page says so instead of failing."""

    status = 503


def definition_for(revision: ServiceRevision | None) -> list[FieldSpec]:
    """The revision's own form, or a short generic one for services whose agency has not defined one yet.

    A stored definition that check_definition() refuses (written before the check existed, or straight into the
    database) raises FormUnavailable: nobody can apply with it until it is corrected, and the page says so. So does
    a service without a published card (unpublished while a filing was under way).
    """
    if revision is None:
        raise FormUnavailable(_("این خدمت اکنون پذیرش درخواست ندارد."))
    definition = stored_definition(revision)
    problems = check_definition(definition)
    if problems:
        log.error("form of revision %s cannot be used: %s", getattr(revision, "id", None), "; ".join(problems))
        raise FormUnavailable(_("فرم این خدمت فعلاً قابل نمایش نیست. این مشکل ثبت شد؛ لطفاً بعداً دوباره تلاش کنید."))
    documents = getattr(revision, "documents", None) or []
    from app import inquiries  # late: app.inquiries reaches the jobs, which import the models this module needs

    replaced = inquiries.replaced_documents(getattr(revision, "service_id", None), documents)
    return with_card_documents(definition, documents, replaced=replaced)


# A document the card lists «در صورت وجود» (if there is one), «در صورت نیاز» … or «اختیاری» is not required.
_OPTIONAL_DOCUMENT = re.compile(r"در\s*صورت|اختیاری")


def document_required(text: str) -> bool:
    """Whether a document of the card is required, by how the card words it."""
    return not _OPTIONAL_DOCUMENT.search(text)


def document_indexes(spec: FieldSpec) -> list[int]:
    """The places in the card's documents list a field answers ("document": one index or a list of them)."""
    value = spec.get("document")
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, int) and not isinstance(v, bool)]


def with_card_documents(
    definition: Sequence[FieldSpec], documents: Sequence[object], replaced: Collection[int] = ()
) -> list[FieldSpec]:
    """The definition with a file field for each document of the card that none of its file fields maps
    ("document": index), so the form asks for what the card says to bring. Online and at the counter alike: both
    read the form through definition_for(). The generic form's catch-all «مدارک» field gives way to them. A
    document an inquiry to another agency replaces (`replaced`, indexes) is not asked for."""
    mapped = {index for s in definition for index in document_indexes(s)}
    names = {s.get("name") for s in definition}
    added: list[FieldSpec] = []
    for index, text in enumerate(documents):
        name = f"card_document_{index + 1}"
        if index in mapped or index in replaced or name in names or not isinstance(text, str) or not text.strip():
            continue
        required = document_required(text)
        added.append({"name": name, "type": "file", "label": text.strip(), "required": required, "document": index})
    if not added:
        return list(definition)
    if definition is DEFAULT_DEFINITION:
        definition = [s for s in definition if s["type"] != "file"]
    return [*definition, *added]


def stored_definition(revision: ServiceRevision) -> list[FieldSpec]:
    """The definition as stored, unchecked: enough for showing what was filed (display_answers copes with any)."""
    return revision.form_definition or DEFAULT_DEFINITION
