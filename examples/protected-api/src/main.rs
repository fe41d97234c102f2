//! `USHER_ISSUER=http://127.0.0.1:3000 USHER_AUDIENCE=http://127.0.0.1:3000 cargo run -p
//! usher-example-protected-api`, then `curl -H "authorization: Bearer $ACCESS_TOKEN"
//! http://127.0.0.1:4000/whoami`.

use usher_example_protected_api::{Verifier, router};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let issuer = std::env::var("USHER_ISSUER").unwrap_or_else(|_| "http://127.0.0.1:3000".into());
    let audience = std::env::var("USHER_AUDIENCE").unwrap_or_else(|_| issuer.clone());
    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:4000".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("protected API on http://{addr}, trusting tokens of {issuer}");
    axum::serve(listener, router(Verifier::new(&issuer, &audience))).await?;
    Ok(())
}
