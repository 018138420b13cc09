"""Reading a case file (workflows/imports/reading.py): encodings, line numbers of rows that span lines."""
from __future__ import annotations

import pytest

from tests.workflows.imports import files
from workflows.imports import reading

NARRATIVES = [
    "One line.",
    "First paragraph.\n\nSecond paragraph, after a blank line.\nThird line.",
    "",
    "Windows line ends\r\ninside the quotes\r\n",
    'A "quoted" word, a comma, and\na line break.',
    "",
]


def read_all(path, encoding=None) -> tuple[reading.FileFacts, list[reading.Row]]:
    facts = reading.inspect(path, encoding)
    with reading.RowReader(facts) as reader:
        return facts, list(reader)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_row_is_numbered_by_the_line_it_starts_on_with_the_header_as_line_1(tmp_path, newline):
    rows = [files.cfpb_row(1000 + index, narrative=text) for index, text in enumerate(NARRATIVES)]
    written = files.write_cfpb(tmp_path, rows, newline=newline)
    assert written.lines[:3] == [2, 3, 7]  # the second narrative spans four lines
    _facts, read = read_all(written.path)
    assert [row.line for row in read] == written.lines
    assert [row.values["Consumer complaint narrative"] for row in read] == NARRATIVES
    assert [row.values["Complaint ID"] for row in read] == [str(1000 + index) for index in range(len(NARRATIVES))]


def test_blank_lines_are_skipped_and_later_rows_keep_their_own_line(tmp_path):
    path = files.write_bytes(tmp_path, b"a,b\n1,2\n\n,\n3,4\n\n\n")
    _facts, read = read_all(path)
    assert [(row.line, row.values) for row in read] == [(2, {"a": "1", "b": "2"}), (5, {"a": "3", "b": "4"})]


def test_a_short_row_reads_its_missing_cells_as_empty_and_a_long_one_is_flagged(tmp_path):
    path = files.write_bytes(tmp_path, b"a,b,c\n1\n1,2,3,4\n1,2,3,,\n")
    _facts, read = read_all(path)
    assert read[0].values == {"a": "1", "b": "", "c": ""}
    assert read[1].values == {"": ""}  # more cells than the header: the caller reports it
    assert read[2].values == {"a": "1", "b": "2", "c": "3"}  # trailing empty cells are not "more"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("a,b\n客户,投诉\n".encode(), "utf-8"),
        (b"\xef\xbb\xbf" + "a,b\n客户,投诉\n".encode(), "utf-8-sig"),
        ("a,b\r\n客户,投诉\r\n".encode("gb18030"), "gb18030"),
    ],
    ids=["utf-8", "utf-8 with BOM", "gb18030"],
)
def test_the_encoding_is_detected(tmp_path, data, encoding):
    facts, read = read_all(files.write_bytes(tmp_path, data))
    assert facts.encoding == encoding
    assert read[0].values == {"a": "客户", "b": "投诉"}  # the BOM is not part of the first column's name


def test_a_forced_utf8_on_a_file_with_a_bom_skips_the_bom(tmp_path):
    facts, read = read_all(files.write_bytes(tmp_path, b"\xef\xbb\xbfa,b\n1,2\n"), "utf-8")
    assert facts.encoding == "utf-8-sig" and read[0].values == {"a": "1", "b": "2"}


def test_a_forced_gb18030_reads_a_file_that_is_also_valid_utf8_as_gb18030(tmp_path):
    # "涓枃" is what "中文" in UTF-8 looks like read as GB18030: the user's choice wins.
    facts, read = read_all(files.write_bytes(tmp_path, "a\n中文\n".encode()), "gb18030")
    assert facts.encoding == "gb18030" and read[0].values == {"a": "中文".encode().decode("gb18030")}


def test_an_unknown_encoding_is_a_file_problem(tmp_path):
    with pytest.raises(reading.FileProblem, match="Unknown encoding latin-1"):
        reading.inspect(files.write_bytes(tmp_path, b"a\n1\n"), "latin-1")


def test_an_empty_file_and_a_repeated_header_name_are_file_problems(tmp_path):
    with pytest.raises(reading.FileProblem, match="no header row"):
        read_all(files.write_bytes(tmp_path, b"", name="empty.csv"))
    with pytest.raises(reading.FileProblem, match="twice: a"):
        read_all(files.write_bytes(tmp_path, b"a,b,a\n1,2,3\n", name="twice.csv"))


def test_a_file_that_is_not_in_the_chosen_encoding_names_the_line_of_the_bad_bytes(tmp_path):
    """Forced UTF-8 on a GB18030 file whose first non-ASCII text is on line 4."""
    data = b"a,b\r\n1,2\r\n3,4\r\n" + "客户,投诉\r\n".encode("gb18030") + b"5,6\r\n"
    path = files.write_bytes(tmp_path, data)
    with pytest.raises(reading.FileProblem) as raised:
        read_all(path, "utf-8")
    assert "Line 4 is not utf-8 text" in raised.value.message


def test_a_long_file_that_is_not_in_the_chosen_encoding_names_the_line_of_the_bad_bytes(tmp_path):
    """The bad bytes far into the file (past the text reader's first chunk)."""
    data = b"a,b\r\n" + b"1,2\r\n" * 3000 + "客户,投诉\r\n".encode("gb18030")
    with pytest.raises(reading.FileProblem) as raised:
        read_all(files.write_bytes(tmp_path, data), "utf-8")
    assert "Line 3002 is not utf-8 text" in raised.value.message


def test_a_file_that_is_neither_utf8_nor_gb18030_names_the_line(tmp_path):
    path = files.write_bytes(tmp_path, b"a,b\n1,2\n3,\xff\n")
    assert reading.inspect(path).encoding == "gb18030"  # not UTF-8: the fallback is tried
    with pytest.raises(reading.FileProblem) as raised:
        read_all(path)
    assert "Line 3 is not gb18030 text" in raised.value.message
