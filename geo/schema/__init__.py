"""The JSON Schema of layer files, shipped with the package."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files
from typing import Any

SCHEMA_FILE = "layer.schema.json"


@lru_cache(maxsize=1)
def layer_schema() -> dict[str, Any]:
    """The draft 2020-12 schema of a layer file."""
    return json.loads((files(__package__) / SCHEMA_FILE).read_text(encoding="utf-8"))


def definition(name: str) -> dict[str, Any]:
    """A schema for one of the ``$defs`` that can be used on its own."""
    schema = layer_schema()
    return {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": f"#/$defs/{name}"}


def property_names(name: str) -> list[str]:
    """The property names a ``$defs`` object allows, in the schema's (canonical) order."""
    return list(layer_schema()["$defs"][name]["properties"])
