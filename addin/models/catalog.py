"""Configuration as code: providers and feature assignments declared in a TOML file.

``load_catalog`` parses and checks the whole file before anything is applied, and every
complaint is a :class:`ConfigError` reading ``"<path>:<line>: <reason>"`` so an admin can jump
to it. tomllib gives positions only for syntax errors, so :class:`Locator` finds the line of
a table header or a ``key =`` line by a light scan of the text. Secrets must be references
(``env:NAME``): a key written in clear is refused, and never repeated in a message.

The built-in ``local`` provider (the offline engine) is always in the catalog; a
``[providers.local]`` table may change its fields, not its kind. ``apply`` writes a catalog
into the store at start-up; ``ensure_defaults`` makes sure every feature is served.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NoReturn, Protocol, cast

from ..errors import ConfigError
from . import registry
from .base import Assignment, ProviderEntry
from .secrets import is_secret_key, is_secret_reference
from .selector import LOCAL

KNOWN_FEATURES: tuple[str, ...] = ("summarize", "analyze")
_TOP_LEVEL = ("providers", "features")
_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")

# field → (accepted types, what to call them); bool is refused where a number is expected.
_STR = ((str,), "a string")
_NUM = ((int, float), "a number")
_INT = ((int,), "a whole number")
_BOOL = ((bool,), "true or false")
_PROVIDER_FIELDS: dict[str, tuple[tuple[type, ...], str]] = {
    "kind": _STR, "model": _STR, "endpoint": _STR, "secret": _STR, "in_house": _BOOL,
    "region": _STR, "price_in_per_mtok": _NUM, "price_out_per_mtok": _NUM,
    "context_window": _INT, "timeout_s": _NUM, "enabled": _BOOL,
}
_ALIASES = {"base_url": "endpoint", "api_key": "secret"}
ALIASES: Mapping[str, str] = _ALIASES  # other names accepted for a provider field
_FEATURE_FIELDS: dict[str, tuple[tuple[type, ...], str]] = {
    "primary": _STR, "fallbacks": ((list,), "a list of provider ids"), "temperature": _NUM,
    "max_output_tokens": _INT, "confidential": _BOOL,
}
# (field, lowest allowed, whether the bound itself is allowed, highest allowed)
# Highs keep values inside what the store and the HTTP clients take (64-bit integers, finite
# costs, a socket timeout) and far above any real model.
_MAX_TOKENS, _MAX_PRICE, _MAX_TIMEOUT_S = 1_000_000_000, 1_000_000.0, 86_400.0
_BOUNDS: dict[str, tuple[float, bool, float | None]] = {
    "price_in_per_mtok": (0, True, _MAX_PRICE), "price_out_per_mtok": (0, True, _MAX_PRICE),
    "context_window": (0, True, _MAX_TOKENS), "timeout_s": (0, False, _MAX_TIMEOUT_S),
    "temperature": (0, True, 2.0), "max_output_tokens": (0, False, _MAX_TOKENS),
}
@dataclass(frozen=True, slots=True)
class Catalog:
    providers: tuple[ProviderEntry, ...]
    assignments: tuple[Assignment, ...]


class ConfigStore(Protocol):
    """What ``apply`` and ``ensure_defaults`` need of :class:`addin.store.Store`."""

    def provider(self, provider_id: str) -> ProviderEntry | None: ...
    def upsert_provider(self, entry: ProviderEntry) -> None: ...
    def assignments(self) -> dict[str, Assignment]: ...
    def set_assignment(self, assignment: Assignment) -> None: ...


# --- where things are in the text -------------------------------------------------------

_PART = r"""[A-Za-z0-9_-]+|"(?:[^"\\\n]|\\.)*"|'[^'\n]*'"""
_KEY = rf"\s*(?:{_PART})\s*(?:\.\s*(?:{_PART})\s*)*"
_HEADER = re.compile(rf"\s*\[\[?({_KEY})\]\]?\s*(?:#.*)?$")
_ASSIGN = re.compile(rf"({_KEY})=")
_PARTS = re.compile(_PART)


def _key_parts(key: str) -> tuple[str, ...]:
    """``a."b.c".'d'`` → ``("a", "b.c", "d")``."""
    parts = []
    for raw in _PARTS.findall(key):
        if raw.startswith('"'):
            parts.append(tomllib.loads(f"k = {raw}")["k"])
        else:
            parts.append(raw.strip("'"))
    return tuple(parts)


