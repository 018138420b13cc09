from tests import factories


def test_case_reaches_closed(world):
    case = factories.case_in_state(world, "closed")
    assert case.state == "closed"
    assert [e.kind for e in case.events.all()] == ["created", "assign", "respond", "resolve", "close"]
