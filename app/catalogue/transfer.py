"""Catalogue import and export: the file formats, the rules a row must meet, and the upsert by service code.

Formats (the same for import and export, so a round trip changes nothing):
- JSON: an array of service objects, or an object {"services": [...], "agencies": [...], "clusters": [...],
  "life_events": [...], "synonyms": {"term": ["synonym", ...]}} where every key but "services" is optional.
- CSV: UTF-8 (a BOM is fine) with a header row; list fields separated by "|" (a literal "|" is written "\\|",
  a literal backslash "\\\\"); the stages as four columns stage_information ... stage_delivery; `form` as JSON.

An import is one transaction: every row is checked first, and any error (row number, field, reason) means
nothing is written. A changed card gets a new approved revision; an unchanged one gets nothing.
"""

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from app.catalogue import queries as catalogue
from app.catalogue.search import index as search_index
from app.core.persian import clean_text, fold_digits, parse_whole_number
from app.extensions import db
from app.models import Agency, Cluster, LifeEvent, Province, Service, ServiceRevision, Synonym, utcnow
from app.requests.formdefs import check_definition

SERVICE_FIELDS = (
    "code",
    "title",
    "summary",
    "title_en",
    "summary_en",
    "agency_code",
    "agency_name",
    "parent_agency_code",
    "type",
    "level",
    "nature",
    "audience",
    "clusters",
    "life_events",
    "keywords",
    "keywords_en",
    "conditions",
    "documents",
    "procedure",
    "fee_rial",
    "duration_days",
    "in_person_visits",
    "channels",
    "stages",
    "online_url",
    "provinces",
    "yearly_volume",
    "form",
)
STAGE_COLUMNS = tuple("stage_" + stage for stage in catalogue.STAGES)
CSV_COLUMNS = tuple(c for f in SERVICE_FIELDS for c in (STAGE_COLUMNS if f == "stages" else (f,)))
LIST_FIELDS = ("clusters", "life_events", "keywords", "keywords_en", "conditions", "documents", "procedure", "channels")
TEXT_LISTS = ("keywords", "keywords_en", "conditions", "documents", "procedure")
COUNTS = {"fee_rial": 2**63 - 1, "yearly_volume": 2**63 - 1, "duration_days": 2**31 - 1, "in_person_visits": 2**31 - 1}
ALL_PROVINCES = {"all", "همه", "همهاستانها", "سراسرکشور", "*"}
URL = re.compile(r"https?://[^\s/$.?#][^\s]*", re.IGNORECASE)
CODE = re.compile(r"[0-9]{1,20}")
AGENCY_CODE = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,31}")
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


# --- reporting ----------------------------------------------------------------------------------------------


@dataclass
class RowError:
    row: int  # 1-based position in its section; for CSV the data row (line 2 of the file is row 1)
    field: str
    reason: str
    section: str = "services"

    def __str__(self):
        where = _("ردیف %(row)s", row=self.row) if self.row else _("فایل")
        if self.section != "services":
            where = f"{self.section}: {where}"
        return f"{where}، {self.field or '-'}: {self.reason}"


class ImportFailed(Exception):
    def __init__(self, errors):
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


@dataclass
class Summary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    agencies_created: int = 0
    agencies_updated: int = 0
    clusters_created: int = 0
    life_events_created: int = 0
    synonyms_added: int = 0
    ignored_fields: set[str] = field(default_factory=set)

    @property
    def rows_created(self) -> int:
        return (
            self.created
            + self.agencies_created
            + self.clusters_created
            + self.life_events_created
            + self.synonyms_added
        )


@dataclass
class Source:
    """What a file holds, before any checking."""

    services: list
    agencies: list = field(default_factory=list)
    clusters: list = field(default_factory=list)
    life_events: list = field(default_factory=list)
    synonyms: dict = field(default_factory=dict)

    @classmethod
    def from_data(cls, data: object) -> Self:
        if isinstance(data, list):
            return cls(services=data)
        if not isinstance(data, dict) or not isinstance(data.get("services", []), list):
            raise ImportFailed(
                [RowError(0, "services", _("فایل باید آرایه‌ای از خدمت‌ها یا شیئی با کلید services باشد."))]
            )
        errors = []
        for key in ("agencies", "clusters", "life_events"):
            if not isinstance(data.get(key) or [], list):
                errors.append(RowError(0, key, _("باید آرایه باشد."), key))
        if not isinstance(data.get("synonyms") or {}, dict):
            errors.append(RowError(0, "synonyms", _("باید شیئی از واژه به فهرست هم‌معنی‌ها باشد."), "synonyms"))
        if errors:
            raise ImportFailed(errors)
        return cls(
            services=data.get("services", []),
            agencies=data.get("agencies") or [],
            clusters=data.get("clusters") or [],
            life_events=data.get("life_events") or [],
            synonyms=data.get("synonyms") or {},
        )


