# The operators' dashboard: the per-decision metrics the functions print as
# CloudWatch embedded-metric-format lines (namespace "hushhub", dimensions
# severity and account; see crates/core/src/metrics.rs), beside the pipeline's
# own health. The metric names are the decision words of the replay and logs.

locals {
  dashboard_namespace = "hushhub"

  # name => what the widget title says
  dashboard_decisions = {
    new        = "New findings alerted"
    realert    = "Re-alerts (window passed or severity rose)"
    suppressed = "Suppressed (quiet duplicates and silences)"
    resolved   = "Resolved (record forgotten)"
    ignored    = "Ignored (filters, stale ECR images)"
    rejected   = "Rejected (malformed findings)"
  }

  dashboard_decision_widgets = flatten([
    for i, name in keys(local.dashboard_decisions) : [
      for j, by in ["severity", "account"] : {
        type   = "metric"
        x      = j * 12
        y      = 6 + i * 6
        width  = 12
        height = 6
        properties = {
          title  = "${local.dashboard_decisions[name]} by ${by}"
          region = local.region
          view   = "timeSeries"
          stat   = "Sum"
          period = 3600
          # Metrics Insights: one line per ${by}, summed over the other dimension.
          metrics = [[{
            expression = "SELECT SUM(\"${name}\") FROM SCHEMA(\"${local.dashboard_namespace}\", account, severity) GROUP BY ${by}"
            id         = "${name}_by_${by}"
            period     = 3600
          }]]
        }
      }
    ]
  ])

  dashboard_body = jsonencode({
    widgets = concat(
      [
        {
          type   = "metric"
          x      = 0
          y      = 0
          width  = 12
          height = 6
          properties = {
            title  = "Alerts that did not go out as planned"
            region = local.region
            view   = "timeSeries"
            stat   = "Sum"
            period = 3600
            metrics = [
              [{ expression = "SELECT SUM(\"send_failed\") FROM SCHEMA(\"${local.dashboard_namespace}\", account, severity)", id = "send_failed", label = "send_failed (failed send attempts)", period = 3600 }],
              [{ expression = "SELECT SUM(\"summary_fallback\") FROM SCHEMA(\"${local.dashboard_namespace}\", account, severity)", id = "summary_fallback", label = "summary_fallback (model summary failed)", period = 3600 }],
            ]
          }
        },
        {
          type   = "metric"
          x      = 12
          y      = 0
          width  = 12
          height = 6
          properties = {
            title  = "Pipeline executions"
            region = local.region
            view   = "timeSeries"
            stat   = "Sum"
            period = 3600
            metrics = [
              ["AWS/States", "ExecutionsSucceeded", "StateMachineArn", aws_sfn_state_machine.this.arn],
              ["AWS/States", "ExecutionsFailed", "StateMachineArn", aws_sfn_state_machine.this.arn],
              ["AWS/States", "ExecutionsTimedOut", "StateMachineArn", aws_sfn_state_machine.this.arn],
            ]
          }
        },
      ],
      local.dashboard_decision_widgets,
    )
  })
}

resource "aws_cloudwatch_dashboard" "this" {
  count = var.dashboard_enabled ? 1 : 0

  dashboard_name = "${var.name}-decisions"
  dashboard_body = local.dashboard_body
}
