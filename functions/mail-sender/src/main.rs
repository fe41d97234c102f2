//! Lambda entry point of the mail sender.

use std::sync::Arc;

use usher_core::mail::{Sender, SesMailer};
use usher_core::runtime;
use usher_core::usecases::webhooks::bus::EventBridgeBus;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    runtime::init_telemetry(runtime::LogFormat::Json);
    let mut app = runtime::lambda_app_builder().await?;
    // The template's EventBus parameter: every event onto the stack's EventBridge bus too.
    if let Some(bus) = runtime::var("USHER_EVENT_BUS") {
        app = app.event_bus(Arc::new(EventBridgeBus::from_env(bus).await));
    }
    let app = app.build();
    let from = Sender::parse(&runtime::required("USHER_MAIL_FROM")?)?;
    let mailer = SesMailer::from_env(from, runtime::var("USHER_SES_CONFIGURATION_SET")).await;
    let dispatcher = usher_core::usecases::dispatch::dispatcher(&app, Arc::new(mailer));
    let dispatcher = &dispatcher;
    lambda_runtime::run(lambda_runtime::service_fn(move |event| {
        usher_mail_sender::handler(dispatcher, event)
    }))
    .await
}