# --- reading files ------------------------------------------------------------------------------------------


def read_path(path: str | Path) -> Source:
    """Read a .json or .csv file into a Source; unreadable files raise ImportFailed."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".json", ".csv"):
        raise ImportFailed([RowError(0, "", _("قالب فایل باید .json یا .csv باشد."))])
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ImportFailed([RowError(0, "", _("فایل خوانده نشد: %(error)s", error=error.strerror or error))]) from None
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFailed(
            [RowError(0, "", _("فایل باید با کدگذاری UTF-8 ذخیره شده باشد (بایت %(at)s).", at=error.start))]
        ) from None
    if suffix == ".json":
        try:
            data = json.loads(content)
        except json.JSONDecodeError as error:
            raise ImportFailed(
                [
                    RowError(
                        0,
                        "",
                        _(
                            "JSON نامعتبر در سطر %(line)s ستون %(col)s: %(msg)s",
                            line=error.lineno,
                            col=error.colno,
                            msg=error.msg,
                        ),
                    )
                ]
            ) from None
        return Source.from_data(data)
    return _read_csv(content)


def _read_csv(content):
    reader = csv.DictReader(io.StringIO(content, newline=""))
    header = [name.strip() for name in reader.fieldnames or []]
    reader.fieldnames = header
    missing = [name for name in ("code", "title", "agency_code") if name not in header]
    if missing:
        raise ImportFailed([RowError(0, name, _("این ستون در سرستون فایل نیست.")) for name in missing])
    services, errors = [], []
    try:
        for number, row in enumerate(reader, start=1):
            if None in row:
                errors.append(RowError(number, "", _("این ردیف بیش از ستون‌های سرستون مقدار دارد.")))
            record = {}
            for name, value in row.items():
                if name is None:
                    continue
                value = value or ""
                if name in STAGE_COLUMNS:
                    if value.strip():
                        record.setdefault("stages", {})[name.removeprefix("stage_")] = value
                elif name in LIST_FIELDS:
                    record[name] = split_list(value)
                elif name == "provinces":
                    record[name] = value if value.strip().lower() in ("", "all") else split_list(value)
                elif name == "form":
                    try:
                        record[name] = json.loads(value) if value.strip() else []
                    except json.JSONDecodeError:
                        errors.append(RowError(number, "form", _("فرم باید JSON معتبر باشد.")))
                else:
                    record[name] = value
            services.append(record)
    except csv.Error as error:
        raise ImportFailed([RowError(reader.line_num, "", _("CSV نامعتبر: %(msg)s", msg=error))]) from None
    if errors:
        raise ImportFailed(errors)
    return Source(services=services)


def split_list(value: str) -> list[str]:
    """'a|b\\|c' -> ['a', 'b|c']: "|" separates items, a backslash keeps the next | or \\ literal."""
    items, current, i = [], [], 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value) and value[i + 1] in "|\\":
            current.append(value[i + 1])
            i += 2
            continue
        if ch == "|":
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    items.append("".join(current))
    return [item for item in (s.strip() for s in items) if item]


def join_list(items: Iterable[object]) -> str:
    return "|".join(str(item).replace("\\", "\\\\").replace("|", "\\|") for item in items)


# --- cleaning values ----------------------------------------------------------------------------------------


def name_key(text: object) -> str:
    """How names are matched: spelling, spacing and ZWNJ do not matter ("حمل‌ونقل" == "حمل و نقل")."""
    return "".join(search_index.words(text))


_LATIN = {
    "ا": "a",
    "آ": "a",
    "أ": "a",
    "إ": "e",
    "ب": "b",
    "پ": "p",
    "ت": "t",
    "ث": "s",
    "ج": "j",
    "چ": "ch",
    "ح": "h",
    "خ": "kh",
    "د": "d",
    "ذ": "z",
    "ر": "r",
    "ز": "z",
    "ژ": "zh",
    "س": "s",
    "ش": "sh",
    "ص": "s",
    "ض": "z",
    "ط": "t",
    "ظ": "z",
    "ع": "",
    "غ": "gh",
    "ف": "f",
    "ق": "gh",
    "ک": "k",
    "گ": "g",
    "ل": "l",
    "م": "m",
    "ن": "n",
    "و": "v",
    "ه": "h",
    "ی": "y",
    "ئ": "y",
    "ء": "",
    "ة": "h",
    "ؤ": "o",
}


def slugify(name: str) -> str:
    """A stable ASCII slug for a Persian or English name ("سلامت و درمان" -> "slamt-v-drman")."""
    text = fold_digits(clean_text(name)).lower()
    slug = "".join(_LATIN.get(ch, ch if ch.isascii() and ch.isalnum() else "-") for ch in text)
    slug = re.sub(r"-+", "-", slug).strip("-")[:50].strip("-")
    return slug or "item-" + hashlib.sha1(name.encode()).hexdigest()[:8]


def _choice(value, choices, default, aliases=None):
    """A code from a closed list; the Persian label or a known alias is accepted too. None when unknown."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    text = clean_text(value)
    if text in choices:
        return text
    lowered = text.lower().replace("-", "_").replace(" ", "_")
    if lowered in choices:
        return lowered
    if text.upper() in choices:
        return text.upper()
    key = name_key(text)
    for code, label in choices.items():
        if name_key(str(label)) == key:
            return code
    return (aliases or {}).get(key) or (aliases or {}).get(lowered)


