//! `hushhub smoke-test`: right after `terraform apply`, runs one synthetic finding, clearly
//! marked as a test, through the deployed state machine; says which path it took and whether the
//! email went out; then deletes the finding's record, so the next smoke test alerts again.

use std::fmt;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sfn::types::{ExecutionStatus, StateMachineType};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::timeout::TimeoutConfig;
use chrono::{DateTime, SecondsFormat, Utc};
use clap::{Args, ValueEnum};
use hushhub_aws::clients::AwsClients;
use hushhub_aws::dynamodb::DynamoSeenStore;
use hushhub_core::finding::FindingId;
use hushhub_core::ports::SeenStore;
use serde::Deserialize;
use serde_json::{Value, json};

/// Every smoke-test finding's `Id` starts with this.
pub const FINDING_ID_PREFIX: &str = "hushhub-smoke-test/";
/// Every smoke-test finding's `Title` starts with this.
pub const TITLE_PREFIX: &str = "[hushhub smoke test]";
/// Standard executions are polled this often at first, then less often.
const FIRST_POLL: Duration = Duration::from_millis(500);
const MAX_POLL: Duration = Duration::from_secs(5);

#[derive(Debug, Args)]
pub struct SmokeTestArgs {
    /// The deployed state machine (the module's `state_machine_arn` output).
    #[arg(long)]
    state_machine_arn: String,
    /// The workflow type; asked of Step Functions (DescribeStateMachine) when left out.
    #[arg(long, value_enum)]
    workflow_type: Option<WorkflowType>,
    /// The DynamoDB table of seen findings (the module's `table_name` output): the test
    /// finding's record is deleted from it afterwards.
    #[arg(long)]
    table_name: String,
    /// How long to wait for the execution, in seconds.
    #[arg(long, default_value_t = 300)]
    timeout: u64,
    /// `ProductName` of the test finding: when the deployment alerts on some products only
    /// (`alert_products`), name one of them, or the finding is ignored.
    #[arg(long, default_value = "hushhub")]
    product_name: String,
}

/// The state machine's workflow type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WorkflowType {
    /// Started with StartSyncExecution, which answers with the result.
    Express,
    /// Started with StartExecution, then polled with DescribeExecution.
    Standard,
}

impl fmt::Display for WorkflowType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Express => "EXPRESS",
            Self::Standard => "STANDARD",
        })
    }
}

/// Runs the smoke test; exit 0 only when the execution succeeded and the email went out.
pub fn run(args: SmokeTestArgs) -> Result<ExitCode> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(smoke_test(args))
}

async fn smoke_test(args: SmokeTestArgs) -> Result<ExitCode> {
    let target = StateMachine::parse(&args.state_machine_arn)?;
    let timeout = Duration::from_secs(args.timeout.max(1));
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(target.region.clone()))
        .load()
        .await;
    let sfn = sfn_client(&config, timeout);
    let workflow = match args.workflow_type {
        Some(workflow) => workflow,
        None => workflow_type(&sfn, &target.arn).await?,
    };

    let now = Utc::now();
    let finding_id = format!("{FINDING_ID_PREFIX}{}", now.format("%Y%m%dT%H%M%S%3fZ"));
    let event = synthetic_event(&target, &finding_id, &args.product_name, now);
    let name = format!("hushhub-smoke-test-{}", now.format("%Y%m%dT%H%M%S%3f"));
    println!(
        "smoke test: finding {finding_id} (HIGH) into {workflow} {}",
        target.arn
    );

    let started = Instant::now();
    let execution = match workflow {
        WorkflowType::Express => run_express(&sfn, &target.arn, &name, &event).await,
        WorkflowType::Standard => run_standard(&sfn, &target.arn, &name, &event, timeout).await,
    };
    // The record goes whatever happened: a failed run may still have claimed it.
    let forgotten = forget(&config, &args.table_name, &finding_id).await;
    let execution = execution?;
    println!(
        "execution: {} {} after {:.1} s",
        execution.arn,
        execution.status,
        started.elapsed().as_secs_f64()
    );
    let verdict = Verdict::of(&execution, &finding_id);
    for line in verdict.lines() {
        println!("{line}");
    }
    match forgotten {
        Ok(true) => println!("cleanup: deleted the test record from {}", args.table_name),
        Ok(false) => println!("cleanup: no test record left in {}", args.table_name),
        Err(e) => {
            eprintln!("cleanup failed: {e:#}; delete item pk={finding_id} by hand");
            return Ok(ExitCode::FAILURE);
        }
    }
    Ok(if verdict.email_sent() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// A state machine ARN and the region and account it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateMachine {
    pub arn: String,
    pub region: String,
    pub account: String,
}

