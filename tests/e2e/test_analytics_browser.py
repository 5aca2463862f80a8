"""The analytics page in headless Chromium after a few sessions: the heatmap drawn on the
diagram by bpmn-js, the funnel and the paths, in English and in Russian (screenshots in
tests/e2e/screenshots/analytics-*.png)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.harness import Live, drive
from tests.integration.test_script_analytics import CHAT_BOT, run_sessions

pytestmark = pytest.mark.browser


def test_the_heatmap_colours_steps_by_drop_off(
    live: Live, tokens: dict[str, str], deploy: Any, key: str, client: Any
) -> None:
    deploy(CHAT_BOT, key)
    run_sessions(client, tokens["bot"], key)
    result = drive(
        "analytics_walk.js",
        CUEBOOK_URL=live.url,
        CUEBOOK_TOKEN=tokens["methodologist"],
        CUEBOOK_PAGE=f"/editor/scripts/{key}/analytics",
    )
    assert result["ok"], result.get("error")
    assert not result["pageErrors"] and not result["console"], result
    en, ru = result["pages"]["en"], result["pages"]["ru"]
    for page in (en, ru):
        assert page["state"] == "ready", page
        assert not page["overflowing"]
        assert page["back"].endswith("/editor/")
        # every task and event some session reached gets a badge (gateways do not): 8
        assert page["marked"] == 8 and len(page["badges"]) == 8
        assert "gw_menu" not in page["heat"]
        # the handed-off step drops everyone who reached it; the menu's one waiting
        # session is not abandoned yet, so nobody dropped off there
        assert page["heat"]["operator_takeover"] == "cb-heat-3"
        assert page["heat"]["main_menu"] == "cb-heat-0"
        assert page["heat"]["anything_else"] == "cb-heat-0"
        assert page["tiles"][:4] == ["5", "3", "1", "0"]
        assert len(page["funnel"]) == 6 and len(page["paths"]) == 2
    assert "1 ↓100" in " ".join(en["badges"]) and "5" in en["badges"]
    assert en["lang"] == "en" and en["heading"].startswith("Analytics: ")
    assert ru["lang"] == "ru" and ru["heading"].startswith("Аналитика: ")
    assert ru["funnel"][0].startswith("Начато сессий")
