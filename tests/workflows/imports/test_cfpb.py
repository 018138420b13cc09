"""The CFPB public export (``import_complaints --format cfpb``): columns, dates, mapping, responses."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from complaints.models import Complaint, ComplaintEvent
from tests.workflows.imports import files
from workflows.imports import reading
from workflows.imports.loader import Importer
from workflows.models import ImportMapping, ImportRun, SlaPolicy

SHANGHAI = ZoneInfo("Asia/Shanghai")

# The CFPB's product lists: the form since April 2017, the labels of 2023 on, and the retired ones.
CFPB_PRODUCTS = {
    "Checking or savings account": "savings",
    "Credit card or prepaid card": "bank-cards",
    "Credit reporting, credit repair services, or other personal consumer reports": "personal-data",
    "Debt collection": "loans",
    "Money transfer, virtual currency, or money service": "payments",
    "Mortgage": "loans",
    "Payday loan, title loan, or personal loan": "loans",
    "Student loan": "loans",
    "Vehicle loan or lease": "loans",
    "Credit reporting or other personal consumer reports": "personal-data",
    "Credit card": "bank-cards",
    "Prepaid card": "bank-cards",
    "Debt or credit management": "other",
    "Payday loan, title loan, personal loan, or advance loan": "loans",
    "Bank account or service": "savings",
    "Credit reporting": "personal-data",
    "Consumer Loan": "loans",
    "Payday loan": "loans",
    "Money transfers": "payments",
    "Other financial service": "other",
    "Virtual currency": "payments",
}
CFPB_SUBMITTED_VIA = {
    "Web": "web",
    "Web Referral": "regulator",
    "Referral": "regulator",
    "Phone": "phone",
    "Postal mail": "letter",
    "Fax": "fax",
    "Email": "email",
}
RESPONSES = [
    ("Closed with monetary relief", "closed", "upheld"),
    ("Closed with non-monetary relief", "closed", "partly_upheld"),
    ("Closed with explanation", "closed", "not_upheld"),
    ("Closed", "closed", ""),
    ("In progress", "new", ""),
    ("Untimely response", "new", ""),
    # retired responses
    ("Closed with relief", "closed", "partly_upheld"),
    ("Closed without relief", "closed", "not_upheld"),
]


def run(path, **options):
    return Importer(path, format="cfpb", **options).run()


def bad(outcome) -> list[tuple[int, str]]:
    return sorted((row.line, row.column) for row in outcome.bad)


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=SHANGHAI)


def counts() -> tuple[int, int, int]:
    return Complaint.objects.count(), ComplaintEvent.objects.count(), ImportRun.objects.count()


def test_a_row_becomes_a_regulator_referral_with_everything_the_export_carries(db, tmp_path):
    row = files.cfpb_row(
        7654321,
        received=date(2023, 3, 1),
        sent=date(2023, 3, 9),
        product="Checking or savings account",
        sub_product="Checking account",
        issue="Managing an account",
        sub_issue="Deposits and withdrawals",
        narrative="The bank held my deposit for XXXX days.",
        public_response="Company believes it acted appropriately as authorized by contract or law",
        company="EXAMPLE BANK, N.A.",
        state="NY",
        zip="100XX",
        tags="Older American, Servicemember",
        consent="Consent provided",
        via="Fax",
        response="Closed with monetary relief",
        timely="No",
        disputed="Yes",
    )
    outcome = run(files.write_cfpb(tmp_path, [row]).path)
    assert outcome.bad == [] and outcome.written == 1
    case = Complaint.objects.get()
    assert (case.channel, case.external_id, case.submitted_via) == ("regulator", "7654321", "fax")
    assert case.received_at == local_midnight(date(2023, 3, 1))
    assert case.sent_to_bank_at == local_midnight(date(2023, 3, 9))
    assert (case.state, case.outcome, case.closed_at) == ("closed", "upheld", local_midnight(date(2023, 3, 9)))
    assert (case.product, case.sub_product) == ("Checking or savings account", "Checking account")
    assert (case.issue, case.sub_issue) == ("Managing an account", "Deposits and withdrawals")
    assert case.category.code == "savings"
    assert case.subject == "Managing an account"
    assert case.description == "The bank held my deposit for XXXX days."
    assert case.company == "EXAMPLE BANK, N.A."
    assert case.customer_region == "NY"
    assert case.customer_tags == ["Older American", "Servicemember"]
    assert case.narrative_consent == "provided"
    assert case.company_response == "Closed with monetary relief"
    assert case.public_response == "Company believes it acted appropriately as authorized by contract or law"
    assert (case.timely_response, case.consumer_disputed) == (False, True)
    # a referral carries no contact, and none is invented
    assert (case.customer_name, case.customer_phone, case.customer_email) == ("", "", "")
    assert (case.customer_id_number, case.customer_account) == ("", "")
    assert "100XX" not in str(Complaint.objects.values().get())
    # a closed row had no clock the export could show: none is started
    assert (case.first_response_due, case.resolution_due, case.review_due) == (None, None, None)


def test_an_open_referrals_clocks_start_when_it_was_sent_to_the_bank(db, tmp_path):
    SlaPolicy.objects.filter(kind="complaint", severity="medium").update(first_response_hours=48)
    now = datetime(2023, 3, 12, 12, 0, tzinfo=SHANGHAI)
    row = files.cfpb_row(1, received=date(2023, 3, 1), sent=date(2023, 3, 10), response="In progress")
    assert run(files.write_cfpb(tmp_path, [row]).path, now=now).written == 1
    case = Complaint.objects.get()
    sent = local_midnight(date(2023, 3, 10))
    assert case.received_at == local_midnight(date(2023, 3, 1))
    assert case.sent_to_bank_at == sent
    assert case.first_response_due == sent + timedelta(hours=48)
    assert case.resolution_clock_started_at == sent
    assert case.resolution_due > sent + timedelta(days=15)
    assert case.resolution_due < sent + timedelta(days=25)
    assert (case.state, case.outcome, case.closed_at) == ("new", "", None)


def test_an_open_referral_without_a_date_sent_starts_its_clocks_at_receipt(db, tmp_path):
    now = datetime(2023, 3, 2, 12, 0, tzinfo=SHANGHAI)
    row = files.cfpb_row(1, received=date(2023, 3, 1), sent="", response="In progress")
    assert run(files.write_cfpb(tmp_path, [row]).path, now=now).written == 1
    case = Complaint.objects.get()
    assert case.sent_to_bank_at is None
    assert case.first_response_due == local_midnight(date(2023, 3, 1)) + timedelta(hours=24)


def test_narratives_with_quoted_newlines_and_empty_ones_import_and_events_name_their_lines(db, tmp_path):
    narratives = [
        "",
        "I called on XX/XX/2023.\n\nThey said the fee stands.\nI disagree.",
        "",
        "Windows\r\nline ends, \"quotes\" and, commas",
        "last",
    ]
    rows = [files.cfpb_row(100 + index, narrative=text) for index, text in enumerate(narratives)]
    written = files.write_cfpb(tmp_path, rows)
    assert written.lines == [2, 3, 7, 8, 10]
    outcome = run(written.path)
    assert outcome.bad == [] and outcome.written == 5
    by_id = {case.external_id: case for case in Complaint.objects.all()}
    assert [by_id[str(100 + index)].description for index in range(5)] == narratives
    lines = {
        event.complaint.external_id: event.data["line"]
        for event in ComplaintEvent.objects.filter(kind="imported").select_related("complaint")
    }
    assert [lines[str(100 + index)] for index in range(5)] == written.lines


DAYS = [(date(2021, 12, 25), date(2022, 1, 4)), (date(2023, 1, 5), date(2023, 1, 5)), (date(2019, 10, 1), date(2019, 11, 30))]


@pytest.mark.parametrize("style", files.DATE_STYLES)
def test_every_date_style_gives_the_same_dates(db, tmp_path, style):
    rows = [files.cfpb_row(500 + index, received=received, sent=sent) for index, (received, sent) in enumerate(DAYS)]
    written = files.write_cfpb(tmp_path, rows, style=style)
    if style == "M/D/YYYY":
        assert "12/25/2021" in written.path.read_text()
    outcome = run(written.path)
    assert outcome.bad == [] and outcome.written == 3
    got = {case.external_id: (case.received_at, case.sent_to_bank_at) for case in Complaint.objects.all()}
    assert got == {
        str(500 + index): (local_midnight(received), local_midnight(sent)) for index, (received, sent) in enumerate(DAYS)
    }


def test_a_date_in_another_style_than_the_files_is_a_bad_row_naming_its_column(db, tmp_path):
    rows = [
        files.cfpb_row(1, received=date(2023, 3, 1), sent=date(2023, 3, 2)),
        files.cfpb_row(2, received="3/1/2023", sent=date(2023, 3, 2)),
        files.cfpb_row(3, received=date(2023, 3, 1), sent="2023/3/2"),
        files.cfpb_row(4, received=date(2023, 3, 1), sent=date(2023, 3, 2)),
    ]
    written = files.write_cfpb(tmp_path, rows)
    before = counts()
    outcome = run(written.path)
    assert bad(outcome) == [(3, "Date received"), (4, "Date sent to company")]
    assert all("YYYY-MM-DD" in row.reason and "line 2" in row.reason for row in outcome.bad)
    assert counts() == before


def test_an_impossible_or_malformed_date_is_a_bad_row(db, tmp_path):
    rows = [
        files.cfpb_row(1, received="2023-02-30"),
        files.cfpb_row(2, received="yesterday"),
        files.cfpb_row(3, received=""),
        files.cfpb_row(4, received=date(2023, 3, 5), sent=date(2023, 3, 1)),  # sent before received
    ]
    outcome = run(files.write_cfpb(tmp_path, rows).path)
    assert bad(outcome) == [(2, "Date received"), (3, "Date received"), (4, "Date received"), (5, "Date sent to company")]
    assert Complaint.objects.count() == 0


def test_an_export_of_16_columns_without_consent_and_disputed_imports(db, tmp_path):
    rows = [files.cfpb_row(1), files.cfpb_row(2, response="Closed with non-monetary relief")]
    written = files.write_cfpb(tmp_path, rows, columns=files.CFPB_COLUMNS_16)
    assert "Consumer disputed?" not in written.path.read_text()
    outcome = run(written.path)
    assert outcome.bad == [] and outcome.written == 2
    case = Complaint.objects.get(external_id="2")
    assert (case.narrative_consent, case.consumer_disputed, case.outcome) == ("", None, "partly_upheld")


def test_an_export_lacking_complaint_id_is_a_file_problem_and_writes_nothing(db, tmp_path):
    columns = [name for name in files.CFPB_COLUMNS if name != "Complaint ID"]
    written = files.write_cfpb(tmp_path, [files.cfpb_row(1)], columns=columns)
    before = counts()
    with pytest.raises(reading.FileProblem, match="Complaint ID"):
        run(written.path)
    assert counts() == before


def test_a_row_without_complaint_id_is_bad(db, tmp_path):
    outcome = run(files.write_cfpb(tmp_path, [files.cfpb_row(1), files.cfpb_row("")]).path)
    assert bad(outcome) == [(3, "Complaint ID")]


def test_every_cfpb_product_and_channel_imports_in_a_fresh_database(db, tmp_path):
    mappings = ImportMapping.objects.count()
    products, channels = list(CFPB_PRODUCTS), list(CFPB_SUBMITTED_VIA)
    rows = [
        files.cfpb_row(index + 1, product=product, sub_product="", via=channels[index % len(channels)])
        for index, product in enumerate(products)
    ]
    rows += [files.cfpb_row(100 + index, via=via) for index, via in enumerate(channels)]
    outcome = run(files.write_cfpb(tmp_path, rows).path)
    assert outcome.bad == [] and outcome.written == len(rows)
    got = {case.product: case.category.code for case in Complaint.objects.select_related("category") if int(case.external_id) < 100}
    assert got == CFPB_PRODUCTS
    got = {case.external_id: case.submitted_via for case in Complaint.objects.all() if int(case.external_id) >= 100}
    assert got == {str(100 + index): CFPB_SUBMITTED_VIA[via] for index, via in enumerate(channels)}
    assert ImportMapping.objects.count() == mappings


def test_a_sub_product_with_its_own_mapping_row_wins_over_its_product(db, tmp_path):
    product = "Credit reporting, credit repair services, or other personal consumer reports"
    rows = [files.cfpb_row(1, product=product, sub_product="Credit repair services"), files.cfpb_row(2, product=product, sub_product="Credit reporting")]
    assert run(files.write_cfpb(tmp_path, rows).path).written == 2
    assert dict(Complaint.objects.values_list("external_id", "category__code")) == {"1": "other", "2": "personal-data"}


def test_an_unknown_product_or_submitted_via_is_a_bad_row_never_guessed(db, tmp_path):
    rows = [
        files.cfpb_row(1),
        files.cfpb_row(2, product="Crypto lending"),
        files.cfpb_row(3, via="Carrier pigeon"),
        files.cfpb_row(4, product=""),
    ]
    outcome = run(files.write_cfpb(tmp_path, rows).path)
    assert bad(outcome) == [(3, "Product"), (4, "Submitted via"), (5, "Product")]
    reasons = {row.line: row.reason for row in outcome.bad}
    assert "Crypto lending" in reasons[3] and "Carrier pigeon" in reasons[4]
    assert Complaint.objects.count() == 0


@pytest.mark.parametrize(("response", "state", "outcome"), RESPONSES)
def test_company_response_gives_the_state_and_the_outcome(db, tmp_path, response, state, outcome):
    result = run(files.write_cfpb(tmp_path, [files.cfpb_row(1, response=response)]).path)
    assert result.bad == [] and result.written == 1
    case = Complaint.objects.get()
    assert (case.state, case.outcome, case.company_response) == (state, outcome, response)
    assert (case.closed_at is not None) == (state == "closed")


def test_an_unknown_company_response_consent_or_yes_no_is_a_bad_row(db, tmp_path):
    rows = [
        files.cfpb_row(1, response="Closed with a smile"),
        files.cfpb_row(2, response=""),
        files.cfpb_row(3, consent="Maybe"),
        files.cfpb_row(4, timely="Sometimes"),
        files.cfpb_row(5, disputed="Perhaps"),
    ]
    outcome = run(files.write_cfpb(tmp_path, rows).path)
    assert bad(outcome) == [
        (2, "Company response to consumer"),
        (3, "Company response to consumer"),
        (4, "Consumer consent provided?"),
        (5, "Timely response?"),
        (6, "Consumer disputed?"),
    ]


@pytest.mark.parametrize(("length", "good"), [(21_928, True), (100_000, True), (100_001, False)])
def test_a_long_narrative_imports_up_to_100000_characters(db, tmp_path, length, good):
    narrative = ("I disputed the charge.\n" * (length // 23 + 1))[:length]
    rows = [files.cfpb_row(1), files.cfpb_row(2, narrative=narrative)]
    outcome = run(files.write_cfpb(tmp_path, rows).path)
    if good:
        assert outcome.bad == []
        assert len(Complaint.objects.get(external_id="2").description) == length
    else:
        assert bad(outcome) == [(3, "Consumer complaint narrative")]
        assert "100001" in outcome.bad[0].reason.replace(",", "")
        assert Complaint.objects.count() == 0


def test_a_changed_cfpb_row_names_the_cfpb_column(db, tmp_path):
    first = files.write_cfpb(tmp_path, [files.cfpb_row(1), files.cfpb_row(2)], name="first.csv")
    assert run(first.path).written == 2
    second = files.write_cfpb(
        tmp_path, [files.cfpb_row(1), files.cfpb_row(2, issue="Fees or interest")], name="second.csv"
    )
    outcome = run(second.path)
    assert bad(outcome) == [(3, "Issue")]
    assert Complaint.objects.get(external_id="2").issue == "Problem with a purchase shown on your statement"


def test_an_open_referral_is_routed_as_live_intake_routes_it(world, tmp_path):
    now = datetime(2023, 3, 5, 12, 0, tzinfo=SHANGHAI)
    rows = [
        files.cfpb_row(1, product="Checking or savings account", response="In progress"),
        files.cfpb_row(2, product="Debt collection", response="In progress"),
    ]
    assert run(files.write_cfpb(tmp_path, rows).path, now=now).written == 2
    routed, unrouted = Complaint.objects.get(external_id="1"), Complaint.objects.get(external_id="2")
    assert (routed.state, routed.department) == ("assigned", world.retail)  # "savings" routes to retail
    assert (unrouted.state, unrouted.department) == ("new", None)
