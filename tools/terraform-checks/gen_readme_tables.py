"""Generate the tables of terraform/README.md from the module itself.

    python tools/terraform-checks/gen_readme_tables.py --write   # update README
    python tools/terraform-checks/gen_readme_tables.py           # check only

Two generated regions, terraform-docs style, each between its markers:
  BEGIN_TF_DOCS / END_TF_DOCS    requirements, inputs (variables.tf), outputs
  BEGIN_ENV_DOCS / END_ENV_DOCS  the function environment (lambda.tf)
Everything else in the README is written by hand. The check mode exits 1 with
a diff when a region is stale; the test suite calls check().
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from typing import Any

import tfmodule

REGIONS = {
    "TF_DOCS": lambda: render_tf_docs(),
    "ENV_DOCS": lambda: render_env_docs(),
}


def _cell(text: str) -> str:
    """One markdown table cell: no raw pipes, no line breaks, and no "<x>"
    outside code spans that a renderer would swallow as an HTML tag."""
    parts = " ".join(str(text).split()).replace("|", "\\|").split("`")
    for i in range(0, len(parts), 2):
        parts[i] = parts[i].replace("<", "&lt;").replace(">", "&gt;")
    return "`".join(parts)


def _code(text: str) -> str:
    return f"`{text}`"


def format_type(var: dict[str, Any]) -> str:
    return _code(tfmodule.unwrap(var.get("type", "any")))


def format_default(var: dict[str, Any]) -> str:
    if "default" not in var:
        return "n/a"
    value = var["default"]
    if isinstance(value, str) and value.startswith("${"):
        return _code(tfmodule.unwrap(value))
    return _code(json.dumps(value, separators=(", ", ": ")))


def is_required(var: dict[str, Any]) -> bool:
    return "default" not in var


def render_tf_docs() -> str:
    versions = tfmodule.load("versions.tf")["terraform"][0]
    lines = ["## Requirements", "", "| Name | Version |", "|------|---------|"]
    lines.append(f"| terraform | {_cell(versions['required_version'])} |")
    for provider in versions["required_providers"]:
        for name, spec in provider.items():
            lines.append(f"| {name} | {_cell(spec['version'])} |")

    variables = tfmodule.variables()
    order = sorted(variables, key=lambda n: (not is_required(variables[n]), n))
    lines += [
        "",
        "## Inputs",
        "",
        "| Name | Description | Type | Default | Required |",
        "|------|-------------|------|---------|:--------:|",
    ]
    for name in order:
        var = variables[name]
        lines.append(
            f"| {_cell(name)} | {_cell(var.get('description', ''))} | {_cell(format_type(var))} "
            f"| {_cell(format_default(var))} | {'yes' if is_required(var) else 'no'} |"
        )

    outputs = tfmodule.outputs()
    lines += ["", "## Outputs", "", "| Name | Description |", "|------|-------------|"]
    for name in sorted(outputs):
        lines.append(f"| {_cell(name)} | {_cell(outputs[name].get('description', ''))} |")
    return "\n".join(lines)


def render_env_docs() -> str:
    lines = [
        "| Environment variable | Set from |",
        "|----------------------|----------|",
    ]
    for name, expr in tfmodule.function_environment().items():
        lines.append(f"| {_cell(_code(name))} | {_cell(_code(expr))} |")
    return "\n".join(lines)


def _region_pattern(region: str) -> re.Pattern[str]:
    return re.compile(
        rf"(<!-- BEGIN_{region} -->\n)(.*?)(<!-- END_{region} -->)",
        re.S,
    )


def regenerate(text: str) -> str:
    """The README text with every generated region brought up to date."""
    for region, render in REGIONS.items():
        pattern = _region_pattern(region)
        if not pattern.search(text):
            raise SystemExit(f"README has no <!-- BEGIN_{region} --> ... <!-- END_{region} --> region")
        body = render()
        text = pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(3), text, count=1)
    return text


def check() -> str:
    """A unified diff of the stale regions, or "" when the README is in sync."""
    current = tfmodule.README_PATH.read_text(encoding="utf-8")
    expected = regenerate(current)
    return "".join(
        difflib.unified_diff(
            current.splitlines(keepends=True),
            expected.splitlines(keepends=True),
            fromfile="terraform/README.md",
            tofile="terraform/README.md (regenerated)",
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the generated regions in place")
    args = parser.parse_args()
    if args.write:
        current = tfmodule.README_PATH.read_text(encoding="utf-8")
        tfmodule.README_PATH.write_text(regenerate(current), encoding="utf-8")
        return 0
    diff = check()
    if diff:
        sys.stdout.write(diff)
        sys.stdout.write("\nterraform/README.md is stale: run python tools/terraform-checks/gen_readme_tables.py --write\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
