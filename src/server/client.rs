//! Who sent a request, for the per-client query limits and the logs: the peer address, or behind
//! a trusted reverse proxy (`http.trusted_proxies`) the last address in `X-Forwarded-For` that is
//! not one of those proxies (earlier entries are whatever the client claimed).

use super::AppState;
use super::slots::ClientKey;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

/// The client of a request; `None` when the server does not know (an in-process call).
#[derive(Debug, Clone, Copy)]
pub struct Client(pub Option<IpAddr>);

impl Client {
    pub fn key(self) -> ClientKey {
        self.0.map_or_else(ClientKey::unknown, ClientKey::of)
    }
}

impl std::fmt::Display for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(ip) => write!(f, "{ip}"),
            None => f.write_str("unknown"),
        }
    }
}

impl FromRequestParts<AppState> for Client {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        Ok(client_of(parts, &state.trusted_proxies))
    }
}

pub(super) fn client_of(parts: &Parts, trusted: &[ipnet::IpNet]) -> Client {
    let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() else {
        return Client(None);
    };
    let peer = peer.ip().to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Client(Some(peer));
    }
    let forwarded = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    // Right to left: each trusted proxy appended the address it saw.
    let client = forwarded
        .iter()
        .rev()
        .filter_map(|entry| entry.parse::<IpAddr>().ok().map(|ip| ip.to_canonical()))
        .find(|ip| !is_trusted(ip));
    Client(Some(client.unwrap_or(peer)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(peer: &str, forwarded: &[&str]) -> Parts {
        let mut request = Request::builder().uri("/");
        for value in forwarded {
            request = request.header("x-forwarded-for", *value);
        }
        let (mut parts, ()) = request.body(()).unwrap().into_parts();
        parts
            .extensions
            .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        parts
    }

    #[test]
    fn the_forwarded_address_counts_only_behind_a_trusted_proxy() {
        let trusted = vec!["10.0.0.0/8".parse().unwrap()];
        let direct = client_of(&parts("192.0.2.7:4000", &["198.51.100.1"]), &trusted);
        assert_eq!(
            direct.0,
            Some("192.0.2.7".parse().unwrap()),
            "spoofed header ignored"
        );
        let proxied = client_of(
            &parts("10.0.0.2:4000", &["203.0.113.9, 198.51.100.1", "10.0.0.3"]),
            &trusted,
        );
        assert_eq!(proxied.0, Some("198.51.100.1".parse().unwrap()));
        let bare = client_of(&parts("10.0.0.2:4000", &[]), &trusted);
        assert_eq!(bare.0, Some("10.0.0.2".parse().unwrap()));
        let mapped = client_of(&parts("[::ffff:192.0.2.7]:4000", &[]), &[]);
        assert_eq!(mapped.0, Some("192.0.2.7".parse().unwrap()));
    }
}
