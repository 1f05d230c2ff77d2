"""Excel number formats: the built-in codes and what a code says about its values.

A format code decides whether a number is shown as a percentage, an amount of money, a
date or a time; calamine turns date-formatted numbers into dates itself but says nothing
about the rest, so the readers classify codes here.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

FormatKind = Literal["general", "number", "percent", "currency", "date", "time", "text"]

# ECMA-376 Part 1, 18.8.30 (en-US rendering of the locale-dependent ones).
_BUILTIN: dict[int, str] = {
    0: "General", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00",
    5: '"$"#,##0_);("$"#,##0)', 6: '"$"#,##0_);[Red]("$"#,##0)',
    7: '"$"#,##0.00_);("$"#,##0.00)', 8: '"$"#,##0.00_);[Red]("$"#,##0.00)',
    9: "0%", 10: "0.00%", 11: "0.00E+00", 12: "# ?/?", 13: "# ??/??",
    14: "mm-dd-yy", 15: "d-mmm-yy", 16: "d-mmm", 17: "mmm-yy", 18: "h:mm AM/PM",
    19: "h:mm:ss AM/PM", 20: "h:mm", 21: "h:mm:ss", 22: "m/d/yy h:mm",
    37: "#,##0 ;(#,##0)", 38: "#,##0 ;[Red](#,##0)", 39: "#,##0.00;(#,##0.00)",
    40: "#,##0.00;[Red](#,##0.00)",
    41: '_(* #,##0_);_(* \\(#,##0\\);_(* "-"_);_(@_)',
    42: '_("$"* #,##0_);_("$"* \\(#,##0\\);_("$"* "-"_);_(@_)',
    43: '_(* #,##0.00_);_(* \\(#,##0.00\\);_(* "-"??_);_(@_)',
    44: '_("$"* #,##0.00_);_("$"* \\(#,##0.00\\);_("$"* "-"??_);_(@_)',
    45: "mm:ss", 46: "[h]:mm:ss", 47: "mmss.0", 48: "##0.0E+0", 49: "@",
}
# Ids whose code depends on the locale and that no table above lists: CJK-locale dates.
_LOCALE_DATES = frozenset(range(27, 37)) | frozenset(range(50, 59))

_SYMBOLS = "$€£¥₹₩₽₺₪₫฿₴₦₱¢"
_BRACKET_CURRENCY = re.compile(r"\[\$([^\]-]*)(?:-[0-9A-Fa-f]+)?\]")
_QUOTED = re.compile(r'"[^"]*"')
_ESCAPED = re.compile(r"\\.|_.|\*.")
_BRACKETS = re.compile(r"\[[^\]]*\]")
_ELAPSED = re.compile(r"\[(h+|m+|s+)\]", re.IGNORECASE)
_AM_PM = re.compile(r"am/pm|a/p", re.IGNORECASE)
_DATE_LETTERS = re.compile(r"[ydmhsegb]", re.IGNORECASE)
# "m" right after an hour or right before seconds means minutes, not months.
_MINUTES = re.compile(r"(h+[^a-z0#?]*)m+|m+([^a-z0#?]*s)", re.IGNORECASE)
_DAY_PARTS = re.compile(r"[ydmegb]", re.IGNORECASE)


def builtin_format(fmt_id: int) -> str:
    """The code of built-in format ``fmt_id`` ("General" for unknown ids).

    Locale-dependent date ids (CJK locales) map to "yyyy-mm-dd" so they still read as dates;
    the accounting ids 41 and 43 keep their symbol-less code but classify as currency.
    """
    if fmt_id in _LOCALE_DATES:
        return "yyyy-mm-dd"
    return _BUILTIN.get(fmt_id, "General")


def _is_accounting_builtin(code: str) -> bool:
    """The symbol-less "Accounting" built-ins (41, 43): amounts, in the locale's currency."""
    return code in (_BUILTIN[41], _BUILTIN[43])


@lru_cache(maxsize=512)
def classify_format(code: str) -> tuple[FormatKind, str | None]:
    """(kind, currency symbol) of a number format code, from its first section.

    ``"0.00%"`` → ("percent", None); ``'"$"#,##0.00'`` → ("currency", "$");
    ``"[$€-407] #,##0"`` → ("currency", "€"); ``"yyyy-mm-dd"`` → ("date", None);
    ``"h:mm"`` → ("time", None); ``"@"`` → ("text", None).
    """
    code = code.strip()
    if not code or code.lower() == "general":
        return "general", None
    section = _first_section(code)
    symbol = _currency(section)
    if _is_accounting_builtin(code):
        return "currency", symbol
    bare = _BRACKETS.sub("", _ESCAPED.sub("", _QUOTED.sub("", _ELAPSED.sub("h", section))))
    if "%" in bare:
        return "percent", None
    if symbol is not None:
        return "currency", symbol
    if bare.strip() == "@":
        return "text", None
    bare = _AM_PM.sub("", bare)
    if _DATE_LETTERS.search(bare) and not re.search(r"[0#?]", _strip_fraction_of_seconds(bare)):
        return ("date" if _DAY_PARTS.search(_MINUTES.sub(r"\1\2", bare)) else "time"), None
    return "number", None


def _first_section(code: str) -> str:
    """The code up to the first ";" that is outside quotes (the positive-number section)."""
    quoted = False
    for i, char in enumerate(code):
        if char == '"':
            quoted = not quoted
        elif char == ";" and not quoted:
            return code[:i]
    return code


def _currency(section: str) -> str | None:
    bracket = _BRACKET_CURRENCY.search(section)
    if bracket and bracket.group(1):
        return bracket.group(1)
    for text in [*_QUOTED.findall(section), _BRACKETS.sub("", _QUOTED.sub("", section))]:
        found = next((char for char in text if char in _SYMBOLS), None)
        if found:
            return found
    return None


def _strip_fraction_of_seconds(bare: str) -> str:
    """ "ss.000" and "mmss.0" show fractions of a second: their zeros are not digits."""
    return re.sub(r"(?i)(s+)\.0+", r"\1", bare)
