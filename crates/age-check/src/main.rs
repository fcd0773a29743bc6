//! The age-check Lambda: re-alert or suppress a seen finding, on the DynamoDB table.

use age_check::Ports;
use hushhub_aws::clients::AwsClients;
use hushhub_aws::dynamodb::DynamoSeenStore;
use hushhub_aws::lambda;
use hushhub_core::ports::SystemClock;

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    let config = lambda::start().await?;
    let aws = AwsClients::from_env().await;
    let ports = Ports {
        store: DynamoSeenStore::new(aws.dynamodb(), config.table_name),
        clock: SystemClock,
        renotify: config.policy.renotify,
    };
    lambda::serve(|input| age_check::handle(&ports, input)).await
}
