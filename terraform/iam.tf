# One role per function, one for the state machine, one for EventBridge to
# start it. Each policy names only the actions its principal calls, on only its
# resources. A "*" in a resource always carries a comment saying why AWS allows
# nothing narrower (tools/terraform-checks enforces that comment).

locals {
  table_arn             = aws_dynamodb_table.this.arn
  state_machine_arn     = "arn:${local.partition}:states:${local.region}:${local.account_id}:stateMachine:${var.name}-pipeline"
  findings_rule_arn     = "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/${var.name}-findings-imported"
  findings_v2_rule_arn  = "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/${var.name}-findings-imported-v2"
  escalate_now_rule_arn = "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/${var.name}-escalate-now"
  pipeline_rule_arns    = concat([local.findings_rule_arn, local.findings_v2_rule_arn], var.escalate_now_enabled ? [local.escalate_now_rule_arn] : [])

  # Bedrock: a model id with a cross-Region prefix names a system inference
  # profile (global.anthropic.claude-sonnet-4-6). Converse on a profile is
  # authorized twice: on the profile in this Region, and on the foundation model
  # in whichever Region the profile routes the call to (for a global profile,
  # the Region-less ARN arn:aws:bedrock:::foundation-model/<model>).
  bedrock_foundation_model = replace(var.bedrock_model_id, "/^(global|us-gov|us|eu|apac|jp|au|ca)\\./", "")
  bedrock_is_profile       = local.bedrock_foundation_model != var.bedrock_model_id
  bedrock_profile_arn      = "arn:${local.partition}:bedrock:${local.region}:${local.account_id}:inference-profile/${var.bedrock_model_id}"
  bedrock_model_arn        = "arn:${local.partition}:bedrock:${local.region}::foundation-model/${var.bedrock_model_id}"

  # SES authorizes SendEmail on the identity that verifies the From address:
  # the address itself, or its domain. While the account is in the SES sandbox
  # it also authorizes on each recipient's identity: the default route's and
  # every route's.
  ses_identity_arn_prefix = "arn:${local.partition}:ses:${local.region}:${local.account_id}:identity/"
  ses_sender_identity_arns = distinct([
    "${local.ses_identity_arn_prefix}${var.sender}",
    "${local.ses_identity_arn_prefix}${split("@", var.sender)[1]}",
  ])
  ses_recipient_identity_arns = distinct(flatten([
    for r in concat(var.recipients, flatten(var.routes[*].recipients)) : ["${local.ses_identity_arn_prefix}${r}", "${local.ses_identity_arn_prefix}${split("@", r)[1]}"]
  ]))
  ses_configuration_set_arns = var.ses_configuration_set == null ? [] : [
    "arn:${local.partition}:ses:${local.region}:${local.account_id}:configuration-set/${var.ses_configuration_set}",
  ]

  function_policies = {
    "check-seen"          = data.aws_iam_policy_document.check_seen.json
    "age-check"           = data.aws_iam_policy_document.age_check.json
    "score-and-summarise" = data.aws_iam_policy_document.score_and_summarise.json
    "render-html-email"   = data.aws_iam_policy_document.render_html_email.json
    "daily-reaper"        = data.aws_iam_policy_document.daily_reaper.json
  }
}

################################################################################
# Function roles
################################################################################

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "function" {
  for_each = local.function_settings

  name               = "${var.name}-${each.key}"
  description        = "hushhub ${each.key} function"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json

  tags = local.tags
}

resource "aws_iam_role_policy" "function" {
  for_each = local.function_settings

  name   = "${var.name}-${each.key}"
  role   = aws_iam_role.function[each.key].id
  policy = local.function_policies[each.key]
}

# What every function needs: its own log group, and (with a customer managed
# key) the key, through DynamoDB only.
data "aws_iam_policy_document" "function_common" {
  for_each = local.function_settings

  statement {
    sid     = "OwnLogGroup"
    effect  = "Allow"
    actions = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [
      "${aws_cloudwatch_log_group.function[each.key].arn}:*", # streams of this log group only; Lambda names them at run time
    ]
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]

    content {
      sid       = "TableKeyThroughDynamoDB"
      effect    = "Allow"
      actions   = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["dynamodb.${local.region}.amazonaws.com"]
      }
    }
  }
}

