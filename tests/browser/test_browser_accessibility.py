"""axe-core (from node_modules) on every page type: no serious or critical violations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

PAGES = {
    "overview": "/",
    "overview-other-indicator": "/?indicator=agency_rate_pct&year=2024",
    "authorities": "/authorities",
    "authorities-error": "/authorities?authority=nowhere-at-all",
    "profile": "/authorities/352",
    "profile-former-authority": "/authorities/835",
    "indicators": "/indicators",
    "indicator": "/indicators/cpp_at31_per_10k?authority=352",
    "indicator-no-funnel": "/indicators/caseload",
    "risk": "/risk",
    "risk-help-protection": "/risk?target=help_protection&as_at=2024-06-01",
    "not-found": "/no-such-page",
}


@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_or_critical_axe_violations(
    page: Any, axe_source: str, artifacts: Path, name: str
) -> None:
    page.goto(PAGES[name])
    page.add_script_tag(content=axe_source)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    violations = result["violations"]
    (artifacts / f"axe-{name}.json").write_text(json.dumps(violations, indent=1))
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} nodes, e.g. "
        f"{v['nodes'][0]['target']}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], "\n".join(bad)
