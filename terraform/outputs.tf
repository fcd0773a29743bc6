output "table_name" {
  description = "Name of the seen-findings DynamoDB table (HUSHHUB_TABLE_NAME)."
  value       = aws_dynamodb_table.this.name
}

output "table_arn" {
  description = "ARN of the seen-findings DynamoDB table."
  value       = aws_dynamodb_table.this.arn
}

output "function_names" {
  description = "Lambda function names, keyed by function (check-seen, age-check, score-and-summarise, render-html-email, daily-reaper)."
  value       = { for fn, f in aws_lambda_function.this : fn => f.function_name }
}

output "function_arns" {
  description = "Lambda function ARNs, keyed by function."
  value       = { for fn, f in aws_lambda_function.this : fn => f.arn }
}

output "function_role_arns" {
  description = "IAM role ARN of each function, keyed by function."
  value       = { for fn, r in aws_iam_role.function : fn => r.arn }
}

output "function_log_group_names" {
  description = "CloudWatch log group of each function, keyed by function."
  value       = { for fn, g in aws_cloudwatch_log_group.function : fn => g.name }
}

output "state_machine_arn" {
  description = "ARN of the pipeline state machine (replay a dead-lettered event with StartExecution on it)."
  value       = aws_sfn_state_machine.this.arn
}

output "state_machine_name" {
  description = "Name of the pipeline state machine."
  value       = aws_sfn_state_machine.this.name
}

output "state_machine_role_arn" {
  description = "IAM role ARN of the state machine."
  value       = aws_iam_role.state_machine.arn
}

output "state_machine_log_group_name" {
  description = "CloudWatch log group of the state machine's executions."
  value       = aws_cloudwatch_log_group.state_machine.name
}

output "event_rule_arn" {
  description = "ARN of the EventBridge rule on \"Security Hub Findings - Imported\"."
  value       = aws_cloudwatch_event_rule.findings.arn
}

output "event_rule_v2_arn" {
  description = "ARN of the EventBridge rule on \"Findings Imported V2\" (OCSF findings of the new Security Hub)."
  value       = aws_cloudwatch_event_rule.findings_v2.arn
}

output "eventbridge_role_arn" {
  description = "IAM role ARN EventBridge uses to start the state machine."
  value       = aws_iam_role.eventbridge.arn
}

output "reaper_schedule_rule_arn" {
  description = "ARN of the EventBridge schedule rule that runs daily-reaper."
  value       = aws_cloudwatch_event_rule.reaper.arn
}

output "dlq_url" {
  description = "URL of the SQS dead-letter queue of both EventBridge targets."
  value       = aws_sqs_queue.dlq.url
}

output "dlq_arn" {
  description = "ARN of the SQS dead-letter queue."
  value       = aws_sqs_queue.dlq.arn
}

output "ses_identity_arn" {
  description = "ARN of the SES email identity created for the sender, or null when create_ses_identity is false."
  value       = one(aws_sesv2_email_identity.sender[*].arn)
}

output "alarm_arns" {
  description = "ARNs of all CloudWatch alarms, keyed by alarm name."
  value = merge(
    {
      for a in [
        aws_cloudwatch_metric_alarm.executions_failed,
        aws_cloudwatch_metric_alarm.executions_timed_out,
        aws_cloudwatch_metric_alarm.executions_throttled,
        aws_cloudwatch_metric_alarm.dlq_not_empty,
      ] : a.alarm_name => a.arn
    },
    { for a in aws_cloudwatch_metric_alarm.function_errors : a.alarm_name => a.arn },
    { for a in aws_cloudwatch_metric_alarm.function_throttles : a.alarm_name => a.arn },
  )
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard of per-decision metrics (null when dashboard_enabled is false)."
  value       = one(aws_cloudwatch_dashboard.this[*].dashboard_name)
}

output "escalate_now_action_arn" {
  description = "ARN of the Security Hub custom action \"hushhub: alert now\" (escalate now), or null when escalate_now_enabled is false."
  value       = one(aws_securityhub_action_target.escalate_now[*].arn)
}
