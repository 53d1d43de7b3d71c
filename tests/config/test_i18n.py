"""French is the default and English is complete: every word a template
shows goes through the translation catalogue, and the French catalogue
translates every message (locale/fr/LC_MESSAGES/django.po, compiled)."""

import re
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = [ROOT / app / "templates" for app in ("catalog", "tenders", "broker", "config")]
CATALOGUE = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"

# Words that are the same in both languages: names, codes, units, symbols.
SAME_IN_BOTH = {
    "Guichet Cloud",
    "République",
    "Française",
    "République Française",
    "API",
    "OCDS",
    "DECP",
    "JSON",
    "CSV",
    "HT",
    "TTC",
    "SHA-256",
    "SIREN",
    "SIRET",
    "PDF",
    "Etalab",
    "RGAA",
    "CPV",
    "SecNumCloud",
    "HDS",
    "Français",
    "English",
    "htmx",
    "Europe/Paris",
    # The language switch names each language in that language (RGAA 8.7).
    "Afficher le site en français",
    "Show the site in English",
    "N0",
    "N1",
    "N2",
    "N3",
    "N4",
    "EUR",
    "€",
    "%",
    "OK",
    "ID",
    "URL",
    "E-mail",
    "e-mail",
}

COMMENT = re.compile(r"{#.*?#}|{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", re.S)
NON_TEXT = re.compile(r"<script\b.*?</script>|<style\b.*?</style>|<!--.*?-->", re.S | re.I)
TRANSLATED_BLOCK = re.compile(
    r"{%\s*blocktrans(?:late)?\b.*?{%\s*endblocktrans(?:late)?\s*%}", re.S
)
TAG = re.compile(r"{%.*?%}|{{.*?}}", re.S)
VISIBLE_ATTRIBUTE = re.compile(
    r"""\b(?:title|alt|placeholder|aria-label)\s*=\s*(["'])(.*?)\1""", re.S
)
HTML_TAG = re.compile(r"<[^>]*>", re.S)
WORD = re.compile(r"[^\W\d_]{2,}")
ENTITY_OR_PATH = re.compile(r"&[a-z]+;|&#\d+;|\S*/\S*")


def _templates():
    for directory in TEMPLATE_DIRS:
        yield from sorted(p for p in directory.rglob("*.html") if "email" not in p.name)


def _literal_text(source: str) -> list[str]:
    source = NON_TEXT.sub(" ", COMMENT.sub(" ", source))
    source = TRANSLATED_BLOCK.sub(" ", source)
    leftovers = []
    for _quote, value in VISIBLE_ATTRIBUTE.findall(source):
        leftovers.append(TAG.sub(" ", value))
    text = HTML_TAG.sub(" ", TAG.sub(" ", source))
    leftovers.extend(text.splitlines())
    found = []
    for chunk in leftovers:
        chunk = " ".join(ENTITY_OR_PATH.sub(" ", chunk).split())
        for same in sorted(SAME_IN_BOTH, key=len, reverse=True):
            chunk = chunk.replace(same, " ")
        if WORD.search(chunk):
            found.append(chunk.strip())
    return found


@pytest.mark.parametrize("template", list(_templates()), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_word_of_a_template_goes_through_the_catalogue(template):
    assert _literal_text(template.read_text()) == []


def test_the_french_catalogue_translates_every_message():
    catalogue = polib.pofile(str(CATALOGUE))
    missing = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert (missing, fuzzy) == ([], [])


def test_the_compiled_catalogue_is_the_current_one():
    catalogue = polib.pofile(str(CATALOGUE))
    compiled = polib.mofile(str(CATALOGUE.with_suffix(".mo")))

    def entries(source):
        return {
            (e.msgctxt, e.msgid): (
                e.msgstr,
                tuple(sorted((int(k), v) for k, v in e.msgstr_plural.items())),
            )
            for e in source
            if e.msgid and not e.obsolete and "fuzzy" not in e.flags
        }

    assert entries(compiled) == entries(catalogue)


def test_the_scan_finds_words_left_outside_the_catalogue():
    source = (
        '<h1>{% translate "Tenders" %}</h1><p title="Aide">Appels publiés</p>'
        '{% blocktranslate %}Fine {{ n }}{% endblocktranslate %}<a href="/x/y/">{{ name }}</a>'
    )
    assert _literal_text(source) == ["Aide", "Appels publiés"]


# --------------------------------------------------------------------------
# The services' refusals reach the user as form errors and API messages: each
# message goes through gettext, so a French page never shows an English one.

ERROR_CALLS = {
    "CatalogError",
    "TenderError",
    "BrokerError",
    "DomainError",
    "UnsafeUrl",
    "_invalid",
    "_forbidden",
    "_conflict",
}
# Helpers that pass on a message they were given (already translated).
PASSED_ON = {"message", "missing", "exc.message"}


def _untranslated_error_messages(source: str) -> list[str]:
    import ast

    def translated(node) -> bool:
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            return translated(node.left)
        if isinstance(node, ast.IfExp):
            return translated(node.body) and translated(node.orelse)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return node.func.id in ("_", "gettext", "ngettext") or (
                node.func.id == "str" and ast.unparse(node.args[0]) == "exc"
            )
        return ast.unparse(node) in PASSED_ON

    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name not in ERROR_CALLS:
            continue
        message = node.args[1] if name == "_invalid" and len(node.args) > 1 else node.args[0]
        if not translated(message):
            found.append(f"line {node.lineno}: {ast.unparse(message)[:80]}")
    return found


def _modules(path: str) -> list[str]:
    """The module, or every module of the package it was split into."""
    package = ROOT / path.removesuffix(".py")
    if package.is_dir():
        return sorted(p.relative_to(ROOT).as_posix() for p in package.glob("*.py"))
    return [path]


@pytest.mark.parametrize(
    "module",
    [
        module
        for path in (
            "catalog/services.py",
            "tenders/services.py",
            "broker/services.py",
            "broker/webhooks.py",
            "catalog/api.py",
            "tenders/api.py",
            "tenders/sourcing_export.py",
        )
        for module in _modules(path)
    ],
)
def test_every_refusal_of_a_service_is_translated(module):
    # A module split into a package is read whole, module by module.
    path = ROOT / module
    sources = [path] if path.exists() else sorted(path.with_suffix("").rglob("*.py"))
    assert sources, module
    assert [
        f"{source.relative_to(ROOT)} {found}"
        for source in sources
        for found in _untranslated_error_messages(source.read_text())
    ] == []


def test_the_refusal_scan_catches_a_plain_string():
    assert _untranslated_error_messages(
        'raise TenderError(f"No {x}.")\nraise _invalid("f", _("Ok."))'
    ) == ["line 1: f'No {x}.'"]
