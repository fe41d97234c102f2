//! Where Usher may send a webhook: never into the network it runs in.
//!
//! A URL is checked when an endpoint is registered and again before every attempt, after DNS
//! resolution: a name that resolved to a public address at registration may resolve to a private
//! one later. The attempt then connects to the very addresses checked (see `delivery`), and
//! follows no redirect. Refused: loopback (outside local mode), private (10/8, 172.16/12,
//! 192.168/16, fc00::/7), link-local (169.254/16 with the cloud metadata address, fe80::/10),
//! carrier-grade NAT (100.64/10), unspecified, multicast, broadcast, documentation and reserved
//! ranges, and IPv4 addresses written inside IPv6 ones. Local mode (`usher serve`, the tests)
//! allows loopback receivers only.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use url::Url;

/// Which receivers a deployment may send to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WebhookReceivers {
    /// Public addresses, over HTTPS: a deployment on AWS.
    #[default]
    Public,
    /// Loopback addresses only, over HTTP or HTTPS: `usher serve` and the tests.
    LoopbackOnly,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReceiverError {
    #[error("url is required")]
    Missing,
    #[error("the url is not an absolute http(s) URL of at most 2,000 characters")]
    Invalid,
    #[error("the url must use https")]
    NotHttps,
    #[error("the url may not carry a user name or password")]
    Credentials,
    #[error("the url's host does not resolve")]
    Unresolved,
    #[error("the url's host resolves to {0}, an address webhooks are never sent to")]
    Forbidden(IpAddr),
}

/// Names to addresses: the system's resolver in a deployment; the tests steer their own, to
/// move a name to another address between two attempts.
#[async_trait::async_trait]
pub trait HostResolver: Send + Sync {
    async fn lookup(&self, host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>>;
}

/// The operating system's resolver.
pub struct SystemResolver;

#[async_trait::async_trait]
impl HostResolver for SystemResolver {
    async fn lookup(&self, host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
        Ok(tokio::net::lookup_host((host, port)).await?.collect())
    }
}

/// Parses and checks `raw`, resolving its host: the URL as it will be called.
pub async fn check_url(
    raw: &str,
    receivers: WebhookReceivers,
    resolver: &dyn HostResolver,
) -> Result<Url, ReceiverError> {
    if raw.chars().count() > 2000 {
        return Err(ReceiverError::Invalid);
    }
    let url = Url::parse(raw.trim()).map_err(|_| ReceiverError::Invalid)?;
    match (url.scheme(), receivers) {
        ("https", _) | ("http", WebhookReceivers::LoopbackOnly) => {}
        ("http", WebhookReceivers::Public) => return Err(ReceiverError::NotHttps),
        _ => return Err(ReceiverError::Invalid),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ReceiverError::Credentials);
    }
    resolve(&url, receivers, resolver).await?;
    Ok(url)
}

/// The addresses `url`'s host resolves to now, every one of them allowed.
pub async fn resolve(
    url: &Url,
    receivers: WebhookReceivers,
    resolver: &dyn HostResolver,
) -> Result<Vec<SocketAddr>, ReceiverError> {
    let host = url.host_str().ok_or(ReceiverError::Invalid)?;
    let port = url.port_or_known_default().ok_or(ReceiverError::Invalid)?;
    // An IPv6 literal comes bracketed.
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addresses = resolver
        .lookup(host, port)
        .await
        .map_err(|_| ReceiverError::Unresolved)?;
    if addresses.is_empty() {
        return Err(ReceiverError::Unresolved);
    }
    if let Some(refused) = addresses.iter().find(|a| !allowed(a.ip(), receivers)) {
        return Err(ReceiverError::Forbidden(refused.ip()));
    }
    Ok(addresses)
}

/// Whether a webhook may go to `ip`.
pub fn allowed(ip: IpAddr, receivers: WebhookReceivers) -> bool {
    match receivers {
        WebhookReceivers::LoopbackOnly => ip.is_loopback(),
        WebhookReceivers::Public => match ip {
            IpAddr::V4(v4) => public_v4(v4),
            IpAddr::V6(v6) => public_v6(v6),
        },
    }
}

fn public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0
        // Carrier-grade NAT, 100.64.0.0/10.
        || (a == 100 && (64..128).contains(&b))
        // IETF protocol assignments, 192.0.0.0/24; benchmarking, 198.18.0.0/15.
        || (a == 192 && b == 0 && ip.octets()[2] == 0)
        || (a == 198 && (b == 18 || b == 19))
        // Reserved, 240.0.0.0/4.
        || a >= 240)
}

fn public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return public_v4(v4);
    }
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // Unique local fc00::/7, link-local fe80::/10, site-local fec0::/10.
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first & 0xffc0) == 0xfec0
        // IPv4-compatible ::/96, NAT64 64:ff9b::/96, documentation 2001:db8::/32.
        || ip.segments()[..6].iter().all(|s| *s == 0)
        || (first == 0x64 && ip.segments()[1] == 0xff9b)
        || (first == 0x2001 && ip.segments()[1] == 0x0db8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_outside_local_mode_and_only_loopback_in_it() {
        let public = WebhookReceivers::Public;
        for refused in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
            "::10.0.0.1",
            "2001:db8::1",
        ] {
            let ip: IpAddr = refused.parse().unwrap();
            assert!(!allowed(ip, public), "{refused}");
        }
        for fine in ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"] {
            assert!(allowed(fine.parse().unwrap(), public), "{fine}");
        }
        let local = WebhookReceivers::LoopbackOnly;
        assert!(allowed("127.0.0.1".parse().unwrap(), local));
        assert!(allowed("::1".parse().unwrap(), local));
        assert!(!allowed("93.184.216.34".parse().unwrap(), local));
        assert!(!allowed("10.0.0.1".parse().unwrap(), local));
    }

    #[tokio::test]
    async fn urls_are_checked_after_resolution() {
        let public = WebhookReceivers::Public;
        assert_eq!(
            check_url("http://example.org/hook", public, &SystemResolver).await,
            Err(ReceiverError::NotHttps)
        );
        assert_eq!(
            check_url("https://user:pw@example.org/", public, &SystemResolver).await,
            Err(ReceiverError::Credentials)
        );
        assert_eq!(
            check_url("https://127.0.0.1/hook", public, &SystemResolver).await,
            Err(ReceiverError::Forbidden("127.0.0.1".parse().unwrap()))
        );
        assert_eq!(
            check_url("https://[::1]:8443/hook", public, &SystemResolver).await,
            Err(ReceiverError::Forbidden("::1".parse().unwrap()))
        );
        assert_eq!(
            check_url(
                "https://169.254.169.254/latest/meta-data",
                public,
                &SystemResolver
            )
            .await,
            Err(ReceiverError::Forbidden("169.254.169.254".parse().unwrap()))
        );
        // `localhost` resolves to loopback: refused as such, whatever its name.
        assert!(matches!(
            check_url("https://localhost/hook", public, &SystemResolver).await,
            Err(ReceiverError::Forbidden(_))
        ));
        assert!(
            check_url(
                "http://127.0.0.1:9/hook",
                WebhookReceivers::LoopbackOnly,
                &SystemResolver
            )
            .await
            .is_ok()
        );
        assert_eq!(
            check_url("ftp://example.org/", public, &SystemResolver).await,
            Err(ReceiverError::Invalid)
        );
    }
}
