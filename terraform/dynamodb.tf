# The seen-findings table: one item per finding Id (see DESIGN.md §3).
resource "aws_dynamodb_table" "this" {
  name         = "${var.name}-seen-findings"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"

  attribute {
    name = "pk"
    type = "S"
  }

  # Safety net behind the daily reaper: expires_at = last_seen_at + 90 days,
  # the age at which Security Hub itself deletes an active finding.
  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  # enabled = true with no key uses the AWS managed key (aws/dynamodb);
  # kms_key_arn switches to the caller's customer managed key.
  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  deletion_protection_enabled = true

  tags = local.tags
}
