# A complete deployment: hushhub in eu-west-1 with a customer managed key for
# every store it creates, and an encrypted SNS topic for its alarms.
#
# Build the functions first, from the repository root:
#   cargo lambda build --release --arm64 --output-format zip
# then, from this folder: terraform init && terraform apply

provider "aws" {
  region = "eu-west-1"
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region
}

module "hushhub" {
  source = "../.."

  name = "hushhub"

  sender     = "security-alerts@example.com"
  recipients = ["secops@example.com", "cloud-platform-oncall@example.com"]

  renotify_after_days = {
    CRITICAL = 1
    HIGH     = 5
    MEDIUM   = 15
    LOW      = 30
  }
  alert_severities = ["CRITICAL", "HIGH", "MEDIUM"]
  alert_products   = ["GuardDuty", "Inspector", "Security Hub"]

  ecr_latest_only           = true
  bedrock_enabled           = true
  bedrock_model_id          = "global.anthropic.claude-sonnet-4-6"
  securityhub_notes_enabled = true

  account_aliases = {
    "111122223333" = "prod-payments"
    "444455556666" = "staging-web"
  }

  owner_tag_key = "team"
  routes = [
    { name = "payments", owners = ["payments"], recipients = ["payments-security@example.com"] },
    { name = "p0-oncall", priorities = ["P0"], recipients = ["security-oncall@example.com", "secops@example.com"] },
  ]

  create_ses_identity = false # example.com is verified as a domain identity

  function_settings = {
    "score-and-summarise" = { timeout = 45 }
  }

  workflow_type              = "EXPRESS"
  state_machine_log_level    = "ERROR"
  reaper_schedule_expression = "cron(30 4 * * ? *)"
  log_retention_days         = 365
  kms_key_arn                = aws_kms_key.hushhub.arn
  alarm_topic_arn            = aws_sns_topic.alarms.arn

  tags = {
    team        = "security-engineering"
    environment = "production"
  }
}

################################################################################
# Customer managed key: what its policy must allow for hushhub
################################################################################

resource "aws_kms_key" "hushhub" {
  description             = "hushhub: seen-findings table, logs, dead-letter queue, alarm topic"
  enable_key_rotation     = true
  deletion_window_in_days = 30

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # The account's IAM policies decide who else may use the key: hushhub's
        # function roles get it through DynamoDB only (kms:ViaService).
        Sid       = "AccountIamPolicies"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchLogsGroups"
        Effect    = "Allow"
        Principal = { Service = "logs.${local.region}.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo"]
        Resource  = "*"
        Condition = {
          ArnLike = { "kms:EncryptionContext:aws:logs:arn" = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*" }
        }
      },
      {
        Sid       = "EventBridgeDeadLetters"
        Effect    = "Allow"
        Principal = { Service = "events.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource  = "*"
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
        }
      },
      {
        Sid       = "CloudWatchAlarmsToTopic"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource  = "*"
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
        }
      },
    ]
  })
}

resource "aws_kms_alias" "hushhub" {
  name          = "alias/hushhub"
  target_key_id = aws_kms_key.hushhub.key_id
}

################################################################################
# Alarm topic
################################################################################

resource "aws_sns_topic" "alarms" {
  name              = "hushhub-alarms"
  kms_master_key_id = aws_kms_key.hushhub.arn
}

resource "aws_sns_topic_subscription" "alarms_email" {
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = "secops@example.com"
}