impl StateMachine {
    /// Reads `arn:<partition>:states:<region>:<account>:stateMachine:<name>`.
    pub fn parse(arn: &str) -> Result<StateMachine> {
        let parts: Vec<&str> = arn.split(':').collect();
        match parts.as_slice() {
            ["arn", _, "states", region, account, "stateMachine", name]
                if !region.is_empty() && account.len() == 12 && !name.is_empty() =>
            {
                Ok(StateMachine {
                    arn: arn.to_owned(),
                    region: (*region).to_owned(),
                    account: (*account).to_owned(),
                })
            }
            _ => bail!(
                "--state-machine-arn {arn:?} is not arn:aws:states:<region>:<account>:stateMachine:<name>"
            ),
        }
    }
}

/// The "Security Hub Findings - Imported" event of one active HIGH finding that says, in its
/// id, title and description, that it is a test.
pub fn synthetic_event(
    target: &StateMachine,
    finding_id: &str,
    product_name: &str,
    now: DateTime<Utc>,
) -> Value {
    let (region, account) = (&target.region, &target.account);
    let at = now.to_rfc3339_opts(SecondsFormat::Millis, true);
    let product_arn = format!("arn:aws:securityhub:{region}:{account}:product/{account}/default");
    json!({
        "version": "0",
        "id": format!("hushhub-smoke-test-{}", now.format("%Y%m%dT%H%M%S%3f")),
        "detail-type": "Security Hub Findings - Imported",
        "source": "aws.securityhub",
        "account": account,
        "time": now.to_rfc3339_opts(SecondsFormat::Secs, true),
        "region": region,
        "resources": [format!("{product_arn}/{finding_id}")],
        "detail": { "findings": [{
            "SchemaVersion": "2018-10-08",
            "Id": finding_id,
            "ProductArn": product_arn,
            "ProductName": product_name,
            "CompanyName": "hushhub",
            "GeneratorId": "hushhub-smoke-test",
            "AwsAccountId": account,
            "Region": region,
            "Types": ["Software and Configuration Checks"],
            "CreatedAt": at,
            "UpdatedAt": at,
            "FirstObservedAt": at,
            "LastObservedAt": at,
            "Severity": { "Label": "HIGH", "Normalized": 70 },
            "Title": format!("{TITLE_PREFIX} Deployment check, no action needed"),
            "Description": "This finding was made up by `hushhub smoke-test` to check a new \
                deployment end to end. It is not in Security Hub, nothing is wrong, and it needs \
                no action.",
            "Resources": [{
                "Type": "Other",
                "Id": "hushhub-smoke-test",
                "Partition": "aws",
                "Region": region
            }],
            "Workflow": { "Status": "NEW" },
            "RecordState": "ACTIVE"
        }]}
    })
}

/// A Step Functions client that waits as long as the execution may take, and sends
/// StartSyncExecution to a custom endpoint as it is (see [`NoHostPrefixOutsideAws`]).
fn sfn_client(config: &SdkConfig, timeout: Duration) -> aws_sdk_sfn::Client {
    // One attempt may last the whole wait, so a timed-out StartSyncExecution is never retried
    // into a second execution.
    let budget = timeout + Duration::from_secs(10);
    let conf = aws_sdk_sfn::config::Builder::from(config)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(budget)
                .operation_timeout(budget)
                .build(),
        )
        .interceptor(NoHostPrefixOutsideAws)
        .build();
    aws_sdk_sfn::Client::from_conf(conf)
}

async fn workflow_type(sfn: &aws_sdk_sfn::Client, arn: &str) -> Result<WorkflowType> {
    let described = sfn
        .describe_state_machine()
        .state_machine_arn(arn)
        .send()
        .await
        .context("DescribeStateMachine (pass --workflow-type to skip it)")?;
    match described.r#type() {
        StateMachineType::Express => Ok(WorkflowType::Express),
        StateMachineType::Standard => Ok(WorkflowType::Standard),
        other => bail!("unknown workflow type {other:?}; pass --workflow-type"),
    }
}

/// How an execution ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Execution {
    pub arn: String,
    /// `SUCCEEDED`, `FAILED`, `TIMED_OUT`, `ABORTED`.
    pub status: String,
    pub output: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
}

async fn run_express(
    sfn: &aws_sdk_sfn::Client,
    arn: &str,
    name: &str,
    event: &Value,
) -> Result<Execution> {
    let out = sfn
        .start_sync_execution()
        .state_machine_arn(arn)
        .name(name)
        .input(event.to_string())
        .send()
        .await
        .context("StartSyncExecution")?;
    Ok(Execution {
        arn: out.execution_arn().to_owned(),
        status: out.status().as_str().to_owned(),
        output: out.output().map(str::to_owned),
        error: out.error().map(str::to_owned),
        cause: out.cause().map(str::to_owned),
    })
}

