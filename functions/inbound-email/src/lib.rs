//! The inbound-email function: SES's receipt rule invokes it (asynchronously) with a receipt
//! event, which carries the message's headers and SES's verdicts, not its body; that is all the
//! decision needs. Each record is processed by the inbound use case; a failure makes the
//! invocation fail, so Lambda retries it and, past its retries, hands it to the on-failure
//! destination. A retry is safe: each message's outcome is recorded once.

use aws_lambda_events::event::ses::SimpleEmailEvent;
use lambda_runtime::LambdaEvent;
use serde::Serialize;
use usher_core::app::App;
use usher_core::usecases::inbound::{self, InboundMessage, Outcome};

/// What the invocation answers (logged by the caller; SES ignores it for an asynchronous call).
#[derive(Debug, Serialize)]
pub struct Processed {
    pub outcomes: Vec<Outcome>,
}

/// Processes every record of `event`.
pub async fn handler(app: &App, event: LambdaEvent<SimpleEmailEvent>) -> anyhow::Result<Processed> {
    let mut outcomes = Vec::new();
    for record in &event.payload.records {
        let message = InboundMessage::from_ses(record);
        outcomes.extend(inbound::receive(app, &message).await?);
    }
    tracing::info!(outcomes = outcomes.len(), "inbound event processed");
    Ok(Processed { outcomes })
}
