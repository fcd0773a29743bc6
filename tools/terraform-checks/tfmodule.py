"""Read the hushhub Terraform module (terraform/) as data, with python-hcl2.

Shared by gen_readme_tables.py and the tests, so both see the module the same
way. Expressions come back as HCL source text wrapped in "${...}"; literals
come back as Python values.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

import hcl2
from hcl2 import SerializationOptions

REPO_ROOT = Path(__file__).resolve().parents[2]
MODULE_DIR = REPO_ROOT / "terraform"
ASL_PATH = REPO_ROOT / "statemachine" / "pipeline.asl.json"
README_PATH = MODULE_DIR / "README.md"

_OPTIONS = SerializationOptions(
    with_comments=False,
    explicit_blocks=False,
    strip_string_quotes=True,
)


@lru_cache(maxsize=None)
def load(name: str) -> dict[str, Any]:
    """Parse one .tf file of the module (e.g. "lambda.tf")."""
    with open(MODULE_DIR / name, encoding="utf-8") as f:
        return hcl2.load(f, serialization_options=_OPTIONS)


def module_files() -> list[str]:
    """The module's own .tf files (examples/ excluded)."""
    return sorted(p.name for p in MODULE_DIR.glob("*.tf"))


def unwrap(expr: Any) -> Any:
    """'${var.x}' -> 'var.x'; anything else unchanged."""
    if isinstance(expr, str) and expr.startswith("${") and expr.endswith("}"):
        return expr[2:-1]
    return expr


def blocks(name: str, kind: str) -> dict[str, Any]:
    """Top-level blocks of one kind in one file: variable, output, ..."""
    merged: dict[str, Any] = {}
    for block in load(name).get(kind, []):
        merged.update(block)
    return merged


def all_blocks(kind: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for name in module_files():
        merged.update(blocks(name, kind))
    return merged


def locals_of(name: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for block in load(name).get("locals", []):
        merged.update(block)
    return merged


def resources(name: str, rtype: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for block in load(name).get("resource", []):
        merged.update(block.get(rtype, {}))
    return merged


def variables() -> dict[str, Any]:
    return blocks("variables.tf", "variable")


def outputs() -> dict[str, Any]:
    return blocks("outputs.tf", "output")


def function_environment() -> dict[str, str]:
    """local.function_environment of lambda.tf: env var name -> expression."""
    return {k: unwrap(v) for k, v in locals_of("lambda.tf")["function_environment"].items()}


def state_machine_placeholders() -> dict[str, str]:
    """local.state_machine_placeholders of stepfunctions.tf: key -> expression."""
    return {k: unwrap(v) for k, v in locals_of("stepfunctions.tf")["state_machine_placeholders"].items()}


def asl_placeholders(text: str) -> set[str]:
    """Every ${name} template placeholder in a definition ($${x} is a literal)."""
    return set(re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)\}", text))


def policy_statements() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(file, policy document name, statement) for every statement of every
    aws_iam_policy_document data source of the module, dynamic ones included
    (their `content`)."""
    for name in module_files():
        for block in load(name).get("data", []):
            for doc_name, doc in block.get("aws_iam_policy_document", {}).items():
                for statement in doc.get("statement", []):
                    yield name, doc_name, statement
                for dynamic in doc.get("dynamic", []):
                    for content in dynamic.get("statement", {}).get("content", []):
                        yield name, doc_name, content
