# The pipeline: statemachine/pipeline.asl.json, the one definition, with its
# Task resources filled in. The placeholders live inside JSON strings so the
# file stays valid JSON for the local runner; tools/terraform-checks asserts
# that the keys below and the placeholders in the file are the same set.
locals {
  state_machine_definition_path = "${path.module}/../statemachine/pipeline.asl.json"

  state_machine_placeholders = {
    check_seen_function_arn          = aws_lambda_function.this["check-seen"].arn
    age_check_function_arn           = aws_lambda_function.this["age-check"].arn
    score_and_summarise_function_arn = aws_lambda_function.this["score-and-summarise"].arn
    render_html_email_function_arn   = aws_lambda_function.this["render-html-email"].arn
  }
}

resource "aws_cloudwatch_log_group" "state_machine" {
  # /aws/vendedlogs/ keeps the log delivery from growing the account's
  # CloudWatch Logs resource policy with one entry per log group.
  name              = "/aws/vendedlogs/states/${var.name}-pipeline"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = local.tags
}

resource "aws_sfn_state_machine" "this" {
  # checkov:skip=CKV_AWS_284:X-Ray tracing is optional cost; the execution logs (every event, with data) and the ExecutionsFailed/TimedOut alarms cover diagnosis.
  name     = "${var.name}-pipeline"
  type     = var.workflow_type
  role_arn = aws_iam_role.state_machine.arn

  definition = templatefile(local.state_machine_definition_path, local.state_machine_placeholders)

  # Express executions keep no execution history: these logs are their only
  # record, so they include the execution data (the state input and output).
  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.state_machine.arn}:*"
    include_execution_data = true
    level                  = var.state_machine_log_level
  }

  tags = local.tags

  depends_on = [aws_iam_role_policy.state_machine]
}
