"""Every bokmål message has its nynorsk and English translations, with the same placeholders."""
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["lms", "catalog", "events", "lighthouse"]
#: The languages translated from bokmål, the source.
LOCALES = ["nn", "en"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def _catalog(package, locale):
    with open(ROOT / package / "translations" / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("package", PACKAGES)
def test_every_message_is_translated(package, locale):
    catalog = _catalog(package, locale)
    assert not catalog.fuzzy, "the catalogue as a whole is marked fuzzy: pybabel compile would skip it"
    missing = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            missing.append(ids[0])
            continue
        for source, translated in zip(ids * 2, strings):
            if set(PLACEHOLDER.findall(source)) != set(PLACEHOLDER.findall(translated)):
                missing.append(f"{ids[0]} (placeholders differ)")
    assert not missing, missing


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("package", PACKAGES)
def test_catalogue_holds_every_message_in_the_code(package, locale):
    """A new string in the code needs `make messages` and a translation."""
    in_code = {msg[2] if isinstance(msg[2], str) else msg[2][0]
               for msg in extract_from_dir(str(ROOT / package), METHODS, keywords=KEYWORDS)}
    in_catalog = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalog(package, locale) if m.id}
    assert not in_code - in_catalog, sorted(in_code - in_catalog)
