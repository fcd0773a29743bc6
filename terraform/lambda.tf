# The five functions, built by cargo-lambda (arm64, provided.al2023).
#
# function_environment is the one place where Terraform variables become the
# environment that Config::from_env() reads. Every function gets all of it, so
# a function never fails at start for a variable another one needed. Keep the
# keys literal: tools/terraform-checks and the Rust tests/ parse this block.
locals {
  function_environment = {
    HUSHHUB_TABLE_NAME                = aws_dynamodb_table.this.name
    HUSHHUB_SENDER                    = var.sender
    HUSHHUB_RECIPIENTS                = join(",", var.recipients)
    HUSHHUB_RENOTIFY_AFTER            = join(",", [for severity in local.severity_order : "${severity}=${var.renotify_after_days[severity]}d" if contains(keys(var.renotify_after_days), severity)])
    HUSHHUB_ALERT_SEVERITIES          = join(",", var.alert_severities)
    HUSHHUB_ALERT_PRODUCTS            = join(",", var.alert_products)
    HUSHHUB_ECR_LATEST_ONLY           = tostring(var.ecr_latest_only)
    HUSHHUB_BEDROCK_ENABLED           = tostring(var.bedrock_enabled)
    HUSHHUB_BEDROCK_MODEL_ID          = var.bedrock_model_id
    HUSHHUB_SECURITYHUB_NOTES_ENABLED = tostring(var.securityhub_notes_enabled)
    HUSHHUB_SES_CONFIGURATION_SET     = var.ses_configuration_set == null ? "" : var.ses_configuration_set
    HUSHHUB_ACCOUNT_ALIASES           = join(",", [for account, alias in var.account_aliases : "${account}=${alias}"])
    HUSHHUB_SILENCES                  = jsonencode([for s in var.silences : { for k, v in s : k => v if v != null }])
    HUSHHUB_RESOLVED_NOTICES          = tostring(var.resolved_notices)
    HUSHHUB_ROUTES                    = jsonencode([for r in var.routes : { for k, v in r : k => v if length(v) > 0 }])
    HUSHHUB_OWNER_TAG_KEY             = var.owner_tag_key
  }

  severity_order = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"]

  function_descriptions = {
    "check-seen"          = "hushhub: validates a finding, drops resolved/ignored ones, claims the first alert of a new one; also releases a claim whose email failed."
    "age-check"           = "hushhub: re-alerts a seen finding only when its renotify_after window has passed or its severity rose."
    "score-and-summarise" = "hushhub: deterministic priority score plus a summary (Claude through Bedrock, or the fallback)."
    "render-html-email"   = "hushhub: renders the alert email (HTML and plain text) and sends it through SES; also sends resolved notices."
    "daily-reaper"        = "hushhub: daily cleanup; forgets findings Security Hub reports resolved, archived, suppressed, passed or gone."
  }
}

resource "aws_cloudwatch_log_group" "function" {
  for_each = local.function_settings

  name              = "/aws/lambda/${var.name}-${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = local.tags
}

resource "aws_lambda_function" "this" {
  for_each = local.function_settings

  # checkov:skip=CKV_AWS_50:X-Ray adds a per-trace cost and a segment-upload permission on "*"; JSON logs carry the event id through every step and the alarms cover failures.
  # checkov:skip=CKV_AWS_115:Concurrency is bounded by the Map state's MaxConcurrency per execution; a reservation would carve capacity out of the account pool and turn bursts of imported findings into throttles (which the ASL retries and an alarm watches).
  # checkov:skip=CKV_AWS_116:No asynchronous invocation to dead-letter: the four pipeline functions are invoked synchronously by Step Functions (Retry/Catch in the ASL), and the reaper's EventBridge target has its own retry policy and SQS dead-letter queue.
  # checkov:skip=CKV_AWS_117:The functions reach only public AWS APIs (DynamoDB, SES, Bedrock, ECR, Security Hub); a VPC would add NAT or endpoint cost and no private resource to protect.
  # checkov:skip=CKV_AWS_272:The zip is built from this repository by cargo-lambda in CI; AWS Signer code signing needs a signing profile and a signed S3 artifact pipeline this module does not own.
  function_name = "${var.name}-${each.key}"
  description   = local.function_descriptions[each.key]
  role          = aws_iam_role.function[each.key].arn

  filename         = "${local.artifacts_dir}/${each.key}/bootstrap.zip"
  source_code_hash = filebase64sha256("${local.artifacts_dir}/${each.key}/bootstrap.zip")
  handler          = "bootstrap"
  runtime          = "provided.al2023"
  architectures    = ["arm64"]

  memory_size = each.value.memory_size
  timeout     = each.value.timeout

  # null: the environment is encrypted at rest with the AWS managed key.
  kms_key_arn = var.kms_key_arn

  environment {
    variables = local.function_environment
  }

  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.function[each.key].name
    application_log_level = "INFO"
    system_log_level      = "WARN"
  }

  tags = local.tags

  # Lambda refuses an environment over 4 KB, but only when applying; routes and
  # silences are what can grow, so say so at plan time instead.
  lifecycle {
    precondition {
      condition     = sum([for k, v in local.function_environment : length(k) + length(v)]) <= 4096
      error_message = "The functions' environment (HUSHHUB_*) is over Lambda's 4 KB limit: shorten routes or silences, or remove expired silences."
    }
  }

  # The role's inline policies (logs, table, ...) must exist before the first
  # invocation, not just the role.
  depends_on = [aws_iam_role_policy.function]
}
