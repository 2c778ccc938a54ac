"""The bad-input corpus: every form and query parameter of the app, found by rendering each GET page as a role that
may open it (the authorization matrix's table says which) and reading its <form> fields and links, sent odd input:
digit scripts, Arabic letters, ZWNJ, U+202E, NUL, invalid UTF-8, 100 KB strings, emoji, template and SQL strings,
CSV formula prefixes, whitespace, odd filenames and wrong content types.

Never a 500; a 400 keeps what was typed (printable input) and speaks Persian; `{{7*7}}` never renders as 49. A new
form or link joins the corpus by itself.
"""

import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, quote_from_bytes, urlsplit

import pytest
from markupsafe import escape

from app.adapters import ownership
from app.core.persian import clean_text, fold_digits
from app.extensions import db, limiter
from app.models import Role
from tests import factories as f
from tests.web import test_authorization_matrix as matrix
from tests.web.test_authorization_matrix import KINDS, MATRIX, ROLES, _objects

# The matrix's world (scope A and B, one signed-in client per role), built again for this module.
world = matrix.world
clients = matrix.clients

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
INVALID_UTF8 = b"\xff\xfe\xc3("  # no UTF-8 decoder reads these

# name -> what is typed into every text field (bytes: sent as raw bytes, not as UTF-8)
PAYLOADS = {
    "persian digits": "۰۹۱۲۳۴۵۶۷۸۹",
    "arabic-indic digits": "٠٩١٢٣٤٥٦٧٨٩",
    "latin digits": "0912345678",
    "arabic letters": "علي كريمي",
    "zwnj": "می‌خواهم",
    "rtl override": "\u202eabc\u202c",
    "nul": "a\x00b",
    "invalid utf-8": INVALID_UTF8,
    "100 KB": "ب" * 51_200,
    "emoji": "😀🇮🇷",
    "template": "«{{7*7}}»",
    "sql": "' OR 1=1 --",
    "csv formula": '=HYPERLINK("http://evil.example","x")',
    "whitespace": " \t ",
    "cr lf": "a\r\nb",
    "huge number": "9" * 25,
    "negative number": "-3",
}
# Bad filenames and content types for every file field: (filename, content type, bytes)
FILES = {
    "dot-dot name": ("../../x.pdf", "application/pdf", PDF),
    "nul in name": ("a\x00.pdf", "application/pdf", PDF),
    "cr lf in name": ("a\r\nX-Evil: 1.pdf", "application/pdf", PDF),
    "persian name": ("اسکن شناسنامه.pdf", "application/pdf", PDF),
    "html as pdf": ("scan.pdf", "application/pdf", b"<html><script>alert(1)</script></html>"),
    "pdf as html": ("scan.html", "text/html", PDF + b"<html><script>alert(1)</script></html>"),
    "empty": ("empty.pdf", "application/pdf", b""),
}
PRINTABLE = {
    name
    for name, value in PAYLOADS.items()
    if isinstance(value, str) and value.strip() and value.isprintable() and name != "rtl override"
}
ENGLISH = re.compile(
    r"This field is required|Not a valid|Invalid|Field must|Internal Server Error|Bad Request|Request Entity|"
    r"[A-Za-z]{2,} [A-Za-z]{2,} [A-Za-z]{2,}"
)
PERSIAN_LETTER = re.compile("[\u0600-\u06ff]")
TEXT_TYPES = {"text", "search", "tel", "email", "number", "password", "date", "url", ""}
# Pages that are not HTML (downloads), forms that end the client's session, and whole-app rules not about input.
SKIP_PAGES = {"static", "account.download", "counter.day_xlsx", "public.language", "health.healthz", "account.dev_sms"}
SKIP_PAGES |= {"transparency.ranking_xlsx"}  # a binary file (issue 14 scores); its page's filters are read on /ranking
SKIP_ACTIONS = ("/account/sign-out",)


# --- reading pages ---------------------------------------------------------------------------------------------