STAGE_ALIASES = {
    "online": "electronic",
    "الکترونیک": "electronic",
    "الکترونیکی": "electronic",
    "غیرحضوری": "electronic",
    "برخط": "electronic",
    "inperson": "in_person",
    "offline": "in_person",
    "حضوری": "in_person",
}
CHANNEL_ALIASES = {
    "website": "web",
    "وب": "web",
    "وبگاه": "web",
    "سامانه": "web",
    "mobile": "app",
    "اپلیکیشن": "app",
    "پیامک": "sms",
    "تلفنگویا": "ivr",
    "پیشخوان": "counter",
    "دفترپیشخوان": "counter",
    "دفاترپیشخوان": "counter",
    "حضوری": "in_person",
    "inperson": "in_person",
}


def _means_all(value):
    """ "all", "همه", "سراسر کشور": offered in every province."""
    return isinstance(value, str) and (value.strip().lower() in ALL_PROVINCES or name_key(value) in ALL_PROVINCES)


def _count(value):
    """A non-negative whole number from an int, a float without fraction, or digits in any script."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float):
        return int(value) if value >= 0 and value.is_integer() else None
    # A spreadsheet's "12.0" is a whole number too.
    return parse_whole_number(re.sub(r"\.0+$", "", fold_digits(str(value)).strip()), max_digits=19)


def _texts(value):
    """A list field: a list of strings (a single string is split on |); empty items are dropped."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = split_list(value)
    if not isinstance(value, list) or not all(isinstance(item, (str, int, float)) for item in value):
        return None
    return [text for text in (clean_text(item) for item in value) if text]


# --- the plan: everything checked before anything is written -------------------------------------------------


class _Catalogue:
    """What the database already holds, looked up once."""

    def __init__(self):
        self.agencies = {a.code: a for a in db.session.execute(select(Agency)).scalars()}
        self.provinces = db.session.execute(select(Province)).scalars().all()
        self.province_keys = {}
        for province in self.provinces:
            for key in (
                name_key(province.name),
                province.code,
                province.slug,
                province.name_en.casefold(),
                name_key(province.name_en),
            ):
                self.province_keys[key] = province
        self.clusters = {c.slug: c for c in db.session.execute(select(Cluster)).scalars()}
        self.life_events = {e.slug: e for e in db.session.execute(select(LifeEvent)).scalars()}

    def province(self, text: object) -> Province | None:
        text = clean_text(text)
        return (
            self.province_keys.get(name_key(text))
            or self.province_keys.get(text.casefold())
            or self.province_keys.get(fold_digits(text))
        )


class _Topics:
    """Clusters or life events named by slug or by name; unknown names become new rows with derived slugs."""

    def __init__(self, existing):
        self.by_slug = dict(existing)
        self.by_name = {name_key(row.name): row.slug for row in existing.values()}
        self.new = {}  # slug -> name, for rows to create

    def declare(self, slug: str, name: str) -> None:
        self.by_slug.setdefault(slug, None)
        self.by_name.setdefault(name_key(name), slug)

    def resolve(self, text: object) -> str:
        text = clean_text(text)
        if text in self.by_slug:
            return text
        key = name_key(text)
        if key in self.by_name:
            return self.by_name[key]
        slug = slugify(text)
        if slug in self.by_slug:
            slug = f"{slug[:50]}-{hashlib.sha1(key.encode()).hexdigest()[:6]}"
        self.by_slug[slug] = None
        self.by_name[key] = slug
        self.new[slug] = text[:120]
        return slug


