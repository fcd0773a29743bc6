//! `hushhub check-model`: before Bedrock is turned on, asks the configured model one tiny
//! question with this machine's AWS configuration, and says whether this account and Region can
//! use it and, when not, what to change. Exit 0 when usable, 1 when not.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use aws_config::{BehaviorVersion, Region};
use clap::Args;
use hushhub_aws::bedrock::{ModelCheckError, ModelProblem, check_model_access};
use hushhub_aws::clients::AwsClients;
use hushhub_core::config::{DEFAULT_BEDROCK_MODEL_ID, env};

/// Where the Regions that offer each model, and each inference profile, are listed.
const MODEL_REGIONS_URL: &str =
    "https://docs.aws.amazon.com/bedrock/latest/userguide/models-regions.html";
const PROFILE_REGIONS_URL: &str =
    "https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html";

/// The geography prefixes of cross-Region inference profile ids (as the Terraform module's IAM
/// reads them).
const PROFILE_PREFIXES: [&str; 8] = [
    "global.", "us-gov.", "us.", "eu.", "apac.", "jp.", "au.", "ca.",
];

#[derive(Debug, Args)]
pub struct CheckModelArgs {
    /// The model or inference profile id to try: the deployment's `bedrock_model_id`.
    #[arg(long, env = env::BEDROCK_MODEL_ID, default_value = DEFAULT_BEDROCK_MODEL_ID)]
    model_id: String,
    /// The Region to call Bedrock in: the deployment's. Default: the AWS configuration's
    /// (`AWS_REGION`, the profile's `region`).
    #[arg(long)]
    region: Option<String>,
    /// Another Bedrock runtime endpoint (a VPC endpoint). Default: the AWS configuration's
    /// (`AWS_ENDPOINT_URL`, or the Region's public endpoint).
    #[arg(long)]
    endpoint_url: Option<String>,
}

/// Checks the model; the exit code says whether it is usable.
pub fn run(args: CheckModelArgs) -> Result<ExitCode> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(check_model(args))
}

