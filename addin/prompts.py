"""Loads the prompt templates in ``prompts/`` and renders them; a missing variable fails loudly.

Each file (``prompts/<feature>[-<variant>].toml``) holds a ``version``, a ``system`` and a
``user`` template (Jinja2 syntax) and optional ``rules`` tables of fixed wording the
templates pick from (or ``rules_from = "<other prompt>"`` to share another file's rules).
Rendering uses ``StrictUndefined``: a template naming a variable the
caller did not pass raises :class:`PromptError` instead of sending the model a hole.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from .models.base import Message

_ENV = jinja2.Environment(
    undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False
)


class PromptError(Exception):
    """A prompt file is missing or malformed, or a render lacked a variable."""


def prompts_dir() -> Path:
    """The repository's ``prompts/`` in a checkout, the packaged copy in an installed wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "prompts", here / "_prompts"):
        if candidate.is_dir():
            return candidate
    raise PromptError(f"no prompts folder next to {here}")


@dataclass(frozen=True, slots=True)
class PromptTemplate:
    name: str
    version: int
    system: jinja2.Template
    user: jinja2.Template
    rules: dict[str, Any]

    def render(self, **variables: Any) -> list[Message]:
        try:
            return [
                ("system", self.system.render(rules=self.rules, **variables).strip()),
                ("user", self.user.render(rules=self.rules, **variables).strip()),
            ]
        except jinja2.UndefinedError as exc:
            raise PromptError(f"prompt {self.name!r} v{self.version}: {exc.message}") from None


@lru_cache(maxsize=32)
def load(name: str) -> PromptTemplate:
    """Load ``prompts/<name>.toml`` (cached: the files are read once per process)."""
    path = prompts_dir() / f"{name}.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return PromptTemplate(
            name=name,
            version=int(data["version"]),
            system=_ENV.from_string(data["system"]),
            user=_ENV.from_string(data["user"]),
            rules=load(data["rules_from"]).rules if "rules_from" in data
            else data.get("rules", {}),
        )
    except FileNotFoundError:
        raise PromptError(f"no prompt file {path}") from None
    except (KeyError, ValueError, tomllib.TOMLDecodeError, jinja2.TemplateSyntaxError) as exc:
        raise PromptError(f"prompt file {path} is malformed: {exc}") from None