class _Checker:
    """Checks a whole Source and keeps the cleaned rows; check() raises ImportFailed listing every problem."""

    def __init__(self, source):
        self.source = source
        self.errors = []
        self.known = _Catalogue()
        self.clusters = _Topics(self.known.clusters)
        self.life_events = _Topics(self.known.life_events)
        self.agencies = {}  # code -> dict of fields given by the file
        self.services = []  # (row number, cleaned card)
        self.synonyms = []
        self.ignored = set()
        self.topic_rows = {}  # "clusters" / "life_events" -> their cleaned top-level rows

    def error(self, row: int, name: str, reason: str, section: str = "services") -> None:
        self.errors.append(RowError(row, name, reason, section))

    def check(self) -> None:
        self._topics(self.source.clusters, "clusters", self.clusters)
        self._topics(self.source.life_events, "life_events", self.life_events)
        self._agencies()
        self._service_agencies()
        seen: dict[str, int] = {}
        for number, row in enumerate(self.source.services, start=1):
            card = self._service(number, row)
            if card is None:
                continue
            if card["code"] in seen:
                self.error(number, "code", _("این کد در ردیف %(row)s هم آمده است.", row=seen[card["code"]]))
                continue
            seen[card["code"]] = number
            self.services.append((number, card))
        self._synonyms()
        self._parents()
        if self.errors:
            raise ImportFailed(self.errors)

    # sections

    def _topics(self, rows, section, topics, slug_length=60):
        cleaned = []
        for number, row in enumerate(rows, start=1):
            if not isinstance(row, dict):
                self.error(number, "", _("هر ردیف باید یک شیء باشد."), section)
                continue
            name = clean_text(row.get("name"))
            slug = clean_text(row.get("slug")) or (slugify(name) if name else "")
            if not name:
                self.error(number, "name", _("نام لازم است."), section)
                continue
            if not SLUG.fullmatch(slug) or len(slug) > slug_length:
                self.error(number, "slug", _("شناسه باید فقط حروف کوچک لاتین، رقم و خط تیره باشد."), section)
                continue
            topics.declare(slug, name)
            cleaned.append({"slug": slug, "name": name[:120], "name_en": clean_text(row.get("name_en"))[:120]})
        self.topic_rows[section] = cleaned

    def _agencies(self):
        codes = set()
        for number, row in enumerate(self.source.agencies, start=1):
            if not isinstance(row, dict):
                self.error(number, "", _("هر ردیف باید یک شیء باشد."), "agencies")
                continue
            code = fold_digits(clean_text(row.get("code")))
            if not AGENCY_CODE.fullmatch(code):
                self.error(
                    number,
                    "code",
                    _("کد دستگاه لازم است و فقط حروف لاتین، رقم، نقطه و خط تیره (تا ۳۲ نویسه) می‌پذیرد."),
                    "agencies",
                )
                continue
            if code in codes:
                self.error(number, "code", _("این کد دستگاه دوبار آمده است."), "agencies")
                continue
            codes.add(code)
            entry = {"row": number, "section": "agencies"}
            name = clean_text(row.get("name"))
            if name:
                entry["name"] = name[:200]
            elif code not in self.known.agencies:
                self.error(number, "name", _("نام دستگاه تازه لازم است."), "agencies")
            if row.get("name_en") is not None:
                entry["name_en"] = clean_text(row.get("name_en"))[:200]
            if row.get("level") not in (None, ""):
                level = _choice(row.get("level"), catalogue.AGENCY_LEVELS, "national")
                if level is None:
                    self.error(number, "level", _("سطح دستگاه باید national یا provincial باشد."), "agencies")
                entry["level"] = level
            if row.get("province") not in (None, ""):
                province = self.known.province(row.get("province"))
                if province is None:
                    self.error(number, "province", _("استانی با این نام نیست."), "agencies")
                entry["province"] = province
            elif "province" in row:
                entry["province"] = None
            if row.get("connection_status") not in (None, ""):
                status = _choice(
                    row.get("connection_status"),
                    catalogue.CONNECTION_STATUSES,
                    "not_connected",
                    {"redirectonly": "redirect", "notconnected": "not_connected"},
                )
                if status is None:
                    self.error(
                        number,
                        "connection_status",
                        _("وضعیت اتصال باید connected یا redirect یا not_connected باشد."),
                        "agencies",
                    )
                entry["connection_status"] = status
            if row.get("website_url") is not None:
                url = clean_text(row.get("website_url"))
                if url and (not URL.fullmatch(url) or len(url) > 500):
                    self.error(number, "website_url", _("نشانی باید با http:// یا https:// شروع شود."), "agencies")
                entry["website_url"] = url
            parent = fold_digits(clean_text(row.get("parent_code")))
            if parent:
                entry["parent_code"] = parent
            self.agencies[code] = entry

    def _service_agencies(self):
        """Agencies named only in service rows: the first row that names one gives its name."""
        for number, row in enumerate(self.source.services, start=1):
            if not isinstance(row, dict):
                continue
            code = fold_digits(clean_text(row.get("agency_code")))
            name = clean_text(row.get("agency_name"))
            if not AGENCY_CODE.fullmatch(code):
                continue
            entry = self.agencies.setdefault(code, {"row": number, "section": "services"})
            if name and "name" not in entry:
                entry["name"] = name[:200]
                entry["name_row"] = number
            parent = fold_digits(clean_text(row.get("parent_agency_code")))
            if parent and "parent_code" not in entry:
                entry["parent_code"] = parent
                entry["parent_row"] = number

    def _parents(self):
        for code, entry in self.agencies.items():
            parent = entry.get("parent_code")
            if not parent:
                continue
            row, section = entry.get("parent_row", entry["row"]), entry["section"]
            name = "parent_code" if section == "agencies" else "parent_agency_code"
            if parent == code:
                self.error(row, name, _("دستگاه نمی‌تواند زیرمجموعهٔ خودش باشد."), section)
            elif parent not in self.agencies and parent not in self.known.agencies:
                self.error(row, name, _("دستگاه بالادستی با این کد نه در پایگاه داده هست و نه در فایل."), section)

    def _service(self, number, row):
        if not isinstance(row, dict):
            self.error(number, "", _("هر ردیف باید یک شیء باشد."))
            return None
        self.ignored.update(key for key in row if key not in SERVICE_FIELDS and key not in STAGE_COLUMNS)
        before = len(self.errors)
        card = {}
        code = fold_digits(clean_text(row.get("code")))
        if not code:
            self.error(number, "code", _("کد خدمت لازم است."))
        elif not CODE.fullmatch(code):
            self.error(number, "code", _("کد خدمت باید فقط رقم باشد (تا ۲۰ رقم)."))
        card["code"] = code
        title = clean_text(row.get("title"))
        if not title:
            self.error(number, "title", _("عنوان خدمت لازم است."))
        elif len(title) > 300:
            self.error(number, "title", _("عنوان خدمت نباید بیش از ۳۰۰ نویسه باشد."))
        card["title"] = title
        card["summary"] = clean_text(row.get("summary"))
        # Optional English of the card: English pages show it, English search finds it.
        card["title_en"] = clean_text(row.get("title_en"))
        if len(card["title_en"]) > 300:
            self.error(number, "title_en", _("عنوان انگلیسی نباید بیش از ۳۰۰ نویسه باشد."))
        card["summary_en"] = clean_text(row.get("summary_en"))
        agency = fold_digits(clean_text(row.get("agency_code")))
        if not agency:
            self.error(number, "agency_code", _("کد دستگاه لازم است."))
        elif not AGENCY_CODE.fullmatch(agency):
            self.error(number, "agency_code", _("کد دستگاه فقط حروف لاتین، رقم، نقطه و خط تیره (تا ۳۲ نویسه) می‌پذیرد."))
        elif agency not in self.known.agencies and "name" not in self.agencies.get(agency, {}):
            self.error(number, "agency_name", _("دستگاه %(code)s تازه است؛ نام آن را بنویسید.", code=agency))
        card["agency_code"] = agency
        for name, choices, default, aliases in (
            ("type", catalogue.SERVICE_TYPES, "G2C", None),
            ("level", catalogue.LEVELS, "national", None),
            ("nature", catalogue.NATURES, "sovereign", None),
        ):
            value = _choice(row.get(name), choices, default, aliases)
            if value is None:
                self.error(number, name, _("مقدار مجاز: %(choices)s", choices=", ".join(choices)))
            card[name] = value
        audience = row.get("audience")
        if isinstance(audience, list):
            audience = "، ".join(clean_text(item) for item in audience)
        card["audience"] = clean_text(audience)
        if len(card["audience"]) > 300:
            self.error(number, "audience", _("گیرندگان خدمت نباید بیش از ۳۰۰ نویسه باشد."))
        for name in TEXT_LISTS + ("clusters", "life_events", "channels"):
            items = _texts(row.get(name))
            if items is None:
                self.error(number, name, _("باید فهرستی از متن‌ها باشد."))
                items = []
            card[name] = list(dict.fromkeys(items)) if name in ("clusters", "life_events", "channels") else items
        card["cluster_slugs"] = [self.clusters.resolve(item) for item in card.pop("clusters")]
        card["life_event_slugs"] = [self.life_events.resolve(item) for item in card.pop("life_events")]
        channels = []
        for item in card["channels"]:
            channel = _choice(item, catalogue.CHANNELS, None, CHANNEL_ALIASES)
            if channel is None:
                self.error(
                    number,
                    "channels",
                    _(
                        "راه دریافت «%(value)s» شناخته نیست؛ مجاز: %(choices)s",
                        value=item,
                        choices=", ".join(catalogue.CHANNELS),
                    ),
                )
            elif channel not in channels:
                channels.append(channel)
        card["channels"] = channels
        for name, limit in COUNTS.items():
            value = _count(row.get(name))
            if value is None or value > limit:
                self.error(number, name, _("باید عدد صحیح نامنفی باشد."))
            card[name] = value or 0
        self._stages(number, row, card)
        url = clean_text(row.get("online_url"))
        if url and (not URL.fullmatch(url) or len(url) > 500):
            self.error(number, "online_url", _("نشانی باید با http:// یا https:// شروع شود."))
        card["online_url"] = url
        self._provinces(number, row.get("provinces"), card)
        form = row.get("form")
        if form in (None, ""):
            form = []
        # The renderer's own rules: a card imported is a card that renders (a file field's document is one listed).
        for problem in check_definition(form, documents=card.get("documents")):
            self.error(number, "form", problem)
        card["form_definition"] = form
        return card if len(self.errors) == before else None

    def _stages(self, number, row, card):
        stages = row.get("stages")
        if stages in (None, ""):
            stages = {}
        if not isinstance(stages, dict):
            self.error(number, "stages", _("مراحل باید شیئی از نام مرحله به electronic یا in_person باشد."))
            stages = {}
        stages = dict(stages)
        for column in STAGE_COLUMNS:  # the CSV spelling is accepted in JSON too
            if row.get(column) not in (None, ""):
                stages.setdefault(column.removeprefix("stage_"), row[column])
        for name in stages:
            if name not in catalogue.STAGES:
                self.error(
                    number,
                    "stages",
                    _(
                        "مرحلهٔ «%(name)s» شناخته نیست؛ مراحل: %(choices)s",
                        name=name,
                        choices=", ".join(catalogue.STAGES),
                    ),
                )
        for name in catalogue.STAGES:
            value = _choice(stages.get(name), catalogue.STAGE_MODES, "in_person", STAGE_ALIASES)
            if value is None:
                self.error(number, "stage_" + name, _("باید electronic یا in_person باشد."))
            card["stage_" + name] = value or "in_person"

    def _provinces(self, number, value, card):
        if isinstance(value, str):
            value = [] if _means_all(value) else split_list(value)
        if value is None or value == [] or (isinstance(value, list) and len(value) == 1 and _means_all(value[0])):
            card["offered_everywhere"], card["province_codes"] = True, []
            return
        if not isinstance(value, list):
            self.error(number, "provinces", _("استان‌ها باید all یا فهرستی از نام استان‌ها باشد."))
            card["offered_everywhere"], card["province_codes"] = True, []
            return
        codes = set()
        for item in value:
            province = self.known.province(item)
            if province is None:
                self.error(number, "provinces", _("استانی با نام «%(name)s» نیست.", name=clean_text(item)))
            else:
                codes.add(province.code)
        card["offered_everywhere"], card["province_codes"] = False, sorted(codes)

    def _synonyms(self):
        for number, (term, synonyms) in enumerate(self.source.synonyms.items(), start=1):
            key = " ".join(search_index.words(term))
            if isinstance(synonyms, str):
                synonyms = [synonyms]
            if not key or not isinstance(synonyms, list) or not all(isinstance(s, str) for s in synonyms):
                self.error(number, str(term)[:40], _("هر واژه باید به فهرستی از هم‌معنی‌ها برسد."), "synonyms")
                continue
            for synonym in synonyms:
                value = " ".join(search_index.words(synonym))
                if len(key) > 100 or len(value) > 100:
                    self.error(number, str(term)[:40], _("واژه و هم‌معنی نباید بیش از ۱۰۰ نویسه باشند."), "synonyms")
                elif value and value != key:
                    self.synonyms.append((key, value))


