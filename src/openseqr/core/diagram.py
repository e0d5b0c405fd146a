"""Render the lifecycle documentation from THE transition table (docs/lifecycle.md).

`python -m openseqr.core.diagram > docs/lifecycle.md`; a test checks the file is current.
"""

from __future__ import annotations

from .states import FINAL, TRANSITIONS, WIRE, State


def render() -> str:
    lines = [
        "# Invoice lifecycle",
        "",
        "Generated from `openseqr.core.states.TRANSITIONS` by `python -m openseqr.core.diagram`;",
        "do not edit by hand. Internal states (spec 8.2) and the wire status merchants see.",
        "",
        "```mermaid",
        "stateDiagram-v2",
    ]
    for state in State:
        lines.append(f"    {state.value}: {state.value} ({WIRE[state].value})")
    lines.append("    [*] --> issued: sendInvoice")
    for (src, event), dst in TRANSITIONS.items():
        lines.append(f"    {src.value} --> {dst.value}: {event.value}")
    for state in sorted(FINAL, key=lambda s: s.value):
        lines.append(f"    {state.value} --> [*]")
    lines += ["```", "", "| from | event | to | wire status after |", "|---|---|---|---|"]
    for (src, event), dst in TRANSITIONS.items():
        lines.append(f"| {src.value} | {event.value} | {dst.value} | {WIRE[dst].value} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
