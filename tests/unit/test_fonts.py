"""The served Vazirmatn subsets: every character the pages can show is in them, Arabic script still shapes, and they
are what bin/subset-fonts makes from the vendored fonts (so nobody hand-edits a binary)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parents[2]
FONTS = sorted((ROOT / "app" / "static" / "fonts").glob("Vazirmatn-*.woff2"))
# Vazirmatn has no arrows at all: the links that use them («← بازگشت») take them from the system font.
NOT_IN_VAZIRMATN = {"←", "→"}
# Characters a page may show that no template or message holds: what citizens type (names, addresses) and
# the digits the app writes (Persian on Persian pages, Latin on English ones, Arabic-Indic when typed so).
TYPED = set("ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیآأإؤئءةيكىٱۀ") | set("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩0123456789") | {"\u200c"}


def strings_of(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_of(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_of(item)


def characters_shown():
    """Every character of the translations (both sides), the templates and the demo data, whitespace aside."""
    text = []
    for po in (ROOT / "translations").glob("*/LC_MESSAGES/messages.po"):
        with po.open("rb") as handle:
            for message in read_po(handle):
                for part in (message.id, message.string):
                    text.extend([part] if isinstance(part, str) else list(part or ()))
    text.extend(p.read_text() for p in (ROOT / "app").rglob("*.html"))
    for data in (ROOT / "app" / "demo").glob("*.json"):
        text.extend(strings_of(json.loads(data.read_text())))
    return {c for c in "".join(text) if not c.isspace() or c == "\u00a0"} | TYPED


@pytest.fixture(scope="module", params=[p.name for p in FONTS])
def cmap(request):
    return TTFont(ROOT / "app" / "static" / "fonts" / request.param).getBestCmap()


def test_both_weights_are_served_with_their_licence():
    assert [p.name for p in FONTS] == ["Vazirmatn-Bold-33.0.3.woff2", "Vazirmatn-Regular-33.0.3.woff2"]
    assert "SIL OPEN FONT LICENSE Version 1.1" in (ROOT / "app" / "static" / "fonts" / "OFL.txt").read_text()


def test_subset_has_every_character_of_the_translations_templates_and_demo_catalogue(cmap):
    missing = sorted(c for c in characters_shown() - NOT_IN_VAZIRMATN if ord(c) not in cmap)
    assert missing == [], [f"U+{ord(c):04X} {c}" for c in missing]


def test_subset_keeps_the_persian_letters_digits_and_zwnj(cmap):
    for c in "پچژکگیۀ" + "۰۱۲۳۴۵۶۷۸۹" + "٠١٢٣٤٥٦٧٨٩" + "0123456789" + "«»،؛؟" + "\u200c" + "AZaz@-/":
        assert ord(c) in cmap, f"U+{ord(c):04X} {c}"


def test_subset_is_much_smaller_than_the_full_font():
    for font in FONTS:
        full = ROOT / "vendor" / "fonts" / font.name
        assert font.stat().st_size < full.stat().st_size / 2, (font.name, font.stat().st_size, full.stat().st_size)


@pytest.mark.parametrize("name", [p.name for p in FONTS])
def test_subset_still_shapes_arabic_script(name):
    font = TTFont(ROOT / "app" / "static" / "fonts" / name)
    gsub = {r.FeatureTag for r in font["GSUB"].table.FeatureList.FeatureRecord}
    gpos = {r.FeatureTag for r in font["GPOS"].table.FeatureList.FeatureRecord}
    assert {"init", "medi", "fina", "rlig"} <= gsub, gsub
    assert {"mark", "mkmk"} <= gpos, gpos
    # The joining forms are reached through GSUB, not the cmap: beh has an initial, a medial and a final glyph.
    beh = font.getBestCmap()[ord("ب")]
    lookups = font["GSUB"].table.LookupList.Lookup
    for tag in ("init", "medi", "fina"):
        forms = set()
        for record in font["GSUB"].table.FeatureList.FeatureRecord:
            if record.FeatureTag == tag:
                for index in record.Feature.LookupListIndex:
                    for table in lookups[index].SubTable:
                        table = getattr(table, "ExtSubTable", table)
                        forms.add(getattr(table, "mapping", {}).get(beh))
        assert forms - {None, beh}, (tag, forms)


def test_served_subsets_are_what_bin_subset_fonts_makes():
    result = subprocess.run(
        [sys.executable, str(ROOT / "bin" / "subset-fonts"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
