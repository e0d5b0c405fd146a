"""The console's server-side SVG charts (A-61)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from openseqr.console.charts import Series, nice_ceiling, stacked_bars

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))


def bars(root: ET.Element, series: str) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if r.get("data-series") == series]


@pytest.mark.parametrize(
    ("value", "ceiling"), [(0, 1), (1, 1), (3, 5), (7, 10), (10, 10), (11, 20), (250, 500)]
)
def test_the_axis_ends_on_a_round_number(value, ceiling):
    assert nice_ceiling(value) == ceiling


def test_segments_stack_and_scale_to_the_axis():
    paid = Series("paid", "#2e7d32", [10, 0, 4])
    failed = Series("failed", "#c62828", [0, 0, 6])
    root = parse(stacked_bars("Payments", ["a", "b", "c"], [paid, failed], height=200))
    assert len(bars(root, "paid")) == 2 and len(bars(root, "failed")) == 1
    full, small = (float(r.get("height")) for r in bars(root, "paid"))
    (stacked,) = bars(root, "failed")
    assert full == pytest.approx(200 - 12 - 22)  # 10 of an axis topping at 10: the whole plot
    assert small + float(stacked.get("height")) == pytest.approx(full)
    # the failed segment sits on top of the paid one of its bar
    paid_c = bars(root, "paid")[1]
    assert float(stacked.get("y")) + float(stacked.get("height")) == pytest.approx(
        float(paid_c.get("y"))
    )
    assert [t.text for t in root.iter(f"{SVG}title")][1:] == ["a: 10 paid", "c: 4 paid",
                                                             "c: 6 failed"]  # fmt: skip


def test_an_empty_chart_says_so_without_dividing_by_zero():
    root = parse(stacked_bars("Idle", ["a", "b"], [Series("paid", "#000", [0, 0])]))
    assert not list(root.iter(f"{SVG}rect"))
    assert "No data" in [t.text for t in root.iter(f"{SVG}text")]


def test_text_is_escaped():
    hostile = '<script>alert("x")</script>'
    markup = stacked_bars(hostile, [hostile], [Series(hostile, '"><script>', [1])])
    assert "<script>" not in markup
    root = parse(markup)  # still well-formed XML
    assert root.get("aria-label") == hostile


def test_only_every_nth_label_is_written():
    labels = [f"{m:02d}" for m in range(60)]
    root = parse(stacked_bars("Hour", labels, [Series("paid", "#000", [1] * 60)], label_every=15))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert [t for t in texts if t in labels] == ["00", "15", "30", "45"]


def test_series_must_match_the_labels():
    with pytest.raises(ValueError, match="one value per label"):
        stacked_bars("x", ["a", "b"], [Series("paid", "#000", [1])])
    with pytest.raises(ValueError, match="negative"):
        stacked_bars("x", ["a"], [Series("paid", "#000", [-1])])
