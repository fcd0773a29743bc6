################################################################################
# Naming, packaging, tags
################################################################################

variable "name" {
  description = "Prefix of every resource name (functions, roles, table, state machine, rules, queue, alarms)."
  type        = string
  default     = "hushhub"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,31}$", var.name))
    error_message = "name must be 1-32 characters of lowercase letters, digits and hyphens, starting with a letter (it prefixes IAM role names, which are limited to 64 characters)."
  }
}

variable "lambda_artifacts_dir" {
  description = "Folder holding the cargo-lambda build output, one `<function>/bootstrap.zip` per function (`cargo lambda build --release --arm64 --output-format zip`). null means `<module>/../target/lambda`, the workspace's own target folder."
  type        = string
  default     = null
}

variable "function_settings" {
  description = "Memory (MB) and timeout (seconds) per function, keyed by function name (`check-seen`, `age-check`, `score-and-summarise`, `render-html-email`, `daily-reaper`). A function or attribute left out keeps its default: 256 MB everywhere but age-check (128 MB); 10 s, except score-and-summarise (30 s, it waits on the model) and daily-reaper (300 s, it scans the whole table)."
  type = map(object({
    memory_size = optional(number)
    timeout     = optional(number)
  }))
  default = {}

  validation {
    condition     = alltrue([for k in keys(var.function_settings) : contains(["check-seen", "age-check", "score-and-summarise", "render-html-email", "daily-reaper"], k)])
    error_message = "function_settings keys must be among: check-seen, age-check, score-and-summarise, render-html-email, daily-reaper."
  }

  validation {
    condition = alltrue([for v in values(var.function_settings) : (
      (v.memory_size == null ? true : (v.memory_size >= 128 && v.memory_size <= 10240 && floor(v.memory_size) == v.memory_size)) &&
      (v.timeout == null ? true : (v.timeout >= 1 && v.timeout <= 900 && floor(v.timeout) == v.timeout))
    )])
    error_message = "memory_size must be a whole number of MB in 128..10240 and timeout a whole number of seconds in 1..900."
  }
}

variable "tags" {
  description = "Tags added to every resource that takes tags."
  type        = map(string)
  default     = {}
}

################################################################################
# Configuration read by Config::from_env() (one environment variable each)
################################################################################

variable "sender" {
  description = "HUSHHUB_SENDER: the From address of every alert email. It must be a verified SES identity, or belong to a verified domain (see create_ses_identity)."
  type        = string

  validation {
    condition     = can(regex("^[^@\\s,<>\"]+@[^@\\s,<>\"]+\\.[^@\\s,<>\"]+$", var.sender))
    error_message = "sender must be a plain email address such as security-alerts@example.com."
  }
}

variable "recipients" {
  description = "HUSHHUB_RECIPIENTS (joined with \",\"): the default route, who receives every alert email no route in `routes` matches (every alert when there are no routes). While the SES account is in the sandbox each recipient must be a verified identity too."
  type        = list(string)

  validation {
    condition     = length(var.recipients) >= 1 && length(var.recipients) <= 50
    error_message = "recipients must hold 1 to 50 addresses (SES accepts at most 50 recipients per message)."
  }

  validation {
    condition     = alltrue([for r in var.recipients : can(regex("^[^@\\s,<>\"]+@[^@\\s,<>\"]+\\.[^@\\s,<>\"]+$", r))])
    error_message = "every recipient must be a plain email address such as secops@example.com."
  }
}

variable "renotify_after_days" {
  description = "HUSHHUB_RENOTIFY_AFTER (rendered \"CRITICAL=1d,HIGH=5d,...\"): the renotify_after window per severity, in whole days. A seen finding alerts again once its window has passed since its last alert, or at once when its severity rises."
  type        = map(number)
  default = {
    CRITICAL = 1
    HIGH     = 5
    MEDIUM   = 15
    LOW      = 30
  }

  validation {
    condition     = alltrue([for k in keys(var.renotify_after_days) : contains(["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"], k)])
    error_message = "renotify_after_days keys must be among CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL."
  }

  validation {
    condition     = alltrue([for v in values(var.renotify_after_days) : v >= 0 && floor(v) == v])
    error_message = "renotify_after_days values must be whole numbers of days, 0 or more."
  }
}