# --- applying -----------------------------------------------------------------------------------------------

REVISION_FIELDS = (
    "title",
    "summary",
    "title_en",
    "summary_en",
    "keywords_en",
    "service_type",
    "level",
    "nature",
    "audience",
    "keywords",
    "conditions",
    "documents",
    "procedure",
    "channels",
    "cluster_slugs",
    "life_event_slugs",
    "province_codes",
    "offered_everywhere",
    "fee_rial",
    "duration_days",
    "in_person_visits",
    *STAGE_COLUMNS,
    "online_url",
    "yearly_volume",
    "form_definition",
)


def _revision_values(card):
    values = {name: card[name] for name in REVISION_FIELDS if name in card}
    values["service_type"] = card["type"]
    return values


def card_values(revision: ServiceRevision) -> dict[str, Any]:
    return {name: getattr(revision, name) for name in REVISION_FIELDS}


def import_catalogue(source: Source, on_row: Callable[[], object] | None = None) -> Summary:
    """Check everything, then write it in the caller's transaction. Raises ImportFailed and writes nothing
    when any row is invalid; the caller commits."""
    checker = _Checker(source)
    checker.check()
    summary = Summary(ignored_fields=checker.ignored)
    with db.session.no_autoflush:
        clusters = _apply_topics(Cluster, checker.topic_rows["clusters"], checker.clusters, summary, "clusters_created")
        events = _apply_topics(
            LifeEvent, checker.topic_rows["life_events"], checker.life_events, summary, "life_events_created"
        )
        agencies, renamed = _apply_agencies(checker, summary)
    db.session.flush()
    provinces = {p.code: p for p in checker.known.provinces}
    codes = [card["code"] for _, card in checker.services]
    existing: dict[str, Service] = {}
    for start in range(0, len(codes), 1000):
        existing.update(
            (s.code, s)
            for s in db.session.execute(
                select(Service)
                .options(
                    joinedload(Service.current_revision),
                    joinedload(Service.agency),
                    selectinload(Service.clusters),
                    selectinload(Service.life_events),
                    selectinload(Service.provinces),
                )
                .where(Service.code.in_(codes[start : start + 1000]))
            )
            .unique()
            .scalars()
        )
    numbers = dict(
        db.session.execute(
            select(ServiceRevision.service_id, func.max(ServiceRevision.number)).group_by(ServiceRevision.service_id)
        )
        .tuples()
        .all()
    )
    changed: list[Service] = []
    # Flushed in batches, not before every query a relationship makes: a 10,000-card file stays fast.
    with db.session.no_autoflush:
        for index, (_row, card) in enumerate(checker.services, start=1):
            _apply_service(
                existing.get(card["code"]), card, agencies, provinces, clusters, events, numbers, summary, changed
            )
            if on_row:
                on_row()
            if index % 500 == 0:
                db.session.flush()
    _apply_synonyms(checker.synonyms, summary)
    db.session.flush()
    search_index.index_services(changed)
    for agency in renamed:
        search_index.index_agency_services(agency)
    return summary