async fn run_standard(
    sfn: &aws_sdk_sfn::Client,
    arn: &str,
    name: &str,
    event: &Value,
    timeout: Duration,
) -> Result<Execution> {
    let started = sfn
        .start_execution()
        .state_machine_arn(arn)
        .name(name)
        .input(event.to_string())
        .send()
        .await
        .context("StartExecution")?;
    let execution_arn = started.execution_arn().to_owned();
    let deadline = Instant::now() + timeout;
    let mut pause = FIRST_POLL;
    loop {
        let described = sfn
            .describe_execution()
            .execution_arn(&execution_arn)
            .send()
            .await
            .context("DescribeExecution")?;
        let status = described.status();
        if !matches!(
            status,
            ExecutionStatus::Running | ExecutionStatus::PendingRedrive
        ) {
            return Ok(Execution {
                arn: execution_arn,
                status: status.as_str().to_owned(),
                output: described.output().map(str::to_owned),
                error: described.error().map(str::to_owned),
                cause: described.cause().map(str::to_owned),
            });
        }
        if Instant::now() + pause > deadline {
            bail!(
                "execution {execution_arn} is still {} after {} s (--timeout); it keeps running, \
                 see it in the Step Functions console",
                status.as_str(),
                timeout.as_secs()
            );
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_POLL);
    }
}

async fn forget(config: &SdkConfig, table: &str, finding_id: &str) -> Result<bool> {
    let id = FindingId::new(finding_id).map_err(|p| anyhow::anyhow!("finding id {p}"))?;
    let store = DynamoSeenStore::new(
        AwsClients::from_sdk_config(config.clone()).dynamodb(),
        table,
    );
    store
        .forget(&id)
        .await
        .with_context(|| format!("deleting the test record from {table}"))
}

/// One element of the execution's output: a finding's outcome line (or, for a rejected
/// finding, the `Rejected` state's shorter object).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OutcomeLine {
    pub finding_id: Option<String>,
    pub decision: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub severity: Option<String>,
    #[serde(default)]
    pub priority: Option<String>,
    /// The sent message's id.
    #[serde(default)]
    pub email: Option<String>,
    /// A rejected finding's error.
    #[serde(default)]
    pub error: Option<String>,
}

/// Reads the execution output: the Map's array of outcome lines.
pub fn parse_outcomes(output: &str) -> Result<Vec<OutcomeLine>> {
    serde_json::from_str(output).context("the execution output is not a list of outcomes")
}

/// The states a decision went through in `statemachine/pipeline.asl.json`.
pub fn path_of(decision: &str) -> &'static str {
    match decision {
        "new" => "CheckSeen -> ScoreAndSummarise -> RenderAndSendEmail -> Sent",
        "realert" => "CheckSeen -> AgeCheck -> ScoreAndSummarise -> RenderAndSendEmail -> Sent",
        "suppressed" => "CheckSeen -> AgeCheck -> Suppressed",
        "resolved" | "ignored" => "CheckSeen -> Done",
        "rejected" => "CheckSeen -> Rejected",
        _ => "unknown",
    }
}

/// What the smoke test concludes from an execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The execution succeeded with the test finding's outcome.
    Finished(OutcomeLine),
    /// The execution did not succeed, or said nothing of the test finding.
    Failed(String),
}

impl Verdict {
    pub fn of(execution: &Execution, finding_id: &str) -> Verdict {
        if execution.status != "SUCCEEDED" {
            let mut why = format!("the execution {}", execution.status);
            if let Some(error) = &execution.error {
                why.push_str(&format!(": {error}"));
            }
            if let Some(cause) = &execution.cause {
                why.push_str(&format!(" ({cause})"));
            }
            if execution.error.as_deref() == Some("Hushhub.SendFailed") {
                why.push_str(
                    "; path: CheckSeen -> ScoreAndSummarise -> RenderAndSendEmail -> \
                     ReleaseClaim -> SendFailed",
                );
            }
            return Verdict::Failed(why);
        }
        let Some(output) = &execution.output else {
            return Verdict::Failed("the execution succeeded without an output".into());
        };
        match parse_outcomes(output) {
            Ok(lines) => match lines
                .into_iter()
                .find(|l| l.finding_id.as_deref().is_none_or(|id| id == finding_id))
            {
                Some(line) => Verdict::Finished(line),
                None => Verdict::Failed(format!("no outcome for {finding_id} in {output}")),
            },
            Err(e) => Verdict::Failed(format!("{e:#}: {output}")),
        }
    }

    /// Whether the alert email went out.
    pub fn email_sent(&self) -> bool {
        matches!(self, Verdict::Finished(line) if line.email.is_some())
    }

