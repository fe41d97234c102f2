//! Lambda entry point of the mail sender.

use std::sync::Arc;

use usher_core::mail::{Sender, SesMailer};
use usher_core::runtime;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    runtime::init_telemetry(runtime::LogFormat::Json);
    let app = runtime::lambda_app().await?;
    let from = Sender::parse(&runtime::required("USHER_MAIL_FROM")?)?;
    let mailer = SesMailer::from_env(from, runtime::var("USHER_SES_CONFIGURATION_SET")).await;
    let dispatcher = usher_core::usecases::dispatch::dispatcher(&app, Arc::new(mailer));
    let dispatcher = &dispatcher;
    lambda_runtime::run(lambda_runtime::service_fn(move |event| {
        usher_mail_sender::handler(dispatcher, event)
    }))
    .await
}
