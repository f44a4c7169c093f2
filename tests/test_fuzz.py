"""Property-based tests: nothing a contributor or an upload can send crashes the validator."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.fmt import format_bytes
from geo.io import ReadError
from geo.model import Message
from geo.validate import validate_bytes
from tests.helpers import feature, layer_doc

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=30,
)


def _assert_messages(messages):
    assert isinstance(messages, list)
    for message in messages:
        assert isinstance(message, Message)
        assert message.format()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_never_crash(raw):
    _, messages = validate_bytes(raw, "upload.geojson")
    _assert_messages(messages)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_random_json_documents_never_crash(doc):
    _, messages = validate_bytes(json.dumps(doc).encode(), "upload.geojson")
    _assert_messages(messages)
    assert messages, "a random document is never a valid layer"


feature_keys = st.sampled_from(
    ["id", "name", "kind", "start", "end", "country", "sources", "claims", "origin", "geometry"]
)


@settings(max_examples=300, deadline=None)
@given(key=feature_keys, value=json_values)
def test_random_values_in_a_real_layer_never_crash(key, value):
    doc = layer_doc(feature())
    target = doc["features"][0] if key == "geometry" else doc["features"][0]["properties"]
    target[key] = value
    _, messages = validate_bytes(json.dumps(doc).encode(), "upload.geojson")
    _assert_messages(messages)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_the_formatter_never_crashes_on_json(doc):
    try:
        text = format_bytes(json.dumps(doc).encode(), "x")
    except ReadError as exc:
        assert exc.message.format().startswith("x")
    else:
        assert text.endswith("\n")
        assert format_bytes(text.encode(), "x") == text  # idempotent
