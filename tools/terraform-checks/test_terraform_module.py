"""The hushhub Terraform module (terraform/) keeps its promises, offline.

No AWS account and no provider are involved: the module is read with
python-hcl2, and the state machine definition is rendered by `terraform
console` in a provider-free temporary folder.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

import gen_readme_tables
import tfmodule

# Every environment variable Config::from_env() reads, and nothing else.
# The one list on the Terraform side; the Rust test in tests/ cross-checks it
# (and local.function_environment in terraform/lambda.tf) against the consts of
# crates/core/src/config.rs. Required by Config::from_env(): TABLE_NAME, SENDER,
# RECIPIENTS; the others have defaults in the Rust code but are always set here.
CONFIG_FROM_ENV_VARIABLES = (
    "HUSHHUB_TABLE_NAME",
    "HUSHHUB_SENDER",
    "HUSHHUB_RECIPIENTS",
    "HUSHHUB_RENOTIFY_AFTER",
    "HUSHHUB_ALERT_SEVERITIES",
    "HUSHHUB_ALERT_PRODUCTS",
    "HUSHHUB_ECR_LATEST_ONLY",
    "HUSHHUB_BEDROCK_ENABLED",
    "HUSHHUB_BEDROCK_MODEL_ID",
    "HUSHHUB_SECURITYHUB_NOTES_ENABLED",
    "HUSHHUB_SES_CONFIGURATION_SET",
    "HUSHHUB_ACCOUNT_ALIASES",
    "HUSHHUB_SILENCES",
    "HUSHHUB_RESOLVED_NOTICES",
    "HUSHHUB_ROUTES",
    "HUSHHUB_OWNER_TAG_KEY",
)

FUNCTIONS = ("check-seen", "age-check", "score-and-summarise", "render-html-email", "daily-reaper")
PIPELINE_FUNCTIONS = ("check-seen", "age-check", "score-and-summarise", "render-html-email")

# One vocabulary: HUSHHUB_<X> comes from var.<x>, except where the value is
# not a variable (the table) or the variable names its unit.
ENV_SOURCE_EXCEPTIONS = {
    "HUSHHUB_TABLE_NAME": "aws_dynamodb_table.this.name",
    "HUSHHUB_RENOTIFY_AFTER": "var.renotify_after_days",
}

PLACEHOLDER_VALUE = re.compile(r'^aws_lambda_function\.this\["([a-z-]+)"\]\.arn$')


def fake_function_arn(function: str) -> str:
    return f"arn:aws:lambda:eu-west-1:111122223333:function:hushhub-{function}"


def placeholder_functions() -> dict[str, str]:
    """Placeholder key -> the function whose ARN the module passes for it."""
    mapping = {}
    for key, expr in tfmodule.state_machine_placeholders().items():
        match = PLACEHOLDER_VALUE.match(expr)
        assert match, f"placeholder {key} must be a function ARN, got {expr}"
        mapping[key] = match.group(1)
    return mapping


def hcl_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid HCL string literal here


def terraform_console(folder: str, expression: str) -> str:
    """The last line `terraform console` prints for `expression`, run in `folder`."""
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("terraform is not on the PATH")
    env = dict(os.environ, TF_CLI_CONFIG_FILE="/dev/null", TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1")
    result = subprocess.run(
        [terraform, "console", "-no-color"],
        input=expression + "\n",
        capture_output=True,
        text=True,
        cwd=folder,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, f"terraform console failed:\n{result.stderr}"
    return result.stdout.strip().splitlines()[-1].strip()


def render_with_terraform_console(placeholders: dict[str, str]) -> str:
    with tempfile.TemporaryDirectory(prefix="hushhub-asl-") as tmp:
        # A folder with no .tf file requires no provider: console runs without init.
        shutil.copy(tfmodule.ASL_PATH, Path(tmp) / "pipeline.asl.json")
        vars_map = ", ".join(f"{key} = {hcl_string(value)}" for key, value in sorted(placeholders.items()))
        encoded = terraform_console(tmp, f'base64encode(templatefile("pipeline.asl.json", {{ {vars_map} }}))')
    return base64.b64decode(encoded.strip('"')).decode("utf-8")


def task_resources(node) -> list[str]:
    """The Resource of every Task state, Map item processors included."""
    found = []
    if isinstance(node, dict):
        if node.get("Type") == "Task":
            found.append(node["Resource"])
        for value in node.values():
            found += task_resources(value)
    elif isinstance(node, list):
        for value in node:
            found += task_resources(value)
    return found


# --- state machine definition -------------------------------------------------


def test_state_machine_loads_the_one_definition_with_the_placeholder_map():
    sfn = tfmodule.resources("stepfunctions.tf", "aws_sfn_state_machine")["this"]
    assert tfmodule.unwrap(sfn["definition"]) == (
        "templatefile(local.state_machine_definition_path, local.state_machine_placeholders)"
    )
    path = tfmodule.locals_of("stepfunctions.tf")["state_machine_definition_path"]
    assert path == "${path.module}/../statemachine/pipeline.asl.json"
    assert (tfmodule.MODULE_DIR / "../statemachine/pipeline.asl.json").resolve() == tfmodule.ASL_PATH


def test_definition_placeholders_are_exactly_the_keys_the_module_passes():
    in_file = tfmodule.asl_placeholders(tfmodule.ASL_PATH.read_text(encoding="utf-8"))
    passed = set(tfmodule.state_machine_placeholders())
    assert in_file - passed == set(), "placeholders the module does not supply"
    assert passed - in_file == set(), "keys the module passes that the definition does not use"


def test_placeholders_name_the_four_pipeline_functions_and_not_the_reaper():
    assert sorted(placeholder_functions().values()) == sorted(PIPELINE_FUNCTIONS)
    for key, function in placeholder_functions().items():
        assert key == function.replace("-", "_") + "_function_arn"


def test_rendered_definition_is_json_with_every_task_on_a_module_function():
    placeholders = {key: fake_function_arn(fn) for key, fn in placeholder_functions().items()}
    rendered = render_with_terraform_console(placeholders)

    assert "${" not in rendered
    definition = json.loads(rendered)
    resources = task_resources(definition)
    assert resources, "the definition has no Task state"
    assert set(resources) == set(placeholders.values())

    # templatefile() changed nothing but the placeholders: no template escape
    # ("$${", "%{") altered the JSONPath strings such as "$$.Map.Item.Value".
    source = tfmodule.ASL_PATH.read_text(encoding="utf-8")
    for key, value in placeholders.items():
        source = source.replace("${" + key + "}", value)
    assert definition == json.loads(source)


# --- function environment -----------------------------------------------------


def test_function_environment_is_exactly_what_config_from_env_reads():
    assert list(tfmodule.function_environment()) == list(CONFIG_FROM_ENV_VARIABLES)


def test_every_function_gets_the_function_environment():
    function = tfmodule.resources("lambda.tf", "aws_lambda_function")["this"]
    assert tfmodule.unwrap(function["for_each"]) == "local.function_settings"
    assert tfmodule.unwrap(function["environment"][0]["variables"]) == "local.function_environment"
    defaults = tfmodule.locals_of("main.tf")["default_function_settings"]
    assert sorted(defaults) == sorted(FUNCTIONS)


def test_each_environment_variable_comes_from_the_variable_of_the_same_name():
    variables = tfmodule.variables()
    for env_name, expr in tfmodule.function_environment().items():
        source = ENV_SOURCE_EXCEPTIONS.get(env_name, "var." + env_name.removeprefix("HUSHHUB_").lower())
        assert re.search(rf"(?<![\w.]){re.escape(source)}(?!\w)", expr), f"{env_name} = {expr} must use {source}"
        if source.startswith("var."):
            assert source.removeprefix("var.") in variables
            assert env_name in variables[source.removeprefix("var.")]["description"], (
                f"the description of {source} must name {env_name}"
            )


def test_function_runtime_and_packaging():
    function = tfmodule.resources("lambda.tf", "aws_lambda_function")["this"]
    assert function["runtime"] == "provided.al2023"
    assert function["handler"] == "bootstrap"
    assert function["architectures"] == ["arm64"]
    assert function["filename"] == "${local.artifacts_dir}/${each.key}/bootstrap.zip"


def environment_size_condition(environment: dict[str, str]) -> bool:
    """The functions' environment-size precondition, evaluated by `terraform console` with
    `local.function_environment` replaced by `environment`."""
    function = tfmodule.resources("lambda.tf", "aws_lambda_function")["this"]
    condition = function["lifecycle"][0]["precondition"][0]["condition"]
    assert condition.startswith("${") and condition.endswith("}")
    expression = condition[2:-1].replace("local.function_environment", "local.environment")
    assert "local.environment" in expression, condition
    with tempfile.TemporaryDirectory(prefix="hushhub-env-") as tmp:
        # A folder whose only .tf file declares a local requires no provider.
        pairs = ", ".join(f"{key} = {hcl_string(value)}" for key, value in environment.items())
        (Path(tmp) / "main.tf").write_text(f"locals {{\n  environment = {{ {pairs} }}\n}}\n")
        return terraform_console(tmp, expression) == "true"


def test_an_environment_over_lambdas_4_kb_fails_the_plan():
    small = {name: "x" * 10 for name in CONFIG_FROM_ENV_VARIABLES}
    assert environment_size_condition(small)
    routes = json.dumps([
        {"name": f"team-{i}", "accounts": ["111122223333"], "recipients": [f"team-{i}-security@example.com"]}
        for i in range(50)
    ])
    assert len(routes) > 4096
    assert not environment_size_condition({**small, "HUSHHUB_ROUTES": routes})


# --- variables, outputs, README -------------------------------------------------


def test_every_variable_is_typed_and_described():
    for name, var in tfmodule.variables().items():
        assert var.get("type"), f"variable {name} has no type"
        assert var.get("description"), f"variable {name} has no description"


def test_every_output_is_described():
    for name, output in tfmodule.outputs().items():
        assert output.get("description"), f"output {name} has no description"


def test_readme_tables_match_variables_and_outputs():
    diff = gen_readme_tables.check()
    assert diff == "", (
        "terraform/README.md is stale; run "
        "`.venv/tf-checks/bin/python tools/terraform-checks/gen_readme_tables.py --write`\n" + diff
    )


def test_readme_inputs_table_lists_every_variable_once():
    text = tfmodule.README_PATH.read_text(encoding="utf-8")
    inputs = text.split("## Inputs", 1)[1].split("## Outputs", 1)[0]
    rows = [line.split("|")[1].strip() for line in inputs.splitlines() if line.startswith("| ") and "---" not in line]
    assert sorted(rows[1:]) == sorted(tfmodule.variables())  # rows[0] is the header


# --- IAM --------------------------------------------------------------------------


def test_no_policy_statement_has_a_wildcard_action():
    statements = list(tfmodule.policy_statements())
    assert statements
    for file, doc, statement in statements:
        assert "not_actions" not in statement, f"{file}: {doc} uses not_actions"
        for action in statement.get("actions", []):
            assert "*" not in action, f"{file}: {doc} allows the wildcard action {action}"


def _resource_lines(lines: list[str]):
    """(index, line) of each line inside a `resources = ...` attribute."""
    inside = False
    depth = 0
    for i, line in enumerate(lines):
        code = line.split("#", 1)[0]
        if not inside and re.match(r"\s*resources\s*=", code):
            inside = True
            depth = 0
        if inside:
            yield i, line
            depth += code.count("[") + code.count("(") - code.count("]") - code.count(")")
            if depth <= 0:
                inside = False


def test_every_wildcard_resource_carries_a_comment():
    checked = 0
    for name in tfmodule.module_files():
        lines = (tfmodule.MODULE_DIR / name).read_text(encoding="utf-8").splitlines()
        for i, line in _resource_lines(lines):
            code = line.split("#", 1)[0]
            strings = re.findall(r'"((?:[^"\\]|\\.)*)"', code)
            if not any("*" in s for s in strings):
                continue
            checked += 1
            same_line = "#" in line and line.split("#", 1)[1].strip()
            line_above = lines[i - 1].strip().startswith("#") if i > 0 else False
            assert same_line or line_above, f"{name}:{i + 1}: a '*' resource needs a comment saying why: {line.strip()}"
    assert checked > 0, "found no wildcard resource at all: the scan is probably broken"


def test_no_policy_statement_allows_a_bare_wildcard_resource_silently():
    # Cross-check of the text scan above with the parsed policies: every
    # statement with a "*" resource is one the scan saw in a resources list.
    for file, doc, statement in tfmodule.policy_statements():
        for resource in statement.get("resources", []):
            if "*" in str(resource):
                assert "not_resources" not in statement
                assert statement.get("sid"), f"{file}: {doc}: a statement with a '*' resource needs a sid"
