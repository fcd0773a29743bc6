//! AWS adapters for hushhub's ports: the only crate that depends on the AWS SDK.
//!
//! One adapter per port (DynamoDB `SeenStore`, SES v2 `Mailer`, Security Hub
//! `FindingStatusSource`, ECR `ImageRegistry`, Bedrock `Summariser`), and client construction in
//! one place. Endpoints come from the SDK's own configuration (`AWS_ENDPOINT_URL` in tests), so
//! the adapters have no test-only code.

pub mod bedrock;
pub mod clients;
pub mod counting;
pub mod dynamodb;
pub mod ecr;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod securityhub;
pub mod ses;
