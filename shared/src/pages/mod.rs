//! The HTML pages a person opens from a mail: one layout, localized from typed catalogues, with
//! no script and no third-party asset. Each page is sent with a strict Content-Security-Policy
//! (its one stylesheet allowed by hash), `Referrer-Policy: no-referrer` so the token in the URL
//! never leaks to another site, and headers that forbid framing and sniffing.
//!
//! A family of pages (the password-link pages in [`reset`]) is a module of its own: an enum of
//! its states, its catalogue of sentences, and a template that extends `pages/layout.html`. A new
//! family adds a module and touches none of the others.

mod invite;
mod password;
mod reset;
mod signup;

use std::sync::LazyLock;

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use crate::domain::Locale;

pub use invite::{InvitationSummary, InviteFormError, InvitePage, Typed};
pub use reset::{FormError, ResetPage};
pub use signup::{SignupFormError, SignupPage, SignupTyped};

const CSS: &str = "\
:root{color-scheme:light dark;--fg:#1f2933;--muted:#52606d;--bg:#f4f5f7;--card:#fff;--line:#cbd2d9;--accent:#1d4ed8;--error:#b42318}\
@media (prefers-color-scheme:dark){:root{--fg:#e4e7eb;--muted:#9aa5b1;--bg:#111827;--card:#1f2937;--line:#4b5563;--accent:#93b4ff;--error:#ff8a80}}\
*{box-sizing:border-box}\
body{margin:0;padding:24px 16px;background:var(--bg);color:var(--fg);font:16px/1.5 -apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif}\
main{max-width:28rem;margin:8vh auto 0;background:var(--card);border-radius:10px;padding:32px;box-shadow:0 1px 3px rgba(0,0,0,.12)}\
h1{font-size:1.5rem;line-height:1.25;margin:0 0 16px}\
h2{font-size:1.125rem;margin:0 0 4px}\
section{border-top:1px solid var(--line);margin-top:24px;padding-top:20px}\
blockquote{margin:0 0 16px;padding:8px 16px;border-left:4px solid var(--line);white-space:pre-line;overflow-wrap:break-word}\
p{margin:0 0 16px;overflow-wrap:break-word}\
label{display:block;font-weight:600;margin:16px 0 6px}\
input{display:block;width:100%;padding:10px 12px;font:inherit;color:inherit;background:transparent;border:1px solid var(--line);border-radius:6px}\
input[readonly]{background:var(--bg);color:var(--muted)}\
input:focus,button:focus,a:focus{outline:3px solid var(--accent);outline-offset:2px}\
.hint{color:var(--muted);font-size:.875rem;margin:6px 0 0}\
.error{color:var(--error);font-weight:600}\
.username{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}\
button,.button{display:inline-block;margin-top:24px;padding:12px 20px;border:0;border-radius:6px;background:var(--accent);color:var(--card);font:inherit;font-weight:600;text-decoration:none;cursor:pointer}";

/// The policy every page is sent with: nothing loads but the page's own stylesheet, forms post
/// only to this origin, and no other site may frame the page.
static CONTENT_SECURITY_POLICY: LazyLock<String> = LazyLock::new(|| {
    let hash = STANDARD.encode(Sha256::digest(CSS.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )
});

/// What the layout shows of every page: its language, its title, the stylesheet.
struct Shell {
    lang: &'static str,
    css: &'static str,
    title: String,
}

impl Shell {
    fn new(locale: Locale, title: &str) -> Self {
        Self {
            lang: locale.as_str(),
            css: CSS,
            title: title.to_owned(),
        }
    }
}

/// A button that leads somewhere else (sign in, the tenant's app).
struct Link {
    url: String,
    label: &'static str,
}

/// `page` rendered, with the status and the headers every page is sent with.
fn respond(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(body) => html_response(status, body),
        Err(error) => crate::http::Problem::internal(&error).into_response(),
    }
}

fn html_response(status: StatusCode, body: String) -> Response {
    protected(
        (status, axum::response::Html(body)).into_response(),
        &CONTENT_SECURITY_POLICY,
    )
}

/// `response` with `content_security_policy` and the headers every page is sent with: no
/// referrer (a link's token is in the URL), no type sniffing, no framing.
pub fn protected(mut response: Response, content_security_policy: &str) -> Response {
    let headers = response.headers_mut();
    if let Ok(policy) = HeaderValue::from_str(content_security_policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}