class Forms(HTMLParser):
    """The page's forms (action, method, enctype, fields) and the query parameters of its links."""

    def __init__(self):
        super().__init__()
        self.forms, self.links, self._form, self._select, self._textarea = [], [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = {
                "action": a.get("action", ""),
                "method": a.get("method", "get").lower(),
                "enctype": a.get("enctype", ""),
                "fields": [],
            }
            self.forms.append(self._form)
        elif tag == "a" and "?" in a.get("href", ""):
            self.links.append(a["href"])
        elif tag == "option" and self._select is not None:
            if (self._select[1] is None and a.get("value")) or "selected" in a:
                self._select[1] = a.get("value", "")
        if self._form is None or not a.get("name"):
            return
        fields = self._form["fields"]
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button") and any(k == "submit" for _n, k, _v in fields):
                return  # the first button is the one pressed
            if kind in ("radio", "checkbox") and "checked" not in a and any(n == a["name"] for n, _k, _v in fields):
                return
            fields.append((a["name"], kind, a.get("value", "")))
        elif tag == "button" and a.get("type", "submit") == "submit":
            if not any(k == "submit" for _n, k, _v in fields):
                fields.append((a["name"], "submit", a.get("value", "")))
        elif tag == "select":
            self._select = [a["name"], None]
        elif tag == "textarea":
            fields.append((a["name"], "textarea", ""))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None and self._form is not None:
            self._form["fields"].append((self._select[0], "select", self._select[1] or ""))
            self._select = None


def _read(html):
    parser = Forms()
    parser.feed(html)
    return parser


# --- the corpus's world: the matrix's, with a form of every field type and a staff member to spare -----------

RICH_FORM = [
    {"name": "full_name", "type": "text", "label": "نام", "required": True, "max_length": 100},
    {"name": "story", "type": "textarea", "label": "شرح", "required": True, "max_length": 2000},
    {"name": "children", "type": "number", "label": "تعداد فرزندان", "required": True, "min": 0, "max": 20},
    {"name": "amount", "type": "amount", "label": "مبلغ", "required": False},
    {"name": "father_code", "type": "national_code", "label": "کد ملی پدر", "required": True},
    {"name": "phone", "type": "mobile", "label": "همراه", "required": True},
    {"name": "postal", "type": "postal_code", "label": "کد پستی", "required": True},
    {"name": "born", "type": "date", "label": "تاریخ تولد", "required": True},
    {"name": "reason", "type": "choice", "label": "علت", "required": True, "choices": [["lost", "گم شده"]]},
    {"name": "extras", "type": "multi_choice", "label": "موارد", "choices": [["a", "الف"], ["b", "ب"]]},
    {"name": "urgent", "type": "yes_no", "label": "فوری", "required": True},
    {"name": "home", "type": "address", "label": "نشانی", "required": True},
    {"name": "scan", "type": "file", "label": "اسکن", "required": True, "accept": ["pdf"]},
]


@pytest.fixture(scope="module")
def corpus(session_app, world, clients):
    """The targets found on every page: (role, url, fields, multipart) for forms, (role, path, names) for queries."""
    with session_app.app_context():
        agency = db.session.execute(db.select(f.Agency).filter_by(code=world["agency_a"])).scalar_one()
        rich = f.service(agency, code="76230099", title="خدمت با همهٔ نوع فیلدها", form=RICH_FORM)
        f.outsourcing(rich, provinces=("23",))
        office = db.session.execute(db.select(f.Office).filter_by(code=world["office_a"])).scalar_one()
        spare = f.staff(Role.CLERK, username="spare-clerk", office=office)
        ownership.register(f.national_code(7700), "09127700000")
        db.session.commit()
        ids = {**world, "staff_a": spare.public_id, "rich": rich.code}
    objects = _objects(ids)
    adapter = session_app.url_map.bind("localhost")
    pages = []  # (role, url)
    for endpoint, rows in sorted(MATRIX.items()):
        if endpoint in SKIP_PAGES:
            continue
        rule_args = next(r.arguments for r in session_app.url_map.iter_rules() if r.endpoint == endpoint)
        for key, tokens in sorted(rows.items()):
            method, variant = key.split(" ")
            if method != "GET" or variant == "B":
                continue
            expected = dict(zip(ROLES, tokens.split()))
            roles = [r for r in ROLES if expected[r] == "200"]
            if not roles:
                continue
            values = dict(objects[KINDS.get(endpoint, "none")][variant])
            query = values.pop("_query", None)
            url = adapter.build(endpoint, {**{name: values[name] for name in rule_args}, **(query or {})})
            # The page as the first role of each kind that may open it (anonymous, citizen, staff kinds differ).
            first: dict[str, str] = {}
            for role in roles:
                first.setdefault(role.split("_")[0], role)
            for role in first.values():
                pages.append((role, url))
    for role in ("cit_a", "clerk_a"):
        pages.append((role, "/services/76230099/apply" if role == "cit_a" else "/counter/file/76230099"))
    forms, queries = {}, {}
    for role, url in pages:
        limiter.reset()
        response = clients.get(role).get(url)
        assert response.status_code == 200, (role, url, response.status_code)
        page = _read(response.get_data(as_text=True))
        path = urlsplit(url).path
        for form in page.forms:
            action = form["action"] or url
            if any(action.startswith(skip) for skip in SKIP_ACTIONS):
                continue
            names = tuple(name for name, _k, _v in form["fields"])
            # Each form and query once, as the first role that found it (public ones as the anonymous visitor).
            if form["method"] == "get":
                queries.setdefault(urlsplit(action).path, (role, set()))[1].update(names)
            else:
                forms.setdefault((action, names), (role, action, form))
        for href in page.links:
            parts = urlsplit(href)
            if not parts.netloc and parts.path == path:
                names = {name for name, _v in parse_qsl(parts.query, keep_blank_values=True)}
                queries.setdefault(path, (role, set()))[1].update(names)
        queries.setdefault(path, (role, set()))[1].add("page")
    return {
        "forms": list(forms.values()),
        "queries": [(role, path, sorted(names)) for path, (role, names) in sorted(queries.items())],
        "paths": _path_targets(session_app, objects),
    }


def _path_targets(app, objects):
    """Every rule with URL arguments, each argument replaced by a placeholder the payload will take."""
    targets = []
    for rule in app.url_map.iter_rules():
        if not rule.arguments or rule.endpoint in ("static",):
            continue
        method = "GET" if "GET" in rule.methods else "POST"
        url = rule.rule
        for name in rule.arguments:
            url = re.sub(r"<(?:[^:<>]+:)?" + name + ">", "PAYLOAD", url)
        targets.append((method, url))
    return sorted(set(targets))


# --- sending -----------------------------------------------------------------------------------------------


def _body(fields, payload, files=None):
    """(data, content type) for a form: the payload in every text field, the page's own values elsewhere."""
    pairs, uploads = [], {}
    for name, kind, value in fields:
        if kind == "file":
            filename, content_type, content = files or ("scan.pdf", "application/pdf", PDF)
            uploads[name] = (filename, content_type, content)
        elif kind in TEXT_TYPES or kind == "textarea":
            pairs.append((name, payload))
        else:
            pairs.append((name, value))
    return pairs, uploads


def _encode(pairs):
    return "&".join(
        quote(name) + "=" + (quote_from_bytes(value) if isinstance(value, bytes) else quote(value))
        for name, value in pairs
    ).encode()


def _multipart(pairs, uploads):
    """A multipart body written by hand, so that a filename may carry NUL or CR/LF and a value raw bytes."""
    boundary = "corpusboundary7x"
    chunks = []
    for name, value in pairs:
        raw = value if isinstance(value, bytes) else value.encode()
        chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + raw + b"\r\n")
    for name, (filename, content_type, content) in uploads.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="'.encode()
        chunks.append(
            head + filename.encode() + f'"\r\nContent-Type: {content_type}\r\n\r\n'.encode() + content + b"\r\n"
        )
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