variable "alert_severities" {
  description = "HUSHHUB_ALERT_SEVERITIES (joined with \",\"): the Security Hub severity labels that alert. The EventBridge rule also filters on them, but always lets resolved, archived and passed updates through so the dedup can forget those findings."
  type        = list(string)
  default     = ["CRITICAL", "HIGH", "MEDIUM", "LOW"]

  validation {
    condition     = length(var.alert_severities) >= 1 && alltrue([for s in var.alert_severities : contains(["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"], s)])
    error_message = "alert_severities must hold at least one of CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL."
  }

  validation {
    condition     = length(distinct(var.alert_severities)) == length(var.alert_severities)
    error_message = "alert_severities must not repeat a severity."
  }
}

variable "alert_products" {
  description = "HUSHHUB_ALERT_PRODUCTS (joined with \",\"): the Security Hub ProductName values that alert, spelled exactly as in the findings, e.g. [\"GuardDuty\", \"Inspector\", \"Security Hub\"] (the EventBridge rule, which filters on them too, compares case-sensitively). Empty means every product."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for p in var.alert_products : length(trimspace(p)) > 0 && !strcontains(p, ",")])
    error_message = "alert_products entries must be non-empty and must not contain a comma."
  }
}

variable "ecr_latest_only" {
  description = "HUSHHUB_ECR_LATEST_ONLY (\"true\"/\"false\"): ignore ECR image findings unless the image is the latest tagged image of its repository."
  type        = bool
  default     = true
}

variable "bedrock_enabled" {
  description = "HUSHHUB_BEDROCK_ENABLED (\"true\"/\"false\"): write the summary with Claude through Amazon Bedrock. When false every email carries the deterministic fallback summary, and score-and-summarise gets no Bedrock permission."
  type        = bool
  default     = true
}

variable "bedrock_model_id" {
  description = "HUSHHUB_BEDROCK_MODEL_ID: the Bedrock model or inference profile id used for the summary. A cross-Region profile id (global., us., eu., apac., jp., au., ca., us-gov. prefix) grants InvokeModel on the profile and on the foundation model it routes to in any Region."
  type        = string
  default     = "global.anthropic.claude-sonnet-4-6"

  validation {
    condition     = can(regex("^([a-z-]+\\.)?[a-z0-9-]+\\.[A-Za-z0-9.:_-]+$", var.bedrock_model_id))
    error_message = "bedrock_model_id must be a Bedrock model id such as anthropic.claude-sonnet-4-6 or an inference profile id such as global.anthropic.claude-sonnet-4-6 (not an ARN)."
  }
}

variable "securityhub_notes_enabled" {
  description = "HUSHHUB_SECURITYHUB_NOTES_ENABLED (\"true\"/\"false\"): after an alert, add a note to the finding and set its workflow status to NOTIFIED (BatchUpdateFindings). Off by default: it changes findings other tools may watch."
  type        = bool
  default     = false
}

variable "ses_configuration_set" {
  description = "HUSHHUB_SES_CONFIGURATION_SET (\"\" when null): name of an existing SES configuration set to send through, for event publishing or a dedicated IP pool."
  type        = string
  default     = null

  validation {
    condition     = var.ses_configuration_set == null || can(regex("^[A-Za-z0-9_-]{1,64}$", var.ses_configuration_set))
    error_message = "ses_configuration_set must be null or 1-64 letters, digits, hyphens or underscores."
  }
}

variable "account_aliases" {
  description = "HUSHHUB_ACCOUNT_ALIASES (rendered \"111122223333=prod-payments,...\"): friendly names shown next to account ids in the emails."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.account_aliases : can(regex("^[0-9]{12}$", k)) && can(regex("^[^,=]+$", v))])
    error_message = "account_aliases keys must be 12-digit account ids, and values non-empty without \",\" or \"=\"."
  }
}

