"""Whatever is uploaded, reading it raises nothing but a file's refusal."""

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.imports import FORMATS, ImportFileError, ImportRow, RowError, open_import
from tests.imports.helpers import fixture_bytes

HEADERS = [
    fixture_bytes(name).splitlines(keepends=True)[0]
    for name in (
        "goodreads_23.csv",
        "storygraph.csv",
        "librarything.tsv",
        "libib.csv",
        "bookwyrm.csv",
        "calibre.csv",
    )
] + [b'{"format": "booklibrary", "version": 1, "records": [\n', b"ISBN\n"]

cell = st.one_of(
    st.text(max_size=30),
    st.sampled_from(['="0441172717"', "9.78045E+12", "[2020-05-01]", '"', "\r\n", ""]),
    st.from_regex(r"[0-9]{4}[/-][0-9]{1,2}[/-][0-9]{1,2}", fullmatch=True),
    st.decimals(allow_nan=True).map(str),
)
row = st.lists(cell, max_size=40).map(lambda cells: ",".join(cells))
body = st.lists(row, max_size=6).map(lambda rows: "\n".join(rows))


def _read_all(data: bytes, chosen: str | None = None) -> None:
    try:
        opened = open_import(io.BytesIO(data), format=chosen)
    except ImportFileError as refused:
        assert str(refused)
        return
    for result in opened.rows():
        assert isinstance(result, ImportRow | RowError)
        if isinstance(result, RowError):
            assert result.reason and result.line >= 1


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    header=st.sampled_from(HEADERS),
    text=body,
    encoding=st.sampled_from(["utf-8", "utf-16", "cp1252"]),
)
def test_any_rows_under_any_header_read_or_are_refused(header, text, encoding):
    try:
        data = header.decode().encode(encoding) + text.encode(encoding)
    except UnicodeEncodeError:
        data = header + text.encode()
    _read_all(data)


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=400), chosen=st.sampled_from([None, *FORMATS]))
def test_any_bytes_read_or_are_refused(data, chosen):
    _read_all(data, chosen)
