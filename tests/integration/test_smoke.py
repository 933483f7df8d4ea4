from tests.support.journeys import CONTACTS, case_state, history, outbox_rows, to_planning


def test_a_referral_reaches_planning_and_is_emailed(make_app, new_referral):
    flow = make_app()
    case_id = new_referral(flow)
    to_planning(flow, case_id, allocated="2026-12-21T10:00")
    assert case_state(flow, case_id).state == "planning"
    assert outbox_rows(flow, case_id=case_id, template="parenting/referral_received")
    assert history(flow, case_id)
    assert CONTACTS