data "aws_iam_policy_document" "check_seen" {
  source_policy_documents = [data.aws_iam_policy_document.function_common["check-seen"].json]

  # GetItem: look first. PutItem: claim_new. UpdateItem: refresh last_seen_at,
  # and ReleaseClaim. DeleteItem: a resolved/archived/passed finding.
  statement {
    sid       = "SeenTable"
    effect    = "Allow"
    actions   = ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
    resources = [local.table_arn]
  }

  # Is this image the latest tagged image of its repository?
  dynamic "statement" {
    for_each = var.ecr_latest_only ? [1] : []

    content {
      sid     = "EcrLatestImage"
      effect  = "Allow"
      actions = ["ecr:DescribeImages"]
      resources = [
        "arn:${local.partition}:ecr:*:${local.account_id}:repository/*", # findings name any repository of this account, in any Region that aggregates into this one
      ]
    }
  }
}

data "aws_iam_policy_document" "age_check" {
  source_policy_documents = [data.aws_iam_policy_document.function_common["age-check"].json]

  # claim_realert (conditional on the last_alerted_at it read), or a quiet refresh.
  statement {
    sid       = "SeenTable"
    effect    = "Allow"
    actions   = ["dynamodb:UpdateItem"]
    resources = [local.table_arn]
  }
}

data "aws_iam_policy_document" "score_and_summarise" {
  source_policy_documents = [data.aws_iam_policy_document.function_common["score-and-summarise"].json]

  # The summary cache on the finding's record.
  statement {
    sid       = "SeenTable"
    effect    = "Allow"
    actions   = ["dynamodb:UpdateItem"]
    resources = [local.table_arn]
  }

  # Converse is authorized as bedrock:InvokeModel.
  dynamic "statement" {
    for_each = var.bedrock_enabled && local.bedrock_is_profile ? [1] : []

    content {
      sid       = "InvokeInferenceProfile"
      effect    = "Allow"
      actions   = ["bedrock:InvokeModel"]
      resources = [local.bedrock_profile_arn]
    }
  }

  dynamic "statement" {
    for_each = var.bedrock_enabled && local.bedrock_is_profile ? [1] : []

    content {
      sid     = "InvokeModelThroughProfile"
      effect  = "Allow"
      actions = ["bedrock:InvokeModel"]
      resources = [
        "arn:${local.partition}:bedrock:*::foundation-model/${local.bedrock_foundation_model}", # the profile picks the Region at call time; "*" also matches the Region-less ARN of a global profile
      ]

      # Only when the call comes through our profile, never the model directly.
      condition {
        test     = "ArnLike"
        variable = "bedrock:InferenceProfileArn"
        values   = [local.bedrock_profile_arn]
      }
    }
  }

  dynamic "statement" {
    for_each = var.bedrock_enabled && !local.bedrock_is_profile ? [1] : []

    content {
      sid       = "InvokeFoundationModel"
      effect    = "Allow"
      actions   = ["bedrock:InvokeModel"]
      resources = [local.bedrock_model_arn]
    }
  }
}

data "aws_iam_policy_document" "render_html_email" {
  source_policy_documents = [data.aws_iam_policy_document.function_common["render-html-email"].json]

  statement {
    sid       = "SendAlertEmail"
    effect    = "Allow"
    actions   = ["ses:SendEmail"]
    resources = concat(local.ses_sender_identity_arns, local.ses_recipient_identity_arns, local.ses_configuration_set_arns)
  }

  # Note and workflow status NOTIFIED on the alerted finding.
  dynamic "statement" {
    for_each = var.securityhub_notes_enabled ? [1] : []

    content {
      sid     = "NoteAlertedFinding"
      effect  = "Allow"
      actions = ["securityhub:BatchUpdateFindings"]
      resources = [
        "*", # Security Hub CSPM supports no resource-level permissions for BatchUpdateFindings; the two Deny statements below narrow what it may change
      ]

      condition {
        test     = "StringEquals"
        variable = "aws:RequestedRegion"
        values   = [local.region]
      }
    }
  }

  # Our updates set only a note and NOTIFIED: never another workflow status
  # (that would resolve or suppress a finding), never its severity.
  dynamic "statement" {
    for_each = var.securityhub_notes_enabled ? [1] : []

    content {
      sid     = "OnlyNotifiedWorkflowStatus"
      effect  = "Deny"
      actions = ["securityhub:BatchUpdateFindings"]
      resources = [
        "*", # matches the Allow above, which cannot be narrower
      ]

      condition {
        test     = "Null"
        variable = "securityhub:ASFFSyntaxPath/Workflow.Status"
        values   = ["false"]
      }

      condition {
        test     = "StringNotEquals"
        variable = "securityhub:ASFFSyntaxPath/Workflow.Status"
        values   = ["NOTIFIED"]
      }
    }
  }

  dynamic "statement" {
    for_each = var.securityhub_notes_enabled ? [1] : []

    content {
      sid     = "NeverChangeSeverity"
      effect  = "Deny"
      actions = ["securityhub:BatchUpdateFindings"]
      resources = [
        "*", # matches the Allow above, which cannot be narrower
      ]

      condition {
        test     = "Null"
        variable = "securityhub:ASFFSyntaxPath/Severity.Label"
        values   = ["false"]
      }
    }
  }
}

