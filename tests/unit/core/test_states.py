"""The transition table is the lifecycle: these tests pin the rules of spec 8.3."""

import pytest

from openseqr.core.errors import InvalidTransition
from openseqr.core.states import FINAL, TRANSITIONS, WIRE, Event, State, next_state

S, E = State, Event


@pytest.mark.parametrize(
    ("state", "event", "expected"),
    [
        (S.ISSUED, E.VIEW, S.VIEWED),  # T2
        (S.VIEWED, E.REQUIRE_ACK, S.AWAITING_ACK),  # T3
        (S.AWAITING_ACK, E.UPDATE, S.VIEWED),  # T4
        (S.VIEWED, E.CONFIRM_PIN, S.PAYING),  # T6
        (S.PAYING, E.DEBIT_OK, S.PAID_UNACKED),  # T7
        (S.PAYING, E.RESERVE_OK, S.RESERVED),  # T8
        (S.PAYING, E.DECLINED, S.FAILED),  # T9
        (S.PAID_UNACKED, E.ACKNOWLEDGE, S.PAID),  # T10
        (S.PAID_UNACKED, E.ACK_WINDOW_ELAPSED, S.REVERSED),  # T11
        (S.AWAITING_ACK, E.MERCHANT_CANCEL, S.CANCELLED),  # T12
        (S.VIEWED, E.SUPERSEDE, S.CANCELLED),  # T13
        (S.ISSUED, E.USER_CANCEL, S.CANCELLED),  # T14
        (S.RESERVED, E.UPDATE, S.RESERVED),  # T15
        (S.RESERVED, E.COMMIT, S.PAID),  # T16
        (S.RESERVED, E.COMMIT_DEADLINE, S.CANCELLED),  # T17
        (S.RESERVED, E.MERCHANT_CANCEL, S.CANCELLED),  # T18
        (S.VIEWED, E.EXPIRE, S.CANCELLED),  # T19
        (S.RESERVED, E.TERMINAL_UNREGISTERED, S.CANCELLED),  # T20
        (S.PAID, E.REFUND, S.PAID),  # T21
    ],
)
def test_spec_transitions(state, event, expected):
    assert next_state(state, event) is expected


def test_final_states_only_allow_refund_on_paid():
    for (state, event), _ in TRANSITIONS.items():
        if state in FINAL:
            assert (state, event) == (S.PAID, E.REFUND)


@pytest.mark.parametrize(
    ("state", "event"),
    [
        (S.PAID, E.MERCHANT_CANCEL),
        (S.PAYING, E.MERCHANT_CANCEL),
        (S.CANCELLED, E.CONFIRM_PIN),
        (S.PAID_UNACKED, E.REFUND),
        (S.AWAITING_ACK, E.CONFIRM_PIN),
        (S.FAILED, E.DEBIT_OK),
    ],
)
def test_missing_pairs_are_refused(state, event):
    with pytest.raises(InvalidTransition):
        next_state(state, event)


def test_every_state_has_a_wire_status_from_the_wsdl():
    assert set(WIRE) == set(State)
    assert {w.value for w in WIRE.values()} == {
        "ISSUED",
        "PAID",
        "PENDING_ISSUER_ACKNOWLEDGE",
        "CANCELED",
        "FAILED",
        "RESERVED",
    }


def test_every_non_final_state_can_end():
    """No state is a trap: from each live state some path reaches a final state."""
    graph: dict[State, set[State]] = {}
    for (a, _), b in TRANSITIONS.items():
        graph.setdefault(a, set()).add(b)
    for start in State:
        seen, todo = set(), [start]
        while todo:
            s = todo.pop()
            if s in seen:
                continue
            seen.add(s)
            todo.extend(graph.get(s, ()))
        assert seen & FINAL, start


def test_lifecycle_doc_is_generated_from_the_table():
    from pathlib import Path

    from openseqr.core.diagram import render

    doc = Path(__file__).parents[3] / "docs" / "lifecycle.md"
    assert doc.read_text() == render(), "run: python -m openseqr.core.diagram > docs/lifecycle.md"
