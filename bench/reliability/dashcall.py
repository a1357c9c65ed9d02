"""Call Dash callbacks over HTTP the way the browser does (`POST /_dash-update-component`).

`dependencies(get)` reads `/_dash-dependencies`; `payload(dep, values)` builds the
request body for one callback from its dependency entry and a value per input/state
(missing ones are None), so suites can drive every callback generically.
"""

from __future__ import annotations

from typing import Any

PAGES_CONTENT = "_pages_content.children"


def _outputs(spec: str) -> list[dict[str, str]]:
    parts = spec.strip(".").split("...") if spec.startswith("..") else [spec]
    shaped = []
    for part in parts:
        ident, prop = part.split("@")[0].rsplit(".", 1)
        shaped.append({"id": ident, "property": prop})
    return shaped


def payload(dep: dict[str, Any], values: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON body of one callback call; `values` maps "id.property" to a value."""
    values = values or {}
    outputs = _outputs(dep["output"])

    def entries(kind: str) -> list[dict[str, Any]]:
        return [{"id": e["id"], "property": e["property"], "value": values.get(f"{e['id']}.{e['property']}")}
                for e in dep[kind]]

    inputs = entries("inputs")
    return {
        "output": dep["output"],
        "outputs": outputs if dep["output"].startswith("..") else outputs[0],
        "inputs": inputs,
        "state": entries("state"),
        "changedPropIds": [f"{e['id']}.{e['property']}" for e in inputs],
    }


def find(deps: list[dict[str, Any]], output_part: str) -> dict[str, Any]:
    """The dependency whose output spec contains `output_part`."""
    for dep in deps:
        if output_part in dep["output"]:
            return dep
    raise KeyError(output_part)


def page_payload(deps: list[dict[str, Any]], pathname: str, search: str) -> dict[str, Any]:
    """The call that renders a page's content (what the browser does on navigation)."""
    return payload(find(deps, PAGES_CONTENT), {"_pages_location.pathname": pathname,
                                               "_pages_location.search": search})
