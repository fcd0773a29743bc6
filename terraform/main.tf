data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region

  # The five functions the workspace builds. daily-reaper runs on a schedule;
  # the other four are the Task states of statemachine/pipeline.asl.json.
  default_function_settings = {
    "check-seen"          = { memory_size = 256, timeout = 10 }
    "age-check"           = { memory_size = 128, timeout = 10 }
    "score-and-summarise" = { memory_size = 256, timeout = 30 }
    "render-html-email"   = { memory_size = 256, timeout = 10 }
    "daily-reaper"        = { memory_size = 256, timeout = 300 }
  }
  pipeline_functions = ["check-seen", "age-check", "score-and-summarise", "render-html-email"]

  function_settings = {
    for fn, defaults in local.default_function_settings : fn => merge(
      defaults,
      { for k, v in try(var.function_settings[fn], {}) : k => v if v != null },
    )
  }

  artifacts_dir = var.lambda_artifacts_dir != null ? var.lambda_artifacts_dir : "${path.module}/../target/lambda"

  alarm_actions = var.alarm_topic_arn == null ? [] : [var.alarm_topic_arn]

  tags = merge({ "hushhub:module" = "hushhub" }, var.tags)
}