def _scan_value(text: str, depth: int) -> tuple[int, str | None]:
    """Bracket depth after ``text``, and the delimiter of a multi-line string left open."""
    i = 0
    while i < len(text):
        char = text[i]
        if char == "#":
            break
        if text.startswith(('"""', "'''"), i):
            end = text.find(text[i:i + 3], i + 3)
            if end < 0:
                return depth, text[i:i + 3]
            i = end + 3
            continue
        if char in "\"'":
            match = re.compile(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'').match(text, i)
            i = match.end() if match else len(text)
            continue
        depth += (char in "[{") - (char in "]}")
        i += 1
    return max(depth, 0), None


class Locator:
    """Line numbers of table headers and keys in a TOML text, by key path.

    ``line("providers", "claude", "kind")`` is the line of ``kind =`` in ``[providers.claude]``
    (or of a dotted ``claude.kind =`` under ``[providers]``); a path that is not found falls
    back to its closest known parent, then to line 1. Multi-line strings and arrays are
    skipped so their contents are never mistaken for keys.
    """

    def __init__(self, text: str) -> None:
        self._lines: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        depth, closing = 0, None
        for number, line in enumerate(text.splitlines(), start=1):
            rest = line
            if closing is not None:
                end = line.find(closing)
                if end < 0:
                    continue
                rest, closing = line[end + 3:], None
            elif depth == 0 and (header := _HEADER.match(line)):
                table = _key_parts(header.group(1))
                self._record(table, number)
                continue
            elif depth == 0 and (assign := _ASSIGN.match(line)):
                self._record(table + _key_parts(assign.group(1)), number)
                rest = line[assign.end():]
            depth, closing = _scan_value(rest, depth)

    def _record(self, path: tuple[str, ...], number: int) -> None:
        for size in range(1, len(path) + 1):
            self._lines.setdefault(path[:size], number)

    def line(self, *path: str) -> int:
        for size in range(len(path), 0, -1):
            if path[:size] in self._lines:
                return self._lines[path[:size]]
        return 1


# --- checking ---------------------------------------------------------------------------