async fn check_model(args: CheckModelArgs) -> Result<ExitCode> {
    let model = args.model_id.as_str();
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = &args.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(url) = &args.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    let config = loader.load().await;
    let Some(region) = config.region().map(ToString::to_string) else {
        println!("NOT USABLE: {model}: no AWS Region is configured");
        println!(
            "fix: pass --region with the Region hushhub is deployed in, or set AWS_REGION \
             (or `region` in the profile's configuration)"
        );
        return Ok(ExitCode::FAILURE);
    };

    println!("checking {model} in {region} with one small Converse request");
    let started = Instant::now();
    let clients = AwsClients::from_sdk_config(config);
    match check_model_access(&clients, model).await {
        Ok(reply) => {
            println!(
                "USABLE: {model} answered in {:.1} s ({:?}): this account can use it in {region}",
                started.elapsed().as_secs_f64(),
                reply.trim()
            );
            println!(
                "the Lambda needs the same: bedrock_enabled = true and bedrock_model_id = \"{model}\" \
                 in Terraform, which also grants it bedrock:InvokeModel"
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            let advice = advice(&error, model, &region);
            println!("NOT USABLE: {model} in {region}: {}", advice.what);
            println!("  {}", error.detail);
            for (i, step) in advice.fixes.iter().enumerate() {
                let label = if i == 0 { "fix:" } else { "    " };
                println!("{label} {step}");
            }
            Ok(ExitCode::FAILURE)
        }
    }
}

/// What went wrong, in a user's words, and what to change.
struct Advice {
    what: &'static str,
    fixes: Vec<String>,
}

fn advice(error: &ModelCheckError, model: &str, region: &str) -> Advice {
    let foundation = foundation_model(model);
    match error.problem {
        ModelProblem::NoCredentials => Advice {
            what: "no AWS credentials were found",
            fixes: vec![
                "configure credentials of the account hushhub runs in: `aws configure`, or \
                 `aws sso login --profile NAME` and AWS_PROFILE=NAME, or AWS_ACCESS_KEY_ID and \
                 AWS_SECRET_ACCESS_KEY (with AWS_SESSION_TOKEN for temporary ones)"
                    .to_owned(),
            ],
        },
        ModelProblem::AccessDenied => {
            let mut resources = Vec::new();
            if foundation != model {
                resources.push(format!(
                    "the inference profile arn:aws:bedrock:{region}:ACCOUNT:inference-profile/{model}"
                ));
            }
            resources.push(format!(
                "the foundation model{} arn:aws:bedrock:*::foundation-model/{foundation}",
                if foundation != model {
                    " it routes to, in every Region the profile uses:"
                } else {
                    ""
                }
            ));
            Advice {
                what: "this account or caller may not invoke the model",
                fixes: vec![
                    format!(
                        "enable access to {foundation} in the Amazon Bedrock console in {region} \
                         (Model access; Anthropic models also need the one-time use-case form)"
                    ),
                    format!(
                        "allow the caller bedrock:InvokeModel on {} (the Terraform module grants \
                         its Lambda exactly this)",
                        resources.join(" and on ")
                    ),
                ],
            }
        }
        ModelProblem::NeedsInferenceProfile => Advice {
            what: "the model cannot be invoked on demand by its own id",
            fixes: vec![format!(
                "use a cross-Region inference profile id instead, e.g. global.{foundation} or the \
                 us./eu./apac. profile of the model (default {DEFAULT_BEDROCK_MODEL_ID}): \
                 --model-id, HUSHHUB_BEDROCK_MODEL_ID, or Terraform's bedrock_model_id"
            )],
        },
        ModelProblem::NotAvailable => Advice {
            what: "the model or profile id is unknown, retired, or not offered in this Region",
            fixes: vec![
                format!("check the id, and the Regions that offer the model: {MODEL_REGIONS_URL}"),
                format!(
                    "an inference profile reaches more Regions ({PROFILE_REGIONS_URL}), e.g. \
                     {DEFAULT_BEDROCK_MODEL_ID}"
                ),
            ],
        },
        ModelProblem::Throttled => Advice {
            what: "Bedrock is throttling this account (access itself looks fine)",
            fixes: vec![
                "retry in a minute".to_owned(),
                format!(
                    "if it persists, check the Bedrock quotas for this model (requests and tokens \
                     per minute) in Service Quotas in {region}, or ask for an increase"
                ),
            ],
        },
        ModelProblem::Timeout => Advice {
            what: "the model did not answer in time",
            fixes: vec![format!(
                "retry; if it persists, check the network path to bedrock-runtime.{region}.amazonaws.com \
                 (proxy, firewall, VPC endpoint)"
            )],
        },
        ModelProblem::Unreachable => Advice {
            what: "the Bedrock endpoint could not be reached",
            fixes: vec![
                "check the network, the proxy settings, and --endpoint-url or AWS_ENDPOINT_URL if set"
                    .to_owned(),
            ],
        },
        ModelProblem::Other => Advice {
            what: "Bedrock refused the request",
            fixes: vec!["the error above says why".to_owned()],
        },
    }
}

/// The foundation model id behind a cross-Region inference profile id (the id itself if it is
/// not one).
fn foundation_model(model: &str) -> &str {
    PROFILE_PREFIXES
        .iter()
        .find_map(|prefix| model.strip_prefix(prefix))
        .unwrap_or(model)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_ids_name_their_foundation_model() {
        assert_eq!(
            foundation_model("global.anthropic.claude-sonnet-4-6"),
            "anthropic.claude-sonnet-4-6"
        );
        assert_eq!(
            foundation_model("us-gov.anthropic.claude-3-haiku-20240307-v1:0"),
            "anthropic.claude-3-haiku-20240307-v1:0"
        );
        assert_eq!(
            foundation_model("anthropic.claude-sonnet-4-6"),
            "anthropic.claude-sonnet-4-6"
        );
    }
}