variable "silences" {
  description = "HUSHHUB_SILENCES (rendered as a JSON list): time-limited suppressions of alerts. Each silence matches on one or more of control_id (e.g. \"S3.1\"), finding_type (a type and every type under it), account_id, resource_id (a glob: * any run of characters, ? one) and tag (\"key=value\" on any resource); all given must match. A matching finding is still recorded but not emailed until `until` (RFC 3339), and the replay shows it as \"suppressed\" with the reason \"silenced: <reason>\"; once the silence ends the next delivery alerts if the finding is due then. Expired silences are ignored. Try one first with `hushhub replay --silences '<json>'`."
  type = list(object({
    control_id   = optional(string)
    finding_type = optional(string)
    account_id   = optional(string)
    resource_id  = optional(string)
    tag          = optional(string)
    until        = string
    reason       = string
  }))
  default = []

  validation {
    condition     = length(var.silences) <= 200
    error_message = "silences may hold at most 200 silences."
  }

  validation {
    condition     = alltrue([for s in var.silences : anytrue([for m in [s.control_id, s.finding_type, s.account_id, s.resource_id, s.tag] : m != null && trimspace(coalesce(m, " ")) != ""])])
    error_message = "each silence needs at least one non-empty matcher: control_id, finding_type, account_id, resource_id or tag."
  }

  validation {
    condition     = alltrue([for s in var.silences : can(formatdate("YYYY", s.until)) && trimspace(s.reason) != ""])
    error_message = "each silence needs an RFC 3339 until (e.g. 2026-12-31T00:00:00Z) and a non-empty reason."
  }

  validation {
    condition     = alltrue([for s in var.silences : (s.account_id == null || can(regex("^[0-9]{12}$", s.account_id))) && (s.tag == null || strcontains(coalesce(s.tag, ""), "="))])
    error_message = "a silence's account_id must be 12 digits and its tag must be key=value."
  }
}

variable "resolved_notices" {
  description = "HUSHHUB_RESOLVED_NOTICES (\"true\"/\"false\"): when a finding hushhub alerted on is resolved, archived, suppressed or passed, send one short \"resolved\" email, threaded under its alerts. Never for a finding hushhub did not alert on. Off by default. Try it first with `hushhub replay --resolved-notices`."
  type        = bool
  default     = false
}

variable "routes" {
  description = "HUSHHUB_ROUTES (rendered as a JSON list, empty lists left out): who receives which alerts. Each route has a name ([a-z0-9-], unique, not \"default\"), recipients (1 to 50, all on one email) and at least one matcher: accounts (12-digit ids), severities (CRITICAL..INFORMATIONAL), priorities (P0..P3) and owners (values of the owner_tag_key tag on any of the finding's resources). All matchers given must match, any value within each. Every matching route gets one email of the alert; `recipients` (the default route) gets it only when no route matches, so list the central mailbox in a route's recipients to copy it on that route's alerts. Each route's emails thread on their own (X-Hushhub-Route names the route). While the SES account is in the sandbox each recipient must be a verified identity. Try routes first with `hushhub replay --routes '<json>'`: each alert's line ends \"→ routes: <names>\"."
  type = list(object({
    name       = string
    accounts   = optional(list(string), [])
    severities = optional(list(string), [])
    priorities = optional(list(string), [])
    owners     = optional(list(string), [])
    recipients = list(string)
  }))
  default = []

  validation {
    condition     = length(var.routes) <= 50 && length(distinct([for r in var.routes : r.name])) == length(var.routes)
    error_message = "routes may hold at most 50 routes, each with a name of its own."
  }

  validation {
    condition     = alltrue([for r in var.routes : can(regex("^[a-z0-9-]{1,64}$", r.name)) && r.name != "default"])
    error_message = "a route's name must be 1 to 64 characters of a-z, 0-9 and -, and not \"default\" (the name of the recipients' route)."
  }

  validation {
    condition     = alltrue([for r in var.routes : length(r.accounts) + length(r.severities) + length(r.priorities) + length(r.owners) > 0])
    error_message = "each route needs at least one matcher: accounts, severities, priorities or owners."
  }

  validation {
    condition = alltrue([for r in var.routes : alltrue(concat(
      [for a in r.accounts : can(regex("^[0-9]{12}$", a))],
      [for s in r.severities : contains(["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"], s)],
      [for p in r.priorities : contains(["P0", "P1", "P2", "P3"], p)],
      [for o in r.owners : trimspace(o) != ""],
    ))])
    error_message = "route accounts must be 12-digit ids, severities CRITICAL, HIGH, MEDIUM, LOW or INFORMATIONAL, priorities P0 to P3, and owners non-empty."
  }

  validation {
    condition     = alltrue([for r in var.routes : length(r.recipients) >= 1 && length(r.recipients) <= 50 && alltrue([for a in r.recipients : can(regex("^[^@\\s,<>\"]+@[^@\\s,<>\"]+\\.[^@\\s,<>\"]+$", a))])])
    error_message = "each route needs 1 to 50 recipients (SES accepts at most 50 per message), each a plain email address."
  }
}

