"""The comparison helpers used for generated files catch real differences."""

from __future__ import annotations

import pytest

from helpers import assert_json_close, assert_text_close


def test_json_numbers_at_tolerance_everything_else_exact():
    doc = {"format": "m", "n": 3, "values": [1.0, 2.5e-3], "checksum": {"value": "ab"}}
    assert_json_close({**doc, "values": [1.0 + 1e-14, 2.5e-3], "checksum": {"value": "cd"}}, doc)
    with pytest.raises(AssertionError):
        assert_json_close({**doc, "values": [1.0 + 1e-8, 2.5e-3]}, doc)
    with pytest.raises(AssertionError, match="n"):
        assert_json_close({**doc, "n": 4}, doc)
    with pytest.raises(AssertionError):
        assert_json_close({**doc, "format": "x"}, doc)
    with pytest.raises(AssertionError, match="keys"):
        assert_json_close({"format": "m"}, doc)


def test_text_decimals_to_one_printed_unit_words_and_integers_exact():
    page = "alpha 0.613 in 180 rows (p = 1.2e-05)"
    assert_text_close("alpha 0.614 in 180 rows (p = 1.2e-05)", page)
    assert_text_close("alpha 0.613 in 180 rows (p = 1.3e-05)", page)
    with pytest.raises(AssertionError):
        assert_text_close("alpha 0.615 in 180 rows (p = 1.2e-05)", page)
    with pytest.raises(AssertionError, match="integers"):
        assert_text_close("alpha 0.613 in 181 rows (p = 1.2e-05)", page)
    with pytest.raises(AssertionError, match="more than its numbers"):
        assert_text_close("beta 0.613 in 180 rows (p = 1.2e-05)", page)
