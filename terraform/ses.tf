# Optional: the SES identity of the sender address. SES mails a verification
# link to it; until it is clicked, SendEmail is refused. Skip it when the
# address or its whole domain is already a verified identity.
resource "aws_sesv2_email_identity" "sender" {
  count = var.create_ses_identity ? 1 : 0

  email_identity = var.sender

  tags = local.tags
}