variable "owner_tag_key" {
  description = "HUSHHUB_OWNER_TAG_KEY: the resource tag key whose value a route's owners matcher compares (its case is ignored: Owner, owner and OWNER are the same key; the value must match exactly)."
  type        = string
  default     = "Owner"

  validation {
    condition     = length(trimspace(var.owner_tag_key)) >= 1 && length(var.owner_tag_key) <= 128
    error_message = "owner_tag_key must be 1 to 128 characters."
  }
}

################################################################################
# Deployment options (not read by the functions)
################################################################################

variable "escalate_now_enabled" {
  description = "Create the Security Hub custom action \"hushhub: alert now\" and its EventBridge rule: choosing it on findings in the Security Hub console runs the pipeline on them and alerts at once, bypassing the renotify_after window, the alert filters and silences. The alert is still claimed, so a double click (or two people) within 10 minutes sends one email. Security Hub CSPM must be enabled in the account and Region."
  type        = bool
  default     = true
}

variable "dashboard_enabled" {
  description = "Create the CloudWatch dashboard `<name>-decisions`: the per-decision metrics the functions log in embedded metric format (namespace \"hushhub\", by severity and by account), failed sends, fallback summaries and the pipeline's executions."
  type        = bool
  default     = true
}

variable "create_ses_identity" {
  description = "Create an SES email identity for sender (SES then mails a verification link to that address). Leave false when the address or its domain is already verified."
  type        = bool
  default     = false
}

variable "workflow_type" {
  description = "State machine type: EXPRESS (cheapest per finding; asynchronous executions run at least once, which the dedup claims make safe) or STANDARD (exactly once, execution history kept 90 days)."
  type        = string
  default     = "EXPRESS"

  validation {
    condition     = contains(["EXPRESS", "STANDARD"], var.workflow_type)
    error_message = "workflow_type must be EXPRESS or STANDARD."
  }
}

variable "state_machine_log_level" {
  description = "What the state machine writes to its log group, with execution data: ERROR (failed executions and states only), ALL (every state transition, the full record of each Express execution; more log volume) or FATAL."
  type        = string
  default     = "ERROR"

  validation {
    condition     = contains(["ALL", "ERROR", "FATAL"], var.state_machine_log_level)
    error_message = "state_machine_log_level must be ALL, ERROR or FATAL."
  }
}

variable "reaper_schedule_expression" {
  description = "EventBridge schedule of the daily-reaper function, which forgets findings Security Hub reports resolved, archived, suppressed, passed or gone."
  type        = string
  default     = "cron(0 3 * * ? *)"

  validation {
    condition     = can(regex("^(rate|cron)\\(.+\\)$", var.reaper_schedule_expression))
    error_message = "reaper_schedule_expression must be an EventBridge rate(...) or cron(...) expression."
  }
}

variable "log_retention_days" {
  description = "Retention of the function and state machine log groups, in days."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "kms_key_arn" {
  description = "Customer managed KMS key for the table, the log groups, the dead-letter queue and the functions' environment. null uses AWS managed encryption. The key policy must let logs.<region>.amazonaws.com and events.amazonaws.com use the key; the function roles get kms:Decrypt/Encrypt/GenerateDataKey/DescribeKey through DynamoDB only."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be null or a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "alarm_topic_arn" {
  description = "SNS topic notified when an alarm fires or recovers. null still creates the alarms, without actions."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:.+$", var.alarm_topic_arn))
    error_message = "alarm_topic_arn must be null or an SNS topic ARN."
  }
}