def _apply_topics(model, rows, topics, summary, counter):
    existing = {row.slug: row for row in db.session.execute(select(model)).scalars()}
    position = max((row.position for row in existing.values()), default=-1) + 1
    for index, row in enumerate(rows):
        found = existing.get(row["slug"])
        if found is None:
            found = model(slug=row["slug"], name=row["name"], name_en=row["name_en"], position=index)
            db.session.add(found)
            existing[row["slug"]] = found
            setattr(summary, counter, getattr(summary, counter) + 1)
        else:
            found.name, found.position = row["name"], index
            if row["name_en"]:
                found.name_en = row["name_en"]
    for slug, name in topics.new.items():
        if slug not in existing:
            existing[slug] = model(slug=slug, name=name, name_en="", position=position)
            position += 1
            db.session.add(existing[slug])
            setattr(summary, counter, getattr(summary, counter) + 1)
    return existing


def _apply_agencies(checker, summary):
    from app.evaluation import connections  # the status history (issue 14); evaluation reads the catalogue

    agencies = dict(checker.known.agencies)
    renamed = []
    for code, entry in checker.agencies.items():
        agency = agencies.get(code)
        if agency is None:
            if "name" not in entry:
                continue  # only named by rows that failed; check() has reported them
            agency = Agency(
                code=code,
                name=entry["name"],
                name_en="",
                level="national",
                connection_status="not_connected",
                website_url="",
            )
            db.session.add(agency)
            agencies[code] = agency
            summary.agencies_created += 1
        else:
            changed = any(
                entry.get(k, getattr(agency, k)) != getattr(agency, k)
                for k in ("name", "name_en", "level", "connection_status", "website_url")
            )
            if "province" in entry and entry["province"] is not agency.province:
                changed = True
            if changed:
                summary.agencies_updated += 1
            if entry.get("name", agency.name) != agency.name:
                renamed.append(agency)
        for name in ("name", "name_en", "level", "website_url"):
            if name in entry:
                setattr(agency, name, entry[name])
        # The status changes through the one rule that records it (issue 14); a new agency's history starts here.
        if agency.id is None:
            agency.connection_status = entry.get("connection_status") or agency.connection_status
            connections.record_initial_status(agency, note=_("ورود از پرونده"))
        elif entry.get("connection_status"):
            connections.set_connection_status(
                agency, entry["connection_status"], None, _("ورود از پرونده"), refresh=False
            )
        if "province" in entry:
            agency.province = entry["province"]
    for code, entry in checker.agencies.items():
        parent = entry.get("parent_code")
        if parent and code in agencies and agencies[code].parent is not agencies[parent]:
            agencies[code].parent = agencies[parent]
            if agencies[code] not in renamed and agencies[code].id is not None:
                renamed.append(agencies[code])  # the parent's name is indexed with its services
    return agencies, renamed