class Crashed:
    """The answer of a view that raised (the test app propagates exceptions): what a visitor sees as a 500."""

    status_code = 500
    mimetype = "text/plain"
    headers: dict = {}

    def __init__(self, error):
        self.error = error

    def get_data(self, as_text=False):
        return repr(self.error)


def _send(client, method, url, pairs=(), uploads=None, multipart=False):
    limiter.reset()
    if multipart or uploads:
        body, content_type = _multipart(pairs, uploads or {})
    else:
        body, content_type = _encode(pairs), "application/x-www-form-urlencoded"
    try:
        if method == "GET":
            return client.get(url)
        return client.post(url, data=body, content_type=content_type)
    except Exception as error:  # counted and reported as the 500 it is
        return Crashed(error)


def _problems(response, payload_name, payload, typed_into_text):
    """What is wrong with one answer, in words; empty when it is right."""
    status = response.status_code
    if status >= 500:
        return [
            f"answered {status}: {response.get_data(as_text=True)[:120]}"
            if isinstance(response, Crashed)
            else f"answered {status}"
        ]
    html = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
    found = []
    if "«49»" in html or "«۴۹»" in html:
        found.append("rendered {{7*7}} as 49")
    if status == 400 and html:
        messages = re.findall(r'class="(?:error-message|flash flash-error)"[^>]*>(.*?)</p>', html, re.S)
        messages += re.findall(r'<section class="panel error-page">.*?<h1>(.*?)</h1>\s*<p[^>]*>(.*?)</p>', html, re.S)
        texts = [m if isinstance(m, str) else " ".join(m) for m in messages]
        for text in texts:
            text = re.sub(r"<[^>]+>", "", text)
            if not PERSIAN_LETTER.search(text) or ENGLISH.search(text.replace(_plain(payload), "")):
                found.append(f"message not Persian: {text.strip()[:80]!r}")
        if not texts:
            found.append("400 without a message")
        if payload_name in PRINTABLE and typed_into_text and "error-message" in html:
            # As typed, or with its digits folded by a field that read the value and then refused the whole.
            if not any(str(escape(shown)) in html for shown in (payload, clean_text(payload), fold_digits(payload))):
                found.append("typed input not kept")
    return found


