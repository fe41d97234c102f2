//! Amazon SES v2 through the official SDK.

use async_trait::async_trait;
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message, MessageHeader};

use super::{MailError, Mailer, OutgoingMail, Sender};

#[derive(Clone)]
pub struct SesMailer {
    client: Client,
    from: Sender,
    configuration_set: Option<String>,
}

fn content(data: &str) -> Result<Content, MailError> {
    Content::builder()
        .data(data)
        .charset("UTF-8")
        .build()
        .map_err(|e| MailError::Send(e.into()))
}

impl SesMailer {
    pub fn new(client: Client, from: Sender, configuration_set: Option<String>) -> Self {
        Self {
            client,
            from,
            configuration_set,
        }
    }

    /// The client from the AWS environment. A send that takes longer than 6 seconds, retries
    /// included, fails: the outbox claim it runs under lasts 10, and must outlive it.
    pub async fn from_env(from: Sender, configuration_set: Option<String>) -> Self {
        let config = crate::aws::sdk_config(std::time::Duration::from_secs(6)).await;
        Self::new(Client::new(&config), from, configuration_set)
    }
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send(&self, message_id: &str, mail: &OutgoingMail) -> Result<(), MailError> {
        let mut headers = mail
            .headers
            .iter()
            .map(|(name, value)| MessageHeader::builder().name(name).value(value).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| MailError::Send(e.into()))?;
        headers.push(
            MessageHeader::builder()
                .name("X-Usher-Message-Id")
                .value(message_id)
                .build()
                .map_err(|e| MailError::Send(e.into()))?,
        );
        let message = Message::builder()
            .subject(content(&mail.subject)?)
            .body(
                Body::builder()
                    .text(content(&mail.text)?)
                    .html(content(&mail.html)?)
                    .build(),
            )
            .set_headers(Some(headers))
            .build();
        self.client
            .send_email()
            .from_email_address(self.from.mailbox())
            .destination(
                Destination::builder()
                    .to_addresses(mail.to.as_str())
                    .build(),
            )
            .content(EmailContent::builder().simple(message).build())
            .set_configuration_set_name(self.configuration_set.clone())
            .send()
            .await
            .map_err(|e| MailError::Send(e.into_service_error().into()))?;
        Ok(())
    }
}
