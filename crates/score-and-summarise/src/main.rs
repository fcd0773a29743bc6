//! The score-and-summarise Lambda: the deterministic score and a summary from Claude through
//! Bedrock, or the deterministic fallback when `HUSHHUB_BEDROCK_ENABLED` is off; the model's
//! summary is cached on the finding's DynamoDB item (one `UpdateItem`).

use hushhub_aws::bedrock::BedrockSummariser;
use hushhub_aws::clients::AwsClients;
use hushhub_aws::dynamodb::DynamoSeenStore;
use hushhub_aws::lambda;
use hushhub_core::config::env;
use hushhub_core::ports::{Summariser, SummariserError};
use hushhub_core::summary::Prompt;
use score_and_summarise::Ports;

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    let config = lambda::start().await?;
    let aws = AwsClients::from_env().await;
    let model = if config.bedrock_enabled {
        Model::Bedrock(BedrockSummariser::from_clients(
            &aws,
            config.bedrock_model_id.clone(),
        ))
    } else {
        Model::Off
    };
    let ports = Ports {
        summariser: model,
        summary_cache: DynamoSeenStore::new(aws.dynamodb(), config.table_name),
        // Off means off: no model id, so no summary cached while it was on is sent either.
        model_id: if config.bedrock_enabled {
            config.bedrock_model_id
        } else {
            String::new()
        },
    };
    lambda::serve(|input| score_and_summarise::handle(&ports, input)).await
}

/// Claude through Bedrock, or no model at all (every summary is the fallback, which says why).
enum Model {
    Bedrock(BedrockSummariser),
    Off,
}

impl Summariser for Model {
    async fn complete(&self, prompt: &Prompt) -> Result<String, SummariserError> {
        match self {
            Model::Bedrock(bedrock) => bedrock.complete(prompt).await,
            Model::Off => Err(SummariserError::Offline(format!(
                "{} is off",
                env::BEDROCK_ENABLED
            ))),
        }
    }
}
