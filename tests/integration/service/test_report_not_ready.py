"""D-34c: a terminal report of a shop-wide period is "not ready" for a grace period, then 90."""

from __future__ import annotations

import pytest

from openseqr.core import errors
from openseqr.service import reports
from openseqr.service.auth import authenticate


def test_terminal_report_of_a_shop_period_is_not_ready_then_refused(ctx, clock):
    reseller = authenticate(ctx, "RESELLERUSER", "public_test_shop", "9900", "1234")
    period = reports.mark_transaction_period(ctx, reseller, ())
    params = (
        ("transactionPeriodId", period.period_id),
        ("TERMINALID", "public_test_shop_terminal"),
    )
    with pytest.raises(errors.ReportNotReady):
        reports.execute_report(ctx, reseller, "Reconciliation/STD_RECON_006.xml", params)
    clock.advance(59)
    with pytest.raises(errors.ReportNotReady):
        reports.execute_report(ctx, reseller, "STD_RECON_006", params)
    clock.advance(2)  # past the 60 s grace: the client must stop retrying
    with pytest.raises(errors.UnknownReport):
        reports.execute_report(ctx, reseller, "STD_RECON_006", params)
    # the shop-wide report of the same period is fine
    doc = reports.execute_report(ctx, reseller, "Reconciliation/Shop.xml", params[:1])
    assert doc.content_string.startswith('<?xml version="1.0" encoding="UTF-8"?>')
