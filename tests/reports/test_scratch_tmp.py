from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo
import time_machine
from reports.periods import Period
from reports.data import collect
from reports import rendering
from tests.factories import case_in_state, create_case
from complaints.states import ComplaintState as S

TZ = ZoneInfo("Asia/Shanghai")

def test_scratch(world):
    for i in range(12):
        now = datetime(2026, 1, 5 + i, 10, tzinfo=TZ)
        with time_machine.travel(now, tick=False):
            case_in_state(world, [S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.RESOLVED, S.CLOSED][i % 5], now=now)
    with time_machine.travel(datetime(2026, 1, 20, 8, tzinfo=TZ), tick=False):
        data = collect(Period(date(2026, 1, 5), date(2026, 1, 18)))
    for lang in ("en", "zh-hans"):
        pdf = rendering.render_pdf(data, language=lang)
        open(f"/tmp/rep/{lang}.pdf", "wb").write(pdf.content)
        print(lang, pdf.page_count, len(pdf.content))
