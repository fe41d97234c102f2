//! Lambda entry point of the inbound-email function.

use lambda_runtime::{LambdaEvent, service_fn};
use usher_core::runtime;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    runtime::init_telemetry(runtime::LogFormat::Json);
    let app = runtime::lambda_app().await?;
    let app = &app;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| async move {
        usher_inbound_email::handler(app, event)
            .await
            .inspect_err(|error| tracing::error!(error = ?error, "inbound event failed"))
    }))
    .await
}