def _apply_service(service, card, agencies, provinces, clusters, events, numbers, summary, changed):
    agency = agencies[card["agency_code"]]
    values = _revision_values(card)
    current = service.current_revision if service is not None else None
    if current is not None and card_values(current) == values:
        if service.agency is not agency:
            service.agency = agency
            summary.updated += 1
            changed.append(service)
        else:
            summary.unchanged += 1
        return
    if service is None:
        service = Service(code=card["code"], agency=agency)
        db.session.add(service)
        summary.created += 1
        number = 1
    else:
        service.agency = agency
        summary.updated += 1
        number = numbers.get(service.id, 0) + 1
    form_version = 1
    if current is not None:
        form_version = current.form_version + (current.form_definition != values["form_definition"])
    revision = ServiceRevision(
        service=service, number=number, status="approved", decided_at=utcnow(), form_version=form_version, **values
    )
    db.session.add(revision)
    if service.id is not None:
        numbers[service.id] = number
    catalogue.publish_revision(
        service,
        revision,
        [provinces[c] for c in card["province_codes"]],
        [clusters[s] for s in card["cluster_slugs"]],
        [events[s] for s in card["life_event_slugs"]],
        reindex=False,
    )
    changed.append(service)


def _apply_synonyms(pairs, summary):
    if not pairs:
        return
    existing = set(db.session.execute(select(Synonym.term, Synonym.synonym)).tuples())
    for pair in dict.fromkeys(pairs):
        if pair not in existing:
            db.session.add(Synonym(term=pair[0], synonym=pair[1]))
            existing.add(pair)
            summary.synonyms_added += 1


