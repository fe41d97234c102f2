//! The inbound-email function: SES's receipt rule invokes it (asynchronously) with a receipt
//! event, which carries the message's headers and SES's verdicts, not its body; that is all the
//! decision needs. Each record is processed by the inbound use case; a failure makes the
//! invocation fail, so Lambda retries it and, past its retries, hands it to the on-failure
//! destination. A retry is safe: each message's outcome is recorded once.

use aws_lambda_events::event::ses::SimpleEmailEvent;
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde::Serialize;
use usher_core::app::App;
use usher_core::usecases::InternalError;
use usher_core::usecases::inbound::{self, InboundMessage, Outcome};

/// What the invocation answers (logged by the caller; SES ignores it for an asynchronous call).
#[derive(Debug, Serialize)]
pub struct Processed {
    pub outcomes: Vec<Outcome>,
}

/// Why an invocation failed: a message could not be processed (the table failed under it). The
/// runtime reports it, and Lambda retries the event.
#[derive(Debug, thiserror::Error)]
#[error("processing the inbound message {message_id} failed: {source}")]
pub struct InboundError {
    pub message_id: String,
    #[source]
    pub source: InternalError,
}

impl From<InboundError> for Diagnostic {
    fn from(error: InboundError) -> Self {
        Diagnostic {
            error_type: "InboundError".to_owned(),
            error_message: error.to_string(),
        }
    }
}

/// Processes every record of `event`.
pub async fn handler(
    app: &App,
    event: LambdaEvent<SimpleEmailEvent>,
) -> Result<Processed, InboundError> {
    let mut outcomes = Vec::new();
    for record in &event.payload.records {
        let message = InboundMessage::from_ses(record);
        let received = inbound::receive(app, &message)
            .await
            .map_err(|source| InboundError {
                message_id: message.message_id.clone(),
                source,
            })?;
        outcomes.extend(received);
    }
    tracing::info!(outcomes = outcomes.len(), "inbound event processed");
    Ok(Processed { outcomes })
}
