//! The daily-reaper Lambda, started by an EventBridge schedule (whose event says nothing it
//! needs): one pass over the DynamoDB table against Security Hub, answering the `ReapReport`.

use daily_reaper::Ports;
use hushhub_aws::clients::AwsClients;
use hushhub_aws::dynamodb::DynamoSeenStore;
use hushhub_aws::lambda;
use hushhub_aws::securityhub::SecurityHubStatusSource;
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    let config = lambda::start().await?;
    let aws = AwsClients::from_env().await;
    let ports = Ports {
        store: DynamoSeenStore::new(aws.dynamodb(), config.table_name),
        source: SecurityHubStatusSource::new(aws.securityhub()),
    };
    lambda::serve(|_scheduled: Value| daily_reaper::handle(&ports)).await
}
