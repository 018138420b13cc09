"""``manage.py import_complaints`` on a pipe: its summary, bad rows on stderr, its errors and exit."""
from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command

from complaints.models import Complaint
from tests.workflows.imports import files
from workflows.imports import loader
from workflows.management.commands import import_complaints
from workflows.models import ImportRun


def command(path, *args, **options) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_complaints", str(path), *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def command_error(path, *args, **options) -> tuple[CommandError, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_complaints", str(path), *args, stdout=out, stderr=err, **options)
    return raised.value, out.getvalue(), err.getvalue()


def rows(count: int, **bad: dict) -> list[dict]:
    """``count`` good closed rows; ``bad`` maps a row index (as text) to the values that spoil it."""
    made = [files.case_row(f"CMD-{index}") for index in range(count)]
    for index, values in bad.items():
        made[int(index)].update(values)
    return made


def test_a_good_file_prints_its_summary_and_nothing_on_stderr(world, tmp_path):
    written = files.write_case_file(tmp_path, rows(5), name="cases.csv")
    out, err = command(written.path, format="csv", batch_size=2, user="cs")
    lines = out.splitlines()
    assert re.fullmatch(r"cases\.csv \(csv, utf-8\): 5 rows, checked and written in \d+\.\d s\.", lines[0])
    assert lines[1] == "  new: 5; imported before and unchanged: 0; bad: 0."
    run = ImportRun.objects.get()
    assert re.fullmatch(rf"Imported 5 case\(s\) in 3 batch\(es\), [\d,]+ rows/s \(import run {run.pk}\)\.", lines[2])
    assert err == ""
    assert Complaint.objects.count() == 5 and run.actor == world.cs

    out, err = command(written.path, format="csv", user="cs")
    assert "  new: 0; imported before and unchanged: 5; bad: 0." in out.splitlines()


def test_bad_rows_go_to_stderr_by_line_and_column_and_the_command_fails(world, tmp_path):
    written = files.write_case_file(
        tmp_path, rows(4, **{"0": {"category": "nope"}, "3": {"customer_email": "not an address"}})
    )
    error, out, err = command_error(written.path, format="csv")
    assert err.splitlines() == [
        f"line {written.lines[0]}, column category: No category has the code “nope”.",
        f"line {written.lines[3]}, column customer_email: Not an e-mail address.",
    ]
    assert "bad: 2." in out
    assert "2 bad row(s); nothing was written" in str(error) and "--skip-bad" in str(error)
    assert error.returncode == 1
    assert Complaint.objects.count() == 0 and not ImportRun.objects.exists()


def test_skip_bad_reports_the_bad_rows_and_succeeds_with_the_others(world, tmp_path):
    written = files.write_case_file(tmp_path, rows(4, **{"2": {"severity": "dire"}}))
    out, err = command(written.path, "--skip-bad", format="csv")
    assert err.startswith(f"line {written.lines[2]}, column severity: Not one of: low, medium, high.")
    assert "Imported 3 case(s)" in out
    assert Complaint.objects.count() == 3


def test_a_dry_run_says_so_and_fails_only_if_a_row_is_bad(world, tmp_path):
    good = files.write_case_file(tmp_path, rows(3), name="good.csv")
    out, err = command(good.path, "--dry-run", format="csv")
    assert out.splitlines()[-1] == "Dry run: nothing was written." and "new: 3;" in out and err == ""
    bad = files.write_case_file(tmp_path, rows(3, **{"1": {"state": ""}}), name="bad.csv")
    error, out, err = command_error(bad.path, "--dry-run", format="csv")
    assert str(error) == "1 bad row(s)."
    assert err.startswith(f"line {bad.lines[1]}, column state: Give the state.")
    assert Complaint.objects.count() == 0 and not ImportRun.objects.exists()


def test_a_cfpb_export_through_the_command(db, tmp_path):
    written = files.write_cfpb(tmp_path, [files.cfpb_row(1), files.cfpb_row(2, via="Pigeon")], name="cfpb.csv")
    error, out, err = command_error(written.path, format="cfpb")
    assert out.startswith("cfpb.csv (cfpb, utf-8): 2 rows, checked in")
    assert err.splitlines()[0].startswith("line 3, column Submitted via: “Pigeon” is not in the import mapping")


def test_file_problems_unknown_users_and_missing_files_are_command_errors(db, tmp_path):
    columns = [name for name in files.CFPB_COLUMNS if name != "Complaint ID"]
    written = files.write_cfpb(tmp_path, [files.cfpb_row(1)], columns=columns)
    error, _out, _err = command_error(written.path, format="cfpb")
    assert "This is not a CFPB export: the header lacks Complaint ID." == str(error)
    error, _out, _err = command_error(written.path, format="cfpb", user="nobody")
    assert "No user has the username nobody." == str(error)
    error, _out, _err = command_error(tmp_path / "missing.csv", format="csv")
    assert "is not a file" in str(error)
    assert Complaint.objects.count() == 0


def test_an_interrupted_command_says_how_to_resume_and_the_next_run_resumes(db, tmp_path, monkeypatch):
    written = files.write_case_file(tmp_path, rows(5))

    class Interrupted(loader.Importer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs, interrupt_after_batches=1)

    monkeypatch.setattr(loader, "Importer", Interrupted)
    error, _out, _err = command_error(written.path, format="csv", batch_size=2)
    assert "Interrupted" in str(error) and "run the same command again" in str(error)
    assert Complaint.objects.count() == 2
    monkeypatch.undo()
    out, _err = command(written.path, format="csv", batch_size=2)
    assert f"Resumed after line {written.lines[1]} of an interrupted run." in out
    assert "Imported 3 case(s) in 2 batch(es)" in out
    assert Complaint.objects.count() == 5


def test_progress_on_a_pipe_is_plain_lines_on_the_commands_stderr(db, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(import_complaints._Progress, "PLAIN_EVERY", 0.0)
    written = files.write_case_file(tmp_path, rows(4))
    _out, err = command(written.path, format="csv", batch_size=2)
    assert re.search(r"^Checking: [\d,]+ rows, [\d,]+ rows/s, \d+% of the file, about \d+ s to go$", err, re.M)
    assert re.search(r"^Importing: [\d,]+ rows", err, re.M)
    assert "\r" not in err and "\x1b" not in err  # no bar drawn on a pipe
    assert capsys.readouterr().err == ""  # nothing bypasses the command's stderr
