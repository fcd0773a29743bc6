# EventBridge: imported findings, and findings sent with the "alert now"
# custom action, start one pipeline execution per event; a schedule runs the
# daily reaper. Every target retries and then dead-letters to one encrypted
# SQS queue.

locals {
  # An event carries up to 100 findings and matches when any finding does;
  # check-seen applies the same filters per finding (HUSHHUB_ALERT_*).
  #
  # The severity filter must never drop the updates that end a finding's life:
  # the dedup deletes its record on them, and Security Hub often lowers the
  # severity of exactly those (a PASSED control finding is INFORMATIONAL).
  # The product filter applies to both branches: a product that never alerts
  # has no record to forget.
  findings_filter = merge(
    { for key, products in { ProductName = var.alert_products } : key => products if length(products) > 0 },
    {
      "$or" = [
        { Severity = { Label = var.alert_severities } },
        { RecordState = ["ARCHIVED"] },
        { Workflow = { Status = ["RESOLVED", "SUPPRESSED"] } },
        { Compliance = { Status = ["PASSED"] } },
      ]
    },
  )

  findings_event_pattern = jsonencode({
    source        = ["aws.securityhub"]
    "detail-type" = ["Security Hub Findings - Imported"]
    detail        = { findings = local.findings_filter }
  })

  # The same filter on the new Security Hub's OCSF findings ("Findings Imported
  # V2"): the severity caption is title case there and FATAL alerts as CRITICAL;
  # status_id 3/4/5 (suppressed, resolved, archived), a closed activity
  # (activity_id 3) and a passed control (compliance.status_id 1) end a finding.
  ocsf_severities = distinct(flatten([
    for severity in var.alert_severities :
    severity == "CRITICAL" ? ["Critical", "Fatal"] : [title(lower(severity))]
  ]))
  findings_v2_filter = merge(
    { for key, products in { metadata = { product = { name = var.alert_products } } } : key => products if length(var.alert_products) > 0 },
    {
      "$or" = [
        { severity = local.ocsf_severities },
        { status_id = [3, 4, 5] },
        { activity_id = [3] },
        { compliance = { status_id = [1] } },
      ]
    },
  )

  findings_v2_event_pattern = jsonencode({
    source        = ["aws.securityhub"]
    "detail-type" = ["Findings Imported V2"]
    detail        = { findings = local.findings_v2_filter }
  })
}

resource "aws_cloudwatch_event_rule" "findings" {
  name          = "${var.name}-findings-imported"
  description   = "hushhub: Security Hub findings to alert on, and the resolved/archived/passed updates the dedup needs."
  event_pattern = local.findings_event_pattern

  tags = local.tags
}

resource "aws_cloudwatch_event_target" "findings" {
  rule     = aws_cloudwatch_event_rule.findings.name
  arn      = aws_sfn_state_machine.this.arn
  role_arn = aws_iam_role.eventbridge.arn

  # The execution input is the event itself (no input transformer).

  # A failed StartExecution (throttling, a role being replaced) must not lose an
  # alert: retry for as long as EventBridge allows, then dead-letter. Replays
  # are safe, the dedup claims absorb them.
  retry_policy {
    maximum_event_age_in_seconds = 86400
    maximum_retry_attempts       = 185
  }

  dead_letter_config {
    arn = aws_sqs_queue.dlq.arn
  }
}

resource "aws_cloudwatch_event_rule" "findings_v2" {
  name          = "${var.name}-findings-imported-v2"
  description   = "hushhub: OCSF findings of the new Security Hub to alert on, and the updates that end a finding."
  event_pattern = local.findings_v2_event_pattern

  tags = local.tags
}

resource "aws_cloudwatch_event_target" "findings_v2" {
  rule     = aws_cloudwatch_event_rule.findings_v2.name
  arn      = aws_sfn_state_machine.this.arn
  role_arn = aws_iam_role.eventbridge.arn

  # Same delivery guarantees as the ASFF rule above.
  retry_policy {
    maximum_event_age_in_seconds = 86400
    maximum_retry_attempts       = 185
  }

  dead_letter_config {
    arn = aws_sqs_queue.dlq.arn
  }
}

################################################################################
# Escalate now: a Security Hub custom action that alerts at once
################################################################################

# Its name must be under 20 characters (Security Hub's limit), so the console
# shows "hushhub: alert now"; the description says the rest.
resource "aws_securityhub_action_target" "escalate_now" {
  count = var.escalate_now_enabled ? 1 : 0

  name        = "hushhub: alert now"
  identifier  = "HushhubAlertNow"
  description = "Send hushhub alert now: email these findings at once, bypassing their renotify window (a double click sends one email)."
}

resource "aws_cloudwatch_event_rule" "escalate_now" {
  count = var.escalate_now_enabled ? 1 : 0

  name        = "${var.name}-escalate-now"
  description = "hushhub: findings someone sent with the Security Hub custom action \"hushhub: alert now\"."
  event_pattern = jsonencode({
    source        = ["aws.securityhub"]
    "detail-type" = ["Security Hub Findings - Custom Action"]
    resources     = [aws_securityhub_action_target.escalate_now[0].arn]
  })

  tags = local.tags
}

resource "aws_cloudwatch_event_target" "escalate_now" {
  count = var.escalate_now_enabled ? 1 : 0

  rule     = aws_cloudwatch_event_rule.escalate_now[0].name
  arn      = aws_sfn_state_machine.this.arn
  role_arn = aws_iam_role.eventbridge.arn

  # Someone is waiting for this one: retry for as long as the imported rules do,
  # then dead-letter. A replayed request finds the alert it sent (the claim).
  retry_policy {
    maximum_event_age_in_seconds = 86400
    maximum_retry_attempts       = 185
  }

  dead_letter_config {
    arn = aws_sqs_queue.dlq.arn
  }
}

resource "aws_cloudwatch_event_rule" "reaper" {
  name                = "${var.name}-daily-reaper"
  description         = "hushhub: runs the daily reaper, which forgets resolved findings."
  schedule_expression = var.reaper_schedule_expression

  tags = local.tags
}

resource "aws_cloudwatch_event_target" "reaper" {
  rule = aws_cloudwatch_event_rule.reaper.name
  arn  = aws_lambda_function.this["daily-reaper"].arn

  # The reaper is idempotent and runs again tomorrow: a short retry is enough.
  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 3
  }

  dead_letter_config {
    arn = aws_sqs_queue.dlq.arn
  }
}

resource "aws_lambda_permission" "reaper" {
  statement_id  = "AllowDailySchedule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this["daily-reaper"].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.reaper.arn
}

################################################################################
# Dead-letter queue of both targets
################################################################################

resource "aws_sqs_queue" "dlq" {
  name                      = "${var.name}-events-dlq"
  message_retention_seconds = 1209600 # 14 days, the SQS maximum

  # Customer managed key when given (its policy must let events.amazonaws.com
  # use it), else SQS managed encryption.
  kms_master_key_id       = var.kms_key_arn
  sqs_managed_sse_enabled = var.kms_key_arn == null ? true : null

  tags = local.tags
}

data "aws_iam_policy_document" "dlq" {
  statement {
    sid       = "EventBridgeDeadLetters"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = concat([aws_cloudwatch_event_rule.findings.arn, aws_cloudwatch_event_rule.findings_v2.arn, aws_cloudwatch_event_rule.reaper.arn], aws_cloudwatch_event_rule.escalate_now[*].arn)
    }
  }
}

resource "aws_sqs_queue_policy" "dlq" {
  queue_url = aws_sqs_queue.dlq.id
  policy    = data.aws_iam_policy_document.dlq.json
}