data "aws_iam_policy_document" "daily_reaper" {
  source_policy_documents = [data.aws_iam_policy_document.function_common["daily-reaper"].json]

  # Scan page by page; delete conditionally on the last_seen_at it read.
  statement {
    sid       = "SeenTable"
    effect    = "Allow"
    actions   = ["dynamodb:DeleteItem", "dynamodb:Scan"]
    resources = [local.table_arn]
  }

  statement {
    sid     = "FindingStatus"
    effect  = "Allow"
    actions = ["securityhub:GetFindings"]
    resources = [
      "*", # Security Hub CSPM supports no resource-level permissions for GetFindings (its hub ARN is not evaluated); the Region condition narrows it
    ]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [local.region]
    }
  }
}

################################################################################
# State machine role
################################################################################

data "aws_iam_policy_document" "states_assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.state_machine_arn]
    }
  }
}

resource "aws_iam_role" "state_machine" {
  name               = "${var.name}-pipeline"
  description        = "hushhub pipeline state machine"
  assume_role_policy = data.aws_iam_policy_document.states_assume.json

  tags = local.tags
}

data "aws_iam_policy_document" "state_machine" {
  statement {
    sid     = "InvokePipelineFunctions"
    effect  = "Allow"
    actions = ["lambda:InvokeFunction"]
    resources = flatten([
      for fn in local.pipeline_functions : [
        aws_lambda_function.this[fn].arn,
        "${aws_lambda_function.this[fn].arn}:*", # any version or alias of these four functions only
      ]
    ])
  }

  # Vended log delivery to CloudWatch Logs (execution logging).
  statement {
    sid    = "ExecutionLogDelivery"
    effect = "Allow"
    actions = [
      "logs:CreateLogDelivery",
      "logs:DeleteLogDelivery",
      "logs:DescribeLogGroups",
      "logs:DescribeResourcePolicies",
      "logs:GetLogDelivery",
      "logs:ListLogDeliveries",
      "logs:PutResourcePolicy",
      "logs:UpdateLogDelivery",
    ]
    resources = [
      "*", # these log-delivery actions support no resource-level permissions (Step Functions logging documentation)
    ]
  }
}

resource "aws_iam_role_policy" "state_machine" {
  name   = "${var.name}-pipeline"
  role   = aws_iam_role.state_machine.id
  policy = data.aws_iam_policy_document.state_machine.json
}

################################################################################
# EventBridge role: start the pipeline
################################################################################

data "aws_iam_policy_document" "events_assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = local.pipeline_rule_arns
    }
  }
}

resource "aws_iam_role" "eventbridge" {
  name               = "${var.name}-start-pipeline"
  description        = "hushhub: EventBridge starts the pipeline for each imported event"
  assume_role_policy = data.aws_iam_policy_document.events_assume.json

  tags = local.tags
}

data "aws_iam_policy_document" "eventbridge" {
  statement {
    sid       = "StartPipeline"
    effect    = "Allow"
    actions   = ["states:StartExecution"]
    resources = [aws_sfn_state_machine.this.arn]
  }
}

resource "aws_iam_role_policy" "eventbridge" {
  name   = "${var.name}-start-pipeline"
  role   = aws_iam_role.eventbridge.id
  policy = data.aws_iam_policy_document.eventbridge.json
}
