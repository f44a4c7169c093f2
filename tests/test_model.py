import datetime as dt

import pytest

from geo.model import DateError, PartialDate, date_range_label


@pytest.mark.parametrize(
    ("text", "label", "first", "last"),
    [
        ("2001", "2001", dt.date(2001, 1, 1), dt.date(2001, 12, 31)),
        ("2024-10", "Oct 2024", dt.date(2024, 10, 1), dt.date(2024, 10, 31)),
        ("2024-02", "Feb 2024", dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
        ("2023-10-07", "7 Oct 2023", dt.date(2023, 10, 7), dt.date(2023, 10, 7)),
    ],
)
def test_partial_dates_keep_their_precision(text, label, first, last):
    date = PartialDate.parse(text)
    assert date.label() == label
    assert date.first_day() == first
    assert date.last_day() == last
    assert date.iso() == text


@pytest.mark.parametrize("text", ["2024-13-01", "2023-02-29", "2024-00", "2024-04-31", "24-01"])
def test_impossible_dates_are_refused(text):
    with pytest.raises(DateError):
        PartialDate.parse(text)


def test_range_labels():
    assert date_range_label("2024-04-13", "2024-04-14") == "13 Apr 2024 – 14 Apr 2024"
    assert date_range_label("2019-06", None) == "Jun 2019"
    assert date_range_label("2020-01-03", "2020-01-03") == "3 Jan 2020"