class _Checker:
    """Raises ConfigErrors located in one file."""

    def __init__(self, path: Path | None = None, text: str = "") -> None:
        self.path = path  # None: checking a mapping (the admin API), not a file
        self.locate = Locator(text)

    def fail(self, where: Sequence[str], reason: str) -> NoReturn:
        if self.path is None:
            raise ConfigError(reason)
        raise ConfigError(f"{self.path}:{self.locate.line(*where)}: {reason}")

    def typed(self, where: Sequence[str], value: Any,
              spec: tuple[tuple[type, ...], str]) -> Any:
        types, label = spec
        if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
            self.fail(where, f"{where[-1]} must be {label}, not {_toml_type(value)}")
        if isinstance(value, int | float) and not _finite(value):
            self.fail(where, f"{where[-1]} must be a finite number")
        if where[-1] in _BOUNDS:
            low, inclusive, high = _BOUNDS[where[-1]]
            self.bounded(where, cast(float, value), low, inclusive, high)
        return value

    def bounded(self, where: Sequence[str], value: float, low: float, inclusive: bool,
                high: float | None) -> None:
        if value < low or (value == low and not inclusive):
            self.fail(where, f"{where[-1]} must be {'at least' if inclusive else 'above'} "
                             f"{low:g}, not {value}")
        if high is not None and value > high:
            self.fail(where, f"{where[-1]} must be at most {high:g}, not {value}")

    def table(self, where: Sequence[str], value: Any, what: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(where, f"{what} must be a table, not {_toml_type(value)}")
        return value


def _finite(value: float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


def _toml_type(value: Any) -> str:
    names = {bool: "a boolean", str: "a string", int: "an integer", float: "a float",
             list: "an array", dict: "a table"}
    return names.get(type(value), type(value).__name__)


def _hint(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _parse_toml(path: Path) -> tuple[dict[str, Any], str]:
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration file: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[:exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{line}: the file is not UTF-8 text") from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        at = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
        if at:
            reason = f"{message[:at.start()]} (column {at.group(2)})"
            line = int(at.group(1))
        else:
            reason = re.sub(r"\s*\(at end of document\)$", " at the end of the file", message)
            line = max(text.count("\n") + (not text.endswith("\n")), 1)
        raise ConfigError(f"{path}:{line}: TOML syntax error: {reason}") from None


def _check_secret(check: _Checker, where: Sequence[str], value: Any, provider_id: str) -> None:
    if isinstance(value, str) and is_secret_reference(value):
        return
    variable = re.sub(r"\W", "_", f"{provider_id}_{where[-1]}").upper()
    check.fail(where, f"provider {provider_id!r}: {where[-1]} must be a reference, not a key "
                      f"in clear: put the key in an environment variable and write "
                      f"env:NAME (e.g. env:{variable})")


def _provider(check: _Checker, provider_id: str, table: dict[str, Any]) -> ProviderEntry:
    """One ``[providers.<id>]`` table → a ProviderEntry (unknown keys become options)."""
    at = ("providers", provider_id)
    if not _ID.fullmatch(provider_id):
        check.fail(at, f"provider id {provider_id!r} may use only letters, digits, '_', '-', '.'")
    fields: dict[str, Any] = {}
    options: dict[str, Any] = {}
    for key, value in table.items():
        if is_secret_key(key):
            _check_secret(check, (*at, key), value, provider_id)
        name = _ALIASES.get(key, key)
        if name in fields:
            check.fail((*at, key), f"provider {provider_id!r}: {key} repeats {name}; give one")
        if name in _PROVIDER_FIELDS:
            fields[name] = check.typed((*at, key), value, _PROVIDER_FIELDS[name])
        else:
            options[key] = value
    if provider_id == LOCAL.id:
        if fields.setdefault("kind", LOCAL.kind) != LOCAL.kind:
            check.fail((*at, "kind"), "the built-in provider 'local' is always of kind 'local'")
        entry = replace(LOCAL, **fields)
    else:
        if "kind" not in fields:
            check.fail(at, f"provider {provider_id!r} needs a kind{_known_kinds()}")
        entry = ProviderEntry(id=provider_id, **fields)
    entry = replace(entry, options=options)
    _check_kind(check, entry, table)
    return entry


def _known_kinds() -> str:
    return f" (known kinds: {', '.join(sorted(registry.KINDS))})"


def _named_option(message: str, keys: Iterable[str]) -> str:
    """The key a registry message is about: the first one quoted in it, else named in it."""
    def first(pattern: str) -> str:
        found = [(m.start(), key) for key in keys if (m := re.search(pattern % re.escape(key),
                                                                     message))]
        return min(found)[1] if found else ""
    return first(r"['\"]%s['\"]") or first(r"\b%s\b")


def _check_kind(check: _Checker, entry: ProviderEntry, table: Mapping[str, Any]) -> None:
    """The kind is known and, when the registry can tell, its options are right."""
    at = ("providers", entry.id)
    if entry.kind not in registry.KINDS:
        check.fail((*at, "kind"), f"Provider {entry.id!r} has unknown kind {entry.kind!r}. "
                                  f"Known kinds: {', '.join(sorted(registry.KINDS))}.")
    validate = getattr(registry, "validate", None)
    fields = [*_PROVIDER_FIELDS, *_ALIASES]
    if validate is None:  # no option is known: every extra key is a mistake
        for key in entry.options:
            check.fail((*at, key), f"provider {entry.id!r}: unknown key {key!r}"
                                   f"{_hint(key, fields)}")
    else:
        try:
            validate(entry)
        except (ConfigError, ValueError) as exc:
            message, key = str(exc), _named_option(str(exc), table)
            close = difflib.get_close_matches(key, fields, n=1) if key in entry.options else []
            if close and "did you mean" not in message.lower():
                message += f" Did you mean {close[0]!r}?"
            check.fail((*at, key) if key else at, message)
    if entry.kind != LOCAL.kind and not entry.model:  # after the options: a typo explains it
        check.fail(at, f"provider {entry.id!r} needs a model")


def _feature(check: _Checker, name: str, table: dict[str, Any],
             providers: Mapping[str, ProviderEntry]) -> Assignment:
    """One ``[features.<name>]`` table → an Assignment naming declared providers only."""
    at = ("features", name)
    for key, value in table.items():
        if key not in _FEATURE_FIELDS:
            check.fail((*at, key), f"feature {name!r}: unknown key {key!r}"
                                   f"{_hint(key, _FEATURE_FIELDS)}")
        check.typed((*at, key), value, _FEATURE_FIELDS[key])
    assignment = Assignment(feature=name, **{**table, "fallbacks": ()})
    chain = [("primary", assignment.primary)]
    for fallback in table.get("fallbacks", []):
        if not isinstance(fallback, str):
            check.fail((*at, "fallbacks"), f"fallbacks must list provider ids (strings), "
                                           f"not {_toml_type(fallback)}")
        chain.append(("fallbacks", fallback))
    seen: set[str] = set()
    for key, provider_id in chain:
        if provider_id not in providers:
            check.fail((*at, key), f"feature {name!r} names unknown provider {provider_id!r}"
                                   f"{_hint(provider_id, providers)}")
        if provider_id in seen:
            check.fail((*at, key), f"feature {name!r} lists provider {provider_id!r} twice")
        seen.add(provider_id)
        if assignment.confidential and not providers[provider_id].in_house:
            check.fail((*at, key), f"feature {name!r} is confidential but provider "
                                   f"{provider_id!r} is not in-house")
    return replace(assignment, fallbacks=tuple(p for _, p in chain[1:]))


def check_provider(provider_id: str, fields: Mapping[str, Any]) -> ProviderEntry:
    """One provider from a mapping (e.g. the admin API's JSON), checked exactly as a
    ``[providers.<id>]`` table is; ConfigError with the reason (no file, no line)."""
    return _provider(_Checker(), provider_id, dict(fields))


def check_assignment(feature: str, fields: Mapping[str, Any],
                     providers: Mapping[str, ProviderEntry]) -> Assignment:
    """One assignment from a mapping, checked exactly as a ``[features.<name>]`` table is
    against ``providers``; ConfigError with the reason (no file, no line)."""
    return _feature(_Checker(), feature, dict(fields), providers)


def load_catalog(path: str | Path, features: Sequence[str] = KNOWN_FEATURES) -> Catalog:
    """Parse and check a configuration file; ConfigError ``"<path>:<line>: <reason>"``."""
    path = Path(path)
    data, text = _parse_toml(path)
    check = _Checker(path, text)
    for key, value in data.items():
        if key not in _TOP_LEVEL:
            what = f"table [{key}]" if isinstance(value, dict) else f"key {key!r}"
            check.fail((key,), f"unknown {what}{_hint(key, _TOP_LEVEL)}; "
                               f"expected [providers.<id>] and [features.<name>] tables")
    declared = check.table(("providers",), data.get("providers", {}), "providers")
    providers = {LOCAL.id: LOCAL}
    for provider_id, table in declared.items():
        at = ("providers", provider_id)
        providers[provider_id] = _provider(
            check, provider_id, check.table(at, table, f"provider {provider_id!r}"))
    assignments = []
    for name, table in check.table(("features",), data.get("features", {}), "features").items():
        at = ("features", name)
        if name not in features:
            check.fail(at, f"unknown feature {name!r}{_hint(name, features)}; "
                           f"known features: {', '.join(features)}")
        assignments.append(_feature(check, name, check.table(at, table, f"feature {name!r}"),
                                    providers))
    return Catalog(providers=tuple(providers.values()), assignments=tuple(assignments))


# --- into the store ---------------------------------------------------------------------

def apply(catalog: Catalog, store: ConfigStore) -> None:
    """Write the catalog into the store: the file wins for its ids; other rows stay.

    Rows already equal to the file are not rewritten, so restarting with the same file does
    not change the store's revision (and every worker's cache stays valid).
    """
    for entry in catalog.providers:
        if store.provider(entry.id) != entry:
            store.upsert_provider(entry)
    current = store.assignments()
    for assignment in catalog.assignments:
        if current.get(assignment.feature) != assignment:
            store.set_assignment(assignment)


def ensure_defaults(store: ConfigStore, features: Sequence[str] = KNOWN_FEATURES) -> None:
    """The ``local`` provider exists, and every feature without an assignment uses it."""
    if store.provider(LOCAL.id) is None:
        store.upsert_provider(LOCAL)
    current = store.assignments()
    for feature in features:
        if feature not in current:
            store.set_assignment(Assignment(feature=feature, primary=LOCAL.id))
