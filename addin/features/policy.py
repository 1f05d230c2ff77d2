"""Which requests are confidential: asked for by the user, or marked so in the document.

A document is confidential when its Microsoft Purview sensitivity label (the
``MSIP_Label_<id>_Name`` custom property, with ``_Enabled`` true) starts with one of the
configured label names, or when the custom property the admin names
(``ADDIN_CONFIDENTIAL_PROPERTY``) is set to a true-ish value. Confidential requests are only
served by in-house models: the model layer enforces it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..documents.model import Document
from ..documents.workbook import Workbook

_LABEL_NAME = re.compile(r"^MSIP_Label_([0-9a-fA-F-]+)_Name$")
_FALSE = {"", "0", "false", "no", "off", "none", "public"}


@dataclass(frozen=True, slots=True)
class Policy:
    labels: tuple[str, ...] = ("confidential", "highly confidential")
    property_name: str = ""

    @classmethod
    def from_settings(cls, labels: str, property_name: str) -> Policy:
        names = tuple(n.strip().lower() for n in labels.split(",") if n.strip())
        return cls(labels=names, property_name=property_name.strip())

    def is_confidential(self, document: Document | Workbook) -> bool:
        properties = document.properties
        if self.property_name:
            value = properties.get(self.property_name)
            if value is not None and value.strip().lower() not in _FALSE:
                return True
        for key, value in properties.items():
            match = _LABEL_NAME.match(key)
            if not match:
                continue
            enabled = properties.get(f"MSIP_Label_{match.group(1)}_Enabled", "true")
            name = value.strip().lower()
            if enabled.strip().lower() == "true" and any(name.startswith(label)
                                                          for label in self.labels):
                return True
        return False
