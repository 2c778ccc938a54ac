"""Forms as data: one renderer turns a service revision's form definition into a WTForms form.

A definition is an ordered list of fields:
    {"name": "reason", "type": "choice", "label": "…", "hint": "…", "required": true,
     "choices": [["lost", "…"], …], "max_length": 500, "min": 0, "max": 10, "accept": ["pdf"], "max_size_mb": 5}
Types: text, textarea, number, amount, national_code, mobile, postal_code, date, choice, multi_choice, yes_no,
address (province + county + text) and file. Answers are stored as JSON with canonical values (digits folded,
identifiers cleaned, dates as ISO Gregorian) and shown back through display_answers().
"""

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from werkzeug.datastructures import MultiDict
from wtforms import Form, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.core import validators as identifier_validators
from app.core.persian import jalali_date, local_number, normalize, parse_jalali_date, parse_whole_number
from app.requests import attachments

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

    def __call__(self, form, field):
        upload = field.data
        if not upload or not getattr(upload, "filename", ""):
            return
        try:
            attachments.inspect_upload(upload, *attachments.limits(self.spec))
        except attachments.UploadError as error:
            raise ValidationError(error.message) from None


def _required(spec):
    label = spec.get("label", spec["name"])
    if spec.get("required"):
        return InputRequired(message=_l("«%(label)s» را وارد کنید.", label=label))
    return Optional()


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
        return FileField(validators=[AllowedFile(spec)], **common)
    raise ValueError(f"unknown form field type {kind!r}")


def _address_fields(spec, provinces):
    label = spec.get("label", spec["name"])
    required = bool(spec.get("required"))
    choose = [("", _l("انتخاب کنید"))]
    return {
        "province": ChoiceSelectField(
            _l("%(label)s — استان", label=label),
            choices=_options(choose + provinces),
            validators=[_required({**spec, "label": _l("استان")})],
            validate_choice=True,
        ),
        "county": StringField(_l("شهرستان"), validators=[_required({**spec, "label": _l("شهرستان")}), Length(max=80)]),
        "text": TextAreaField(
            _l("نشانی دقیق"),
            description=spec.get("hint", ""),
            validators=[InputRequired(message=_l("نشانی را وارد کنید.")) if required else Optional(), Length(max=500)],
        ),
    }


def _province_choices():
    from app.extensions import db
    from app.models import Province

    return [(p.code, p.name) for p in db.session.execute(db.select(Province).order_by(Province.name)).scalars()]


def build_form_class(definition, base=Form):
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


def build_form(definition, formdata=None, answers=None, raw=False, base=Form):
    """The form bound to posted data, or prefilled from answers: canonical ones, or a draft's raw ones.

    The base is a plain Form: the page's own FlaskForm carries the CSRF token once for the whole page.
    """
    cls = build_form_class(definition, base)
    if formdata is None and answers:
        return cls(formdata=None, data=answers if raw else _form_data(definition, answers))
    return cls(formdata=formdata)


def raw_answers(form, definition):
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


def answers_from(form, definition):
    """The validated form's answers as canonical JSON values (files are handled as attachments)."""
    answers = {}
    for spec in definition:
        name, kind = spec["name"], spec["type"]
        if kind == "file":
            continue
        if kind == "address":
            parts = {
                part: normalize(getattr(form, f"{name}__{part}").data or "") for part in ("province", "county", "text")
            }
            if any(parts.values()):
                answers[name] = parts
            continue
        value = getattr(form, name).data
        if value in (None, "", []):
            continue
        if kind in ("number", "amount"):
            value = parse_whole_number(value, signed=True)
        elif kind == "date":
            value = parse_jalali_date(value).isoformat()
        elif kind == "yes_no":
            value = value == "yes"
        elif kind in ("text", "textarea"):
            value = value.strip()
        answers[name] = value
    return answers


def validate_answers(definition, answers):
    """Check stored answers against a definition with the same validators as the page; returns field errors.

    The filing path calls this so that no channel (online, counter, API) can file what the form would refuse.
    """
    data = MultiDict()
    for key, value in _form_data(definition, answers).items():
        for item in value if isinstance(value, list) else [value]:
            data.add(key, item)
    form = build_form_class([s for s in definition if s["type"] != "file"], base=Form)(formdata=data)
    form.validate()
    return form.errors


def display_answers(definition, answers):
    """(label, text) pairs for showing what was filed, in the definition's order."""
    from app.core.persian import format_number, persian_digits_enabled, to_persian_digits

    rows = []
    provinces = None
    for spec in definition:
        value = answers.get(spec["name"])
        if value in (None, "", []) or spec["type"] == "file":
            continue
        kind, text = spec["type"], value
        choices = {str(k): v for k, v in spec.get("choices", [])}
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
        elif kind == "address":
            provinces = provinces if provinces is not None else dict(_province_choices())
            text = "، ".join(
                filter(None, [provinces.get(value.get("province"), ""), value.get("county", ""), value.get("text", "")])
            )
        if persian_digits_enabled():
            text = to_persian_digits(text)
        rows.append((spec.get("label", spec["name"]), text))
    return rows


def file_fields(definition):
    return [s for s in definition if s["type"] == "file"]


def check_files(form, definition, attached=(), attached_bytes=0):
    """Required files are chosen now or already attached (a draft's, or scans staged at the counter), and all of
    a request's files together stay under REQUEST_ATTACHMENTS_MAX_MB. Field errors go next to their fields;
    the return value is (ok, message about the total or None)."""
    from flask import current_app

    ok, total = True, attached_bytes
    for spec in file_fields(definition):
        field = form[spec["name"]]
        if field.data and getattr(field.data, "filename", ""):
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
        "max_size_mb": 5,
        "hint": _l("پی‌دی‌اف، جی‌پگ یا پی‌ان‌جی، حداکثر ۵ مگابایت."),
    },
]


def definition_for(revision):
    """The revision's own form, or a short generic one for services whose agency has not defined one yet."""
    return revision.form_definition or DEFAULT_DEFINITION
