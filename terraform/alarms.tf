# Alarms on what must not go unnoticed: failed or timed-out executions,
# function errors and throttles, and events that could not start the pipeline.
# With no alarm_topic_arn they still exist, visible in the console, without
# actions.

resource "aws_cloudwatch_metric_alarm" "executions_failed" {
  alarm_name        = "${var.name}-pipeline-executions-failed"
  alarm_description = "hushhub: a pipeline execution failed; an alert email may be missing (its claim was released, the next delivery of the finding alerts again)."
  namespace         = "AWS/States"
  metric_name       = "ExecutionsFailed"
  dimensions        = { StateMachineArn = aws_sfn_state_machine.this.arn }

  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"

  alarm_actions = local.alarm_actions
  ok_actions    = local.alarm_actions

  tags = local.tags
}

resource "aws_cloudwatch_metric_alarm" "executions_timed_out" {
  alarm_name        = "${var.name}-pipeline-executions-timed-out"
  alarm_description = "hushhub: a pipeline execution timed out (Express executions stop after 5 minutes)."
  namespace         = "AWS/States"
  metric_name       = "ExecutionsTimedOut"
  dimensions        = { StateMachineArn = aws_sfn_state_machine.this.arn }

  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"

  alarm_actions = local.alarm_actions
  ok_actions    = local.alarm_actions

  tags = local.tags
}

resource "aws_cloudwatch_metric_alarm" "executions_throttled" {
  alarm_name        = "${var.name}-pipeline-executions-throttled"
  alarm_description = "hushhub: Step Functions throttled StartExecution; EventBridge retries, then dead-letters."
  namespace         = "AWS/States"
  metric_name       = "ExecutionThrottled"
  dimensions        = { StateMachineArn = aws_sfn_state_machine.this.arn }

  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"

  alarm_actions = local.alarm_actions
  ok_actions    = local.alarm_actions

  tags = local.tags
}

resource "aws_cloudwatch_metric_alarm" "function_errors" {
  for_each = local.function_settings

  alarm_name        = "${var.name}-${each.key}-errors"
  alarm_description = "hushhub: ${each.key} returned errors (including findings rejected as invalid, and transient errors the state machine retried)."
  namespace         = "AWS/Lambda"
  metric_name       = "Errors"
  dimensions        = { FunctionName = aws_lambda_function.this[each.key].function_name }

  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"

  alarm_actions = local.alarm_actions
  ok_actions    = local.alarm_actions

  tags = local.tags
}

resource "aws_cloudwatch_metric_alarm" "function_throttles" {
  for_each = local.function_settings

  alarm_name        = "${var.name}-${each.key}-throttles"
  alarm_description = "hushhub: ${each.key} was throttled (account concurrency exhausted)."
  namespace         = "AWS/Lambda"
  metric_name       = "Throttles"
  dimensions        = { FunctionName = aws_lambda_function.this[each.key].function_name }

  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"

  alarm_actions = local.alarm_actions
  ok_actions    = local.alarm_actions

  tags = local.tags
}

resource "aws_cloudwatch_metric_alarm" "dlq_not_empty" {
  alarm_name        = "${var.name}-events-dlq-not-empty"
  alarm_description = "hushhub: an imported-findings event (or a reaper run) could not be delivered and sits in the dead-letter queue; replay it with StartExecution once the cause is fixed."
  namespace         = "AWS/SQS"
  metric_name       = "ApproximateNumberOfMessagesVisible"
  dimensions        = { QueueName = aws_sqs_queue.dlq.name }

  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"

  alarm_actions = local.alarm_actions
  ok_actions    = local.alarm_actions

  tags = local.tags
}