# --- export -------------------------------------------------------------------------------------------------


def _province_names():
    return {p.code: p.name for p in db.session.execute(select(Province)).scalars()}


def service_row(service: Service, province_names: dict[str, str] | None = None) -> dict[str, Any]:
    """One service in the import format, from its current approved revision."""
    card = service.current_revision
    if card is None:
        raise ValueError(f"service {service.code} has no published card to export")
    if province_names is None:
        province_names = {} if card.offered_everywhere else _province_names()
    return {
        "code": service.code,
        "title": card.title,
        "summary": card.summary,
        "title_en": card.title_en,
        "summary_en": card.summary_en,
        "agency_code": service.agency.code,
        "agency_name": service.agency.name,
        "parent_agency_code": service.agency.parent.code if service.agency.parent else "",
        "type": card.service_type,
        "level": card.level,
        "nature": card.nature,
        "audience": card.audience,
        "clusters": list(card.cluster_slugs),
        "life_events": list(card.life_event_slugs),
        "keywords": list(card.keywords),
        "keywords_en": list(card.keywords_en),
        "conditions": list(card.conditions),
        "documents": list(card.documents),
        "procedure": list(card.procedure),
        "fee_rial": card.fee_rial,
        "duration_days": card.duration_days,
        "in_person_visits": card.in_person_visits,
        "channels": list(card.channels),
        "stages": {stage: getattr(card, "stage_" + stage) for stage in catalogue.STAGES},
        "online_url": card.online_url,
        "provinces": "all" if card.offered_everywhere else [province_names[c] for c in card.province_codes],
        "yearly_volume": card.yearly_volume,
        "form": card.form_definition,
    }


def _published_services():
    query = (
        select(Service)
        .options(joinedload(Service.current_revision), joinedload(Service.agency).joinedload(Agency.parent))
        .where(Service.is_active, Service.current_revision_id.is_not(None))
        .order_by(Service.code)
    )
    return db.session.execute(query).unique().scalars()


def export_data() -> dict[str, Any]:
    """The whole catalogue in the JSON object format."""
    agencies = (
        db.session.execute(
            select(Agency).options(joinedload(Agency.parent), joinedload(Agency.province)).order_by(Agency.code)
        )
        .unique()
        .scalars()
    )
    names = _province_names()
    synonyms: dict[str, list[str]] = {}
    for term, synonym in db.session.execute(select(Synonym.term, Synonym.synonym).order_by(Synonym.term, Synonym.id)):
        synonyms.setdefault(term, []).append(synonym)
    return {
        "agencies": [
            {
                "code": a.code,
                "name": a.name,
                "name_en": a.name_en,
                "parent_code": a.parent.code if a.parent else "",
                "level": a.level,
                "province": a.province.name if a.province else "",
                "connection_status": a.connection_status,
                "website_url": a.website_url,
            }
            for a in agencies
        ],
        "clusters": [{"slug": c.slug, "name": c.name, "name_en": c.name_en} for c in catalogue.clusters()],
        "life_events": [{"slug": e.slug, "name": e.name, "name_en": e.name_en} for e in catalogue.life_events()],
        "synonyms": synonyms,
        "services": [service_row(s, names) for s in _published_services()],
    }


def export_path(path: str | Path) -> int:
    """Write the catalogue to a .json or .csv file; returns the number of services written.

    CSV holds the service rows only (the format has no place for agency details or synonyms)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        data = export_data()
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return len(data["services"])
    if suffix != ".csv":
        raise ImportFailed([RowError(0, "", _("قالب فایل باید .json یا .csv باشد."))])
    count, names = 0, _province_names()
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for service in _published_services():
            writer.writerow(csv_row(service_row(service, names)))
            count += 1
    return count


def csv_row(row: dict[str, Any]) -> dict[str, Any]:
    flat = {}
    for name, value in row.items():
        if name == "stages":
            flat.update({"stage_" + stage: mode for stage, mode in value.items()})
        elif name == "provinces":
            flat[name] = value if value == "all" else join_list(value)
        elif name == "form":
            flat[name] = json.dumps(value, ensure_ascii=False) if value else ""
        elif isinstance(value, list):
            flat[name] = join_list(value)
        else:
            flat[name] = value
    return flat
