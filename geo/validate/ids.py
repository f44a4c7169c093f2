"""Ids across files: a feature id is unique across every layer, and so is a layer id."""

from __future__ import annotations

from typing import Any

from geo.model import Message


class IdRegistry:
    """The ids seen so far in one run over several files."""

    def __init__(self) -> None:
        self.features: dict[str, tuple[str, int]] = {}
        self.layers: dict[str, str] = {}

    def check(self, doc: Any, file: str) -> list[Message]:
        return self.duplicate_ids(doc, file) + self.duplicate_layer_id(doc, file)

    def duplicate_ids(self, doc: Any, file: str) -> list[Message]:
        messages = []
        features = doc.get("features") if isinstance(doc, dict) else None
        for index, feature in enumerate(features if isinstance(features, list) else []):
            props = feature.get("properties") if isinstance(feature, dict) else None
            fid = props.get("id") if isinstance(props, dict) else None
            if not isinstance(fid, str):
                continue
            if fid not in self.features:
                self.features[fid] = (file, index)
                continue
            first_file, first_index = self.features[fid]
            where = f"feature #{first_index + 1} of this file" if first_file == file else first_file
            messages.append(
                Message(
                    "error",
                    "duplicate-id",
                    file,
                    f"id {fid!r} is already used by {where}",
                    "give this feature its own id; ids are unique across all layer files",
                    feature=fid,
                    field="id",
                    path=("features", index, "properties", "id"),
                )
            )
        return messages

    def duplicate_layer_id(self, doc: Any, file: str) -> list[Message]:
        meta = doc.get("layer") if isinstance(doc, dict) else None
        layer_id = meta.get("id") if isinstance(meta, dict) else None
        if not isinstance(layer_id, str):
            return []
        if layer_id not in self.layers:
            self.layers[layer_id] = file
            return []
        return [
            Message(
                "error",
                "duplicate-layer-id",
                file,
                f"layer id {layer_id!r} is already used by {self.layers[layer_id]}",
                "give each layer file its own layer.id",
                field="layer.id",
                path=("layer", "id"),
            )
        ]


def duplicate_ids(doc: Any, file: str, seen: dict[str, tuple[str, int]]) -> list[Message]:
    """Feature ids in ``doc`` already in ``seen`` (which is filled as it goes)."""
    registry = IdRegistry()
    registry.features = seen
    return registry.duplicate_ids(doc, file)
