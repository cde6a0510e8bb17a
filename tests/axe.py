"""axe-core in the browser tests: serious and critical accessibility violations fail them.

axe-core is vendored (``tests/vendor/axe/``, see its README), injected into the page under test
and run there.  Minor and moderate findings are left to review; serious and critical ones (a
contrast below 4.5:1, a scrolling region no keyboard can reach, a control without a name...)
fail with the rule, the elements and what axe says to fix.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Error as PlaywrightError

AXE = Path(__file__).resolve().parent / "vendor" / "axe" / "axe.min.js"
BLOCKING = ("serious", "critical")

_RUN = """async (context) => {
  const result = await axe.run(context || document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary}))}));
}"""


def _inject(page) -> None:
    if page.evaluate("() => typeof window.axe === 'object'"):
        return
    try:
        page.add_script_tag(path=str(AXE))
    except PlaywrightError:
        # a strict Content-Security-Policy (the console's) refuses the inline script tag; the
        # browser's own evaluation (the devtools protocol) is not subject to it
        page.evaluate(AXE.read_text(encoding="utf-8"))


def violations(page, context: str | None = None) -> list[dict]:
    """Every violation axe finds on ``page`` (or inside the ``context`` selector)."""
    _inject(page)
    found: list[dict] = page.evaluate(_RUN, context)
    return found


def check(page, where: str, context: str | None = None) -> None:
    """Fail when axe finds a serious or critical violation; the message lists them."""
    blocking = [v for v in violations(page, context) if v["impact"] in BLOCKING]
    lines = [f"{where}: {len(blocking)} serious/critical accessibility violation(s)"]
    for v in blocking:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:8]:
            summary = " ".join((node["summary"] or "").split())[:300]
            lines.append(f"    {node['target']}: {summary}")
    assert not blocking, "\n".join(lines)