def _plain(payload):
    return payload if isinstance(payload, str) else ""


class Tally:
    """Counts cases and 500s across the corpus's tests, for the summary line."""

    cases = 0
    errors = 0


@pytest.mark.parametrize("payload_name", sorted(PAYLOADS))
def test_forms_refuse_bad_input_in_persian_without_500(corpus, clients, payload_name):
    payload = PAYLOADS[payload_name]
    wrong = []
    for role, url, form in corpus["forms"]:
        pairs, uploads = _body(form["fields"], payload)
        typed = any(kind in TEXT_TYPES - {"password"} or kind == "textarea" for _n, kind, _v in form["fields"])
        response = _send(clients.get(role), "POST", url, pairs, uploads, "multipart" in form["enctype"])
        Tally.cases += 1
        problems = _problems(response, payload_name, payload, typed)
        Tally.errors += response.status_code >= 500
        wrong += [f"POST {url} as {role}: {p}" for p in problems]
        if response.status_code == 302 and "sign-in" in response.headers.get("Location", ""):
            clients.forget(role)
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("payload_name", sorted(PAYLOADS))
def test_query_parameters_take_bad_input_without_500(corpus, clients, payload_name):
    payload = PAYLOADS[payload_name]
    wrong = []
    value = quote_from_bytes(payload) if isinstance(payload, bytes) else quote(payload)
    for role, path, names in corpus["queries"]:
        # A long value once per address (the first parameter), the others short: pages repeat their query in
        # every pager and filter link.
        query = "&".join(quote(n) + "=" + (value if i == 0 or len(value) < 1000 else "x") for i, n in enumerate(names))
        response = _send(clients.get(role), "GET", f"{path}?{query}")
        Tally.cases += 1
        Tally.errors += response.status_code >= 500
        wrong += [
            f"GET {path}?{'&'.join(names)} as {role}: {p}" for p in _problems(response, payload_name, payload, False)
        ]
    assert not wrong, "\n".join(wrong)


PATH_ROLES = ("anon", "cit_a", "clerk_a", "off_a", "nadm")
PATH_PAYLOADS = {"nul": "%00", "invalid utf-8": "%FF%FE", "rtl override": quote("\u202e"), "cr lf": "%0D%0A"}


@pytest.mark.parametrize("payload_name", sorted(PATH_PAYLOADS))
def test_url_arguments_take_bad_input_without_500(corpus, clients, payload_name):
    wrong = []
    for method, url in corpus["paths"]:
        for role in PATH_ROLES:
            response = _send(clients.get(role), method, url.replace("PAYLOAD", PATH_PAYLOADS[payload_name]))
            Tally.cases += 1
            Tally.errors += response.status_code >= 500
            wrong += [f"{method} {url} as {role}: {p}" for p in _problems(response, payload_name, "", False)]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("file_name", sorted(FILES))
def test_odd_uploads_are_refused_or_kept_without_500(corpus, clients, file_name):
    wrong = []
    for role, url, form in corpus["forms"]:
        if not any(kind == "file" for _n, kind, _v in form["fields"]):
            continue
        pairs, uploads = _body(form["fields"], "۱", files=FILES[file_name])
        response = _send(clients.get(role), "POST", url, pairs, uploads, True)
        Tally.cases += 1
        Tally.errors += response.status_code >= 500
        wrong += [f"POST {url} as {role}: {p}" for p in _problems(response, file_name, "", False)]
    assert not wrong, "\n".join(wrong)


def test_corpus_covers_the_app(corpus):
    """The corpus reaches every kind of form; the summary says how many cases ran and how many answered 500."""
    actions = {url for _role, url, _form in corpus["forms"]}
    uploads = sum(any(kind == "file" for _n, kind, _v in form["fields"]) for _r, _u, form in corpus["forms"])
    size = (
        (len(corpus["forms"]) + len(corpus["queries"])) * len(PAYLOADS)
        + len(corpus["paths"]) * len(PATH_ROLES) * len(PATH_PAYLOADS)
        + uploads * len(FILES)
    )
    print(
        f"bad-input corpus: {len(corpus['forms'])} forms, {len(corpus['queries'])} query targets, "
        f"{len(corpus['paths'])} URL rules; {size} cases; {Tally.cases} sent in this run, {Tally.errors} answered 500"
    )
    assert size >= 150
    for expected in ("/account/sign-in", "/staff/sign-in", "/services/76230099/apply", "/track", "/admin/agencies/new"):
        assert any(a.split("?")[0] == expected for a in actions), f"no form posting to {expected}: {sorted(actions)}"
