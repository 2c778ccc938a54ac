"""safe_next: a `next` address is followed only when no browser could read it as another host."""

from urllib.parse import unquote, urljoin, urlsplit

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from app.core.security import safe_next

DEFAULT = "/landing"
SITE = "https://panjereh.example/account/"


def _as_a_browser_reads_it(value):
    """The address a WHATWG URL parser would go to from a page of ours: it strips leading and trailing C0
    controls and spaces, drops every tab, CR and LF, and reads a backslash as a slash in http(s) URLs."""
    value = value.strip("".join(chr(c) for c in range(0x21)))
    value = value.replace("\t", "").replace("\r", "").replace("\n", "").replace("\\", "/")
    return urljoin(SITE, value)


def _stays_on_the_site(value):
    # Also once and twice decoded: a proxy or a second redirect may decode the address again on the way.
    for form in (value, unquote(value), unquote(unquote(value))):
        parts = urlsplit(_as_a_browser_reads_it(form))
        if (parts.scheme, parts.netloc) != ("https", "panjereh.example"):
            return False
    return True


@pytest.mark.parametrize(
    "target",
    [
        "/%09/evil.example",
        "/\t/evil.example",
        "/%0d%0a/evil.example",
        "/%2509/evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/%5Cevil.example",
        "//evil.example",
        "/%2F/evil.example",
        "https://evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/desk/\r\nSet-Cookie: a=b",
        "/desk/\x00",
        " /desk/",
        "",
        None,
        "/" + "a" * 2001,
    ],
)
def test_reported_and_neighbouring_tricks_fall_back_to_the_default(target):
    assert safe_next(target, DEFAULT) == DEFAULT


@pytest.mark.parametrize(
    "target",
    [
        "/desk/",
        "/requests/PJ-1234-5678?tab=files#messages",
        "/search?q=%D8%AB%D8%A8%D8%AA+%D9%86%D8%A7%D9%85",
        "/search?q=ثبت نام",
        "/services/a:b",
        "/a//b",
    ],
)
def test_paths_on_this_site_are_followed_unchanged(target):
    assert safe_next(target, DEFAULT) == target


# Pieces an attacker would put together: slashes, backslashes, percent-escapes of tab, slash, backslash and "%".
PIECES = list("/\\%:@.?#aeF05C29dD \t\r\n\x00\x0b") + ["%09", "%2F", "%5C", "%25", "%0a", "//"]
TRICKY = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)


@given(st.one_of(st.text(), TRICKY, TRICKY.map(lambda tail: "/" + tail)))
@example("/%09/evil.example")
@example("/%25%30%39/evil.example")
def test_whatever_is_followed_stays_on_the_site_and_is_a_valid_header(target):
    result = safe_next(target, DEFAULT)
    assert result in (DEFAULT, target)
    assert _stays_on_the_site(result)
    assert "\r" not in result and "\n" not in result and "\x00" not in result
