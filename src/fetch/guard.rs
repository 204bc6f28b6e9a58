//! SSRF guard: only http(s), and hosts resolving to loopback, private, link-local, unique-local,
//! multicast, unspecified or other special-purpose addresses are refused unless allow-listed
//! (`crawl.allow_private`: host names, addresses or CIDR ranges).
//!
//! The host is resolved once here; the fetcher then pins the connection to exactly these
//! addresses (reqwest `resolve_to_addrs`), so a second DNS answer cannot swap in another target.

use super::FetchError;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use url::{Host, Url};

#[derive(Debug, Clone, Default)]
pub struct AllowList {
    hosts: Vec<String>,
    nets: Vec<IpNet>,
}

impl AllowList {
    pub fn parse(entries: &[String]) -> Result<Self, FetchError> {
        let mut list = Self::default();
        for entry in entries.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
            if let Ok(ip) = entry.parse::<IpAddr>() {
                list.nets.push(IpNet::from(ip));
            } else if let Ok(net) = entry.parse::<IpNet>() {
                list.nets.push(net);
            } else if entry.contains('/') {
                return Err(FetchError::Config(format!(
                    "crawl.allow_private entry {entry:?} is neither a host, an address nor a CIDR range"
                )));
            } else {
                list.hosts.push(entry.to_ascii_lowercase());
            }
        }
        Ok(list)
    }

    fn allows(&self, host: &str, ip: IpAddr) -> bool {
        !is_special(ip)
            || self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
            || self.nets.iter().any(|n| n.contains(&canonical(ip)))
    }
}

/// An IPv4-mapped IPv6 address is judged as the IPv4 address it carries.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// Addresses a public crawler has no business connecting to.
pub fn is_special(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_multicast()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (o[1] & 0xc0) == 64) // 100.64.0.0/10 carrier-grade NAT
                || (o[0] == 192 && o[1] == 0 && o[2] == 0) // 192.0.0.0/24 protocol assignments
                || (o[0] == 198 && (o[1] & 0xfe) == 18) // 198.18.0.0/15 benchmarking
                || o[0] >= 240 // reserved
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (s[0] & 0xffc0) == 0xfe80 // link local fe80::/10
                || (s[0] & 0xffc0) == 0xfec0 // site local (deprecated)
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] == 0x0064 && s[1] == 0xff9b) // NAT64 can reach IPv4 private space
        }
    }
}

/// Checks scheme and host of `url`, resolves it and returns the host and the addresses to pin.
pub async fn resolve(
    url: &Url,
    allow: &AllowList,
) -> Result<(String, Vec<SocketAddr>), FetchError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(FetchError::Scheme(url.scheme().to_owned()));
    }
    let port = url
        .port_or_known_default()
        .ok_or_else(|| FetchError::BadUrl(url.to_string()))?;
    let host = url
        .host()
        .ok_or_else(|| FetchError::BadUrl(format!("{url} has no host")))?;
    let (name, addrs): (String, Vec<SocketAddr>) = match host {
        Host::Ipv4(ip) => (ip.to_string(), vec![SocketAddr::new(ip.into(), port)]),
        Host::Ipv6(ip) => (ip.to_string(), vec![SocketAddr::new(ip.into(), port)]),
        Host::Domain(domain) => {
            let found = tokio::net::lookup_host((domain, port))
                .await
                .map_err(|e| FetchError::Dns {
                    host: domain.to_owned(),
                    message: e.to_string(),
                })?
                .collect::<Vec<_>>();
            (domain.to_ascii_lowercase(), found)
        }
    };
    if addrs.is_empty() {
        return Err(FetchError::Dns {
            host: name,
            message: "no addresses".into(),
        });
    }
    // Every address must pass: a host answering with one public and one private address could
    // otherwise be connected to the private one.
    if let Some(bad) = addrs.iter().find(|a| !allow.allows(&name, a.ip())) {
        return Err(FetchError::Blocked {
            host: name,
            addr: bad.ip().to_string(),
        });
    }
    Ok((name, addrs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_ranges_are_refused_unless_allowed() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "224.0.0.1",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_special(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "2a00:1450::1", "203.1.2.3"] {
            assert!(!is_special(ip.parse().unwrap()), "{ip}");
        }
        let allow = AllowList::parse(&["127.0.0.1".into(), "10.0.0.0/8".into()]).unwrap();
        assert!(allow.allows("x", "127.0.0.1".parse().unwrap()));
        assert!(allow.allows("x", "10.9.9.9".parse().unwrap()));
        assert!(!allow.allows("x", "192.168.0.1".parse().unwrap()));
        assert!(AllowList::parse(&["not/a/cidr".into()]).is_err());
    }

    #[tokio::test]
    async fn refuses_non_http_and_private_literals() {
        let none = AllowList::default();
        let err = resolve(&Url::parse("file:///etc/passwd").unwrap(), &none)
            .await
            .unwrap_err();
        assert!(matches!(err, FetchError::Scheme(_)));
        let err = resolve(&Url::parse("http://127.0.0.1:9/").unwrap(), &none)
            .await
            .unwrap_err();
        assert!(matches!(err, FetchError::Blocked { .. }));
        let err = resolve(&Url::parse("http://localhost:9/").unwrap(), &none)
            .await
            .unwrap_err();
        assert!(matches!(err, FetchError::Blocked { .. }));
        let allow = AllowList::parse(&["127.0.0.1".into()]).unwrap();
        let (_, addrs) = resolve(&Url::parse("http://127.0.0.1:9/").unwrap(), &allow)
            .await
            .unwrap();
        assert_eq!(addrs.len(), 1);
    }
}