    /// What to print.
    pub fn lines(&self) -> Vec<String> {
        match self {
            Verdict::Failed(why) => vec![format!("email: NOT sent: {why}")],
            Verdict::Finished(line) => {
                let mut lines = vec![
                    format!("path: {}", path_of(&line.decision)),
                    format!(
                        "decision: {}{}",
                        line.decision,
                        line.reason
                            .as_deref()
                            .or(line.error.as_deref())
                            .map(|r| format!(" ({r})"))
                            .unwrap_or_default()
                    ),
                ];
                if let Some(priority) = &line.priority {
                    lines.push(format!("priority: {priority}"));
                }
                lines.push(match &line.email {
                    Some(id) => format!("email: sent, message id {id}"),
                    None => "email: NOT sent".to_owned(),
                });
                lines
            }
        }
    }
}

/// Step Functions serves StartSyncExecution on `sync-states.<region>.amazonaws.com`, and the SDK
/// puts `sync-` in front of any endpoint, custom ones too (`sync-127.0.0.1` resolves nowhere).
/// The AWS SDK for Rust has no switch for it (botocore's is `inject_host_prefix`), so this takes
/// the prefix off again for hosts outside AWS's domains: local emulators and test stubs.
#[derive(Debug)]
struct NoHostPrefixOutsideAws;

const AWS_DOMAINS: [&str; 3] = [".amazonaws.com", ".amazonaws.com.cn", ".api.aws"];

impl Intercept for NoHostPrefixOutsideAws {
    fn name(&self) -> &'static str {
        "hushhub::NoHostPrefixOutsideAws"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        if let Some(uri) = without_sync_prefix(request.uri()) {
            request
                .set_uri(uri)
                .map_err(|e| BoxError::from(format!("rewriting the endpoint: {e}")))?;
        }
        Ok(())
    }
}

fn without_sync_prefix(uri: &str) -> Option<String> {
    let (scheme, rest) = uri.split_once("://")?;
    let rest = rest.strip_prefix("sync-")?;
    let host = rest.split(['/', '?', ':']).next().unwrap_or_default();
    if AWS_DOMAINS.iter().any(|domain| host.ends_with(domain)) {
        return None;
    }
    Some(format!("{scheme}://{rest}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hushhub_core::finding::{Finding, ImportedEvent, Severity};

    fn target() -> StateMachine {
        StateMachine::parse("arn:aws:states:eu-west-1:111122223333:stateMachine:hushhub")
            .expect("valid")
    }

    #[test]
    fn state_machine_arn_names_region_and_account() {
        let t = target();
        assert_eq!(
            (t.region.as_str(), t.account.as_str()),
            ("eu-west-1", "111122223333")
        );
        assert!(StateMachine::parse("arn:aws:lambda:eu-west-1:111122223333:function:x").is_err());
    }

    #[test]
    fn synthetic_finding_is_a_valid_marked_high_finding() {
        let now = Utc::now();
        let event = synthetic_event(&target(), "hushhub-smoke-test/1", "hushhub", now);
        let event = ImportedEvent::from_value(event).expect("a valid imported event");
        let finding = Finding::from_asff(&event.findings()[0], "f").expect("a valid finding");
        assert!(finding.id.as_str().starts_with(FINDING_ID_PREFIX));
        assert!(finding.title.starts_with(TITLE_PREFIX));
        assert_eq!(finding.severity, Severity::High);
        assert_eq!(finding.account_id.as_str(), "111122223333");
        assert_eq!(finding.region, "eu-west-1");
    }

    #[test]
    fn host_prefix_is_removed_only_outside_aws() {
        assert_eq!(
            without_sync_prefix("http://sync-127.0.0.1:8083/").as_deref(),
            Some("http://127.0.0.1:8083/")
        );
        assert_eq!(
            without_sync_prefix("http://sync-localhost:8083").as_deref(),
            Some("http://localhost:8083")
        );
        assert_eq!(
            without_sync_prefix("https://sync-states.eu-west-1.amazonaws.com/"),
            None
        );
        assert_eq!(without_sync_prefix("http://127.0.0.1:8083/"), None);
    }

    #[test]
    fn rejected_and_failed_executions_are_not_a_sent_email() {
        let rejected = Execution {
            arn: "x".into(),
            status: "SUCCEEDED".into(),
            output: Some(
                r#"[{"event_id":"e","index":0,"decision":"rejected","error":"bad"}]"#.into(),
            ),
            error: None,
            cause: None,
        };
        let verdict = Verdict::of(&rejected, "hushhub-smoke-test/1");
        assert!(!verdict.email_sent());
        assert!(verdict.lines()[0].contains("CheckSeen -> Rejected"));

        let failed = Execution {
            status: "FAILED".into(),
            output: None,
            error: Some("Hushhub.SendFailed".into()),
            cause: Some("The alert email could not be sent".into()),
            ..rejected
        };
        let verdict = Verdict::of(&failed, "hushhub-smoke-test/1");
        assert!(!verdict.email_sent());
        assert!(verdict.lines()[0].contains("ReleaseClaim -> SendFailed"));
    }
}
