"""Process pages (issue 10): the diagram's Mermaid text for the whole process and for
each stage, the vendored Mermaid started from a static file, and a policy that lets
Mermaid's styles in on these pages only, never an inline script."""

from __future__ import annotations

import re

from tests.api.conftest import Api
from tests.api.test_edge import HTML


def _directives(policy: str) -> dict[str, str]:
    return dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())


def test_a_process_page_carries_its_diagram_and_each_stage_s_for_mermaid(api: Api) -> None:
    page = api.get("/processes/parenting", headers=HTML, as_="worker")
    assert page.status_code == 200
    sources = re.findall(r"<pre class=\"ff-preview\" data-diagram>(.*?)</pre>", page.text, re.S)
    assert len(sources) == 1 + 9  # the whole process, then each of its 9 stages
    assert (
        "awaiting_session_choice --&gt; awaiting_allocation: Choose sessions (PAR-03)"
        in (sources[0])
    )
    assert '<script src="/static/vendor/mermaid/mermaid.min.js"></script>' in page.text
    assert '<script type="module" src="/static/process-diagram.js"></script>' in page.text
    assert 'id="diagram" role="list"' in page.text  # the same as a list, without JavaScript
    for vendored in ("vendor/mermaid/mermaid.min.js", "vendor/mermaid/LICENSE"):
        assert api.get(f"/static/{vendored}", as_=None).status_code == 200


def test_only_process_pages_allow_inline_styles_and_no_page_allows_inline_script(
    api: Api,
) -> None:
    process = _directives(
        api.get("/processes/parenting", headers=HTML).headers["content-security-policy"]
    )
    assert process["script-src"] == "'self'"
    assert process["style-src"] == "'self' 'unsafe-inline'"
    case_id = api.referral()["id"]
    other = _directives(
        api.get(f"/cases/{case_id}", headers=HTML).headers["content-security-policy"]
    )
    assert other["style-src"] == "'self'"
