"""The operator's inbox and the workload report in headless Chromium, in English and
Russian, with screenshots (tests/e2e/screenshots/workspace-*.png)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import auth
from tests.e2e.harness import Live, drive
from tests.integration.test_inbox import desk, scheduled_callback, start_handed_off  # noqa: F401
from tests.integration.test_tickets import open_ticket
from tests.integration.test_workload_report import scene  # noqa: F401
from tests.support.workspace import make_operator

pytestmark = pytest.mark.browser


def test_the_inbox_and_the_workload_report_pages(
    live: Live,
    client: Any,
    tokens: dict[str, str],
    services: Any,
    desk: dict[str, str],  # noqa: F811
    scene: dict[str, Any],  # noqa: F811
) -> None:
    token, _login, operator_id = make_operator(services)
    customer = "cust-browser-1"
    open_ticket(client, tokens["bot"], desk["routing"], customer_key=customer, category="delivery",
                subject="Parcel late")  # fmt: skip
    ticket = open_ticket(client, tokens["bot"], desk["routing"], customer_key=customer,
                         subject="Charged twice for the May invoice").get_json()  # fmt: skip
    item = ticket["work_items"][0]["id"]
    assert client.post(f"/api/v1/work-items/{item}/claim", headers=auth(token)).status_code == 200
    talk = start_handed_off(client, tokens, desk["chat"], customer)
    assert client.post(f"/api/v1/sessions/{talk}/claim", headers=auth(token)).status_code == 200
    promised = scheduled_callback(services, operator_id, customer)

    result = drive(
        "workspace_walk.js",
        CUEBOOK_URL=live.url,
        CUEBOOK_OPERATOR_TOKEN=token,
        CUEBOOK_SUPERVISOR_TOKEN=tokens["methodologist"],
        CUEBOOK_REPORT_QUERY=f"from=2019-03-04&to=2019-03-05&group={scene['g']}",
        CUEBOOK_SHOTS="workspace",
    )
    assert result["ok"], result.get("error")
    inbox = result["inbox"]
    assert inbox["heading"] == "My inbox" and result["inboxRu"]["heading"] == "Мои входящие"
    kinds = {(i["kind"], i["id"]) for i in inbox["items"]}
    assert kinds == {("conversation", talk), ("work_item", item)}
    assert all(i["history"] == 2 for i in inbox["items"])  # the other two of the customer's
    assert inbox["callbacks"] == [promised] and inbox["nav"] == ["My inbox"]
    assert not inbox["overflowing"] and not result["inboxRu"]["overflowing"]

    report = result["report"]
    assert report["heading"] == "Workload" and result["reportRu"]["heading"] == "Нагрузка"
    assert len(report["charts"]) == 4 and all(c["bars"] > 0 for c in report["charts"])
    assert set(report["operators"]) == {scene["a"], scene["b"]} and report["groups"] == [scene["g"]]
    assert not report["overflowing"] and not result["reportRu"]["overflowing"]
    assert result["csv"]["status"] == 200 and result["csv"]["type"].startswith("text/csv")
    assert result["csv"]["lines"] == 4  # the header, two operators, the group
    assert result["pageErrors"] == [] and result["console"] == []
