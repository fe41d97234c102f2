//! Lambda entry point of the SCIM function.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    usher_core::runtime::init_telemetry(usher_core::runtime::LogFormat::Json);
    let app = usher_core::runtime::lambda_app().await?;
    lambda_http::run(usher_scim::router(app)).await
}
