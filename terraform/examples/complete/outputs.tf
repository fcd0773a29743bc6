output "state_machine_arn" {
  description = "ARN of the pipeline state machine."
  value       = module.hushhub.state_machine_arn
}

output "table_name" {
  description = "Name of the seen-findings table."
  value       = module.hushhub.table_name
}

output "function_names" {
  description = "Lambda function names, keyed by function."
  value       = module.hushhub.function_names
}

output "dlq_url" {
  description = "Dead-letter queue of the EventBridge targets."
  value       = module.hushhub.dlq_url
}
