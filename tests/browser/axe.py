"""axe-core in the browser: run its rules on a page and describe what fails.

The vendored ``vendor/axe-core/axe.min.js`` (see its VERSION and LICENSE) is
evaluated through the DevTools protocol, which the page's
Content-Security-Policy does not govern, so the policy stays on during checks.
"""

from functools import cache
from pathlib import Path

AXE_JS = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"

# WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best practices.
TAGS = [
    "wcag2a",
    "wcag2aa",
    "wcag21a",
    "wcag21aa",
    "wcag22a",
    "wcag22aa",
    "best-practice",
]

RUN = """async tags => {
  const results = await axe.run(document, {
    runOnly: { type: "tag", values: tags },
    resultTypes: ["violations"],
  });
  return results.violations.map(v => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    targets: v.nodes.map(n => ({
      target: n.target.join(" "),
      summary: n.failureSummary,
    })),
  }));
}"""


@cache
def axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def violations(page) -> list[dict]:
    """axe's violations on the page as it is now (any impact)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    return page.evaluate(RUN, TAGS)


def describe(found: dict[str, list[dict]]) -> str:
    """One line per failing rule and page, then each target and why."""
    lines = []
    for where, rules in found.items():
        for rule in rules:
            lines.append(f"{where}: {rule['id']} ({rule['impact']}) {rule['help']}")
            for node in rule["targets"]:
                summary = " ".join((node["summary"] or "").split())
                lines.append(f"    {node['target']}  -- {summary[:300]}")
    return "\n".join(lines)
