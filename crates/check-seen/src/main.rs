//! The check-seen Lambda: `check_seen` and `release_claim` on the DynamoDB table, with ECR for
//! the latest-image check.

// The handler's future nests the SDK's request futures (get, claim, forget, ECR) deeply enough
// that computing its layout passes the default query depth of 128.
#![recursion_limit = "256"]

use std::sync::Arc;

use check_seen::Ports;
use hushhub_aws::clients::AwsClients;
use hushhub_aws::dynamodb::DynamoSeenStore;
use hushhub_aws::ecr::EcrImageRegistry;
use hushhub_aws::lambda;
use hushhub_core::ports::SystemClock;

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    let config = lambda::start().await?;
    let aws = AwsClients::from_env().await;
    let ports = Ports {
        store: DynamoSeenStore::new(aws.dynamodb(), config.table_name),
        registry: EcrImageRegistry::new(aws.ecr(), Arc::new(SystemClock)),
        clock: SystemClock,
        policy: config.policy,
    };
    lambda::serve(|request| check_seen::handle(&ports, request)).await
}
