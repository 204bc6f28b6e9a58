//! The polite fetcher: one GET of a tracked URL with every safeguard a public crawler owes the
//! sites it visits and the host it runs on.
//!
//! Entry point: [`Fetcher::fetch`]. Per request it checks robots.txt ([`robots`]), waits for the
//! host's slot (concurrency 1, a minimum interval raised by Crawl-delay), resolves and checks the
//! host ([`guard`]), connects to exactly the checked addresses, sends the stored validators, and
//! follows at most five redirects by hand so every hop is checked again. Bodies are streamed and
//! capped after decompression. Transient failures are returned with their Retry-After; the caller
//! reschedules rather than sleeping here.

pub mod cellar;
pub mod charset;
pub mod federal_register;
pub mod guard;
pub mod robots;

use crate::config::CrawlConfig;
use crate::opsdb::OpsError;
use guard::AllowList;
use reqwest::header::{self, HeaderMap};
use robots::RobotsCache;
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use url::Url;

const MAX_REDIRECTS: usize = 5;
/// The longest Retry-After honoured; a server asking for more (or for an absurd time, which
/// overflowed the next-attempt time) is retried no later than this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("invalid URL: {0}")]
    BadUrl(String),
    #[error("scheme {0:?} refused: only http and https are fetched")]
    Scheme(String),
    #[error(
        "{host} resolves to {addr}, a private or special-purpose address (allow-list it in crawl.allow_private to fetch it)"
    )]
    Blocked { host: String, addr: String },
    #[error("cannot resolve {host}: {message}")]
    Dns { host: String, message: String },
    #[error("robots.txt disallows {0}")]
    RobotsDisallowed(String),
    #[error("robots.txt unreachable, origin paused: {0}")]
    RobotsUnreachable(String),
    #[error("network error: {0}")]
    Network(String),
    #[error("timed out (connect or total time limit)")]
    Timeout,
    #[error("HTTP {status}{}", retry_after.map(|d| format!(" (Retry-After {} s)", d.as_secs())).unwrap_or_default())]
    Http {
        status: u16,
        retry_after: Option<Duration>,
    },
    #[error("more than {MAX_REDIRECTS} redirects")]
    TooManyRedirects,
    #[error("redirect loop at {0}")]
    RedirectLoop(String),
    #[error("redirected to another host's login or consent page: {0}")]
    LoginRedirect(String),
    #[error("invalid redirect: {0}")]
    BadRedirect(String),
    #[error("body larger than {0} bytes (after decompression)")]
    BodyTooLarge(u64),
    #[error("bot challenge or WAF page: {0}")]
    Challenge(String),
    #[error("crawler configuration: {0}")]
    Config(String),
    #[error(transparent)]
    Ops(#[from] OpsError),
}

impl FetchError {
    /// Worth another attempt later (network trouble, 5xx, 429, robots.txt unreachable).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Network(_) | Self::Timeout | Self::Dns { .. } | Self::RobotsUnreachable(_) => {
                true
            }
            Self::Http { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Http { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// HTTP validators for conditional requests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A successful (2xx) response.
#[derive(Debug, Clone)]
pub struct Page {
    pub status: u16,
    pub final_url: Url,
    pub content_type: Option<String>,
    /// Decompressed body.
    pub body: Vec<u8>,
    pub validators: Validators,
}

#[derive(Debug, Clone)]
pub enum Response {
    Body(Page),
    /// 304: the stored copy is current. Carries the (possibly refreshed) validators.
    NotModified(NotModified),
}

#[derive(Debug, Clone)]
pub struct NotModified {
    pub final_url: Url,
    pub validators: Validators,
}

/// An official channel's answer that cannot be read (malformed JSON, an unexpected shape): a
/// fetch failure, never content.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{channel}: {message}")]
pub struct ChannelError {
    pub channel: &'static str,
    pub message: String,
}

/// Whitespace runs (and control characters) as one space, trimmed: API strings are shown to
/// people and compared.
pub(crate) fn clean_text(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Content negotiation for one request: official channels ask for a representation by media
/// type and language (CELLAR answers `Accept: application/xhtml+xml` and `Accept-Language: eng`
/// with a 303 to that manifestation). Empty fields send the client's defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Negotiation {
    pub accept: Option<String>,
    pub accept_language: Option<String>,
}

/// Settings derived from `[crawl]` configuration.
#[derive(Debug, Clone)]
pub struct FetchSettings {
    pub user_agent: String,
    /// The product token robots.txt groups are matched against (`CrosswalkBot`).
    pub agent_token: String,
    pub max_body_bytes: u64,
    pub connect_timeout: Duration,
    pub total_timeout: Duration,
    pub min_host_interval: Duration,
    pub allow: AllowList,
}

impl FetchSettings {
    pub fn from_config(config: &CrawlConfig) -> Result<Self, FetchError> {
        let agent_token = config
            .user_agent
            .split(['/', ' '])
            .next()
            .filter(|t| !t.is_empty())
            .unwrap_or("CrosswalkBot")
            .to_owned();
        Ok(Self {
            user_agent: config.user_agent.clone(),
            agent_token,
            max_body_bytes: config.max_body_bytes,
            connect_timeout: Duration::from_secs(config.connect_timeout_secs.max(1)),
            total_timeout: Duration::from_secs(config.total_timeout_secs.max(1)),
            min_host_interval: Duration::from_millis(config.min_host_interval_ms),
            allow: AllowList::parse(&config.allow_private)?,
        })
    }
}

pub(crate) struct Request {
    url: Url,
    etag: Option<String>,
    last_modified: Option<String>,
    negotiation: Negotiation,
    cap: u64,
    check_robots: bool,
    /// robots.txt: keep the first `cap` bytes instead of failing.
    truncate_at_cap: bool,
}

/// Per-host politeness: the time of the last request and the host's Crawl-delay.
#[derive(Default)]
struct HostSlot {
    last: Option<Instant>,
    crawl_delay: Option<Duration>,
}

pub struct Fetcher {
    settings: FetchSettings,
    robots: RobotsCache,
    /// One client per (host, pinned addresses): keeps connections alive between checks while
    /// never connecting anywhere but the checked addresses.
    clients: Mutex<HashMap<(String, Vec<SocketAddr>), reqwest::Client>>,
    hosts: Mutex<HashMap<String, Arc<tokio::sync::Mutex<HostSlot>>>>,
}

impl Fetcher {
    pub fn new(settings: FetchSettings, robots: RobotsCache) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        Self {
            settings,
            robots,
            clients: Mutex::new(HashMap::new()),
            hosts: Mutex::new(HashMap::new()),
        }
    }

    pub fn settings(&self) -> &FetchSettings {
        &self.settings
    }

    /// GETs `url` (robots.txt permitting), conditionally when validators are given.
    pub async fn fetch(&self, url: &Url, validators: &Validators) -> Result<Response, FetchError> {
        self.fetch_negotiated(url, validators, &Negotiation::default())
            .await
    }

    /// [`fetch`](Self::fetch) asking for a media type and language; the headers are sent on
    /// every redirect hop, as content negotiation needs.
    pub async fn fetch_negotiated(
        &self,
        url: &Url,
        validators: &Validators,
        negotiation: &Negotiation,
    ) -> Result<Response, FetchError> {
        self.get(Request {
            url: url.clone(),
            etag: validators.etag.clone(),
            last_modified: validators.last_modified.clone(),
            negotiation: negotiation.clone(),
            cap: self.settings.max_body_bytes,
            check_robots: true,
            truncate_at_cap: false,
        })
        .await
    }

    async fn get(&self, request: Request) -> Result<Response, FetchError> {
        let mut url = request.url.clone();
        let mut seen = HashSet::new();
        for _hop in 0..=MAX_REDIRECTS {
            if !seen.insert(url.clone()) {
                return Err(FetchError::RedirectLoop(url.to_string()));
            }
            // Credentials in a URL would be sent to whoever serves it, and every hop is recorded
            // in the public graph.
            if !url.username().is_empty() || url.password().is_some() {
                return Err(FetchError::BadUrl(
                    "URLs with credentials (user:password@) are not fetched".into(),
                ));
            }
            if request.check_robots {
                let verdict = self.robots_verdict(&url).await?;
                if verdict.unreachable {
                    return Err(FetchError::RobotsUnreachable(robots::origin(&url)));
                }
                if !verdict.allowed {
                    return Err(FetchError::RobotsDisallowed(url.to_string()));
                }
                if let Some(delay) = verdict.delay {
                    self.set_crawl_delay(&url, delay);
                }
            }
            let (host, addrs) = guard::resolve(&url, &self.settings.allow).await?;
            let client = self.client(&host, addrs)?;
            let mut builder = client.get(url.clone());
            if let Some(etag) = &request.etag {
                builder = builder.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &request.last_modified {
                builder = builder.header(header::IF_MODIFIED_SINCE, lm);
            }
            if let Some(accept) = &request.negotiation.accept {
                builder = builder.header(header::ACCEPT, accept);
            }
            if let Some(language) = &request.negotiation.accept_language {
                builder = builder.header(header::ACCEPT_LANGUAGE, language);
            }
            let slot = self.host_slot(&url);
            let mut slot = slot.lock().await;
            let interval = slot
                .crawl_delay
                .unwrap_or_default()
                .max(self.settings.min_host_interval);
            if let Some(wait) = slot
                .last
                .map(|last| (last + interval).saturating_duration_since(Instant::now()))
            {
                tokio::time::sleep(wait).await;
            }
            let result = self.exchange(builder, &url, &request).await;
            slot.last = Some(Instant::now());
            drop(slot);
            match result? {
                Step::Done(response) => return Ok(response),
                Step::Redirect(next) => {
                    if next.host_str() != url.host_str() && looks_like_login(&next) {
                        return Err(FetchError::LoginRedirect(next.to_string()));
                    }
                    url = next;
                }
            }
        }
        Err(FetchError::TooManyRedirects)
    }

    /// One request and its body; the whole exchange is bounded by the total timeout.
    async fn exchange(
        &self,
        builder: reqwest::RequestBuilder,
        url: &Url,
        request: &Request,
    ) -> Result<Step, FetchError> {
        let work = async {
            let mut response = builder.send().await.map_err(classify)?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            if (300..400).contains(&status) && status != 304 {
                let location = headers
                    .get(header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| FetchError::BadRedirect(format!("{status} without Location")))?;
                let next = url
                    .join(location)
                    .map_err(|e| FetchError::BadRedirect(format!("{location:?}: {e}")))?;
                return Ok(Step::Redirect(next));
            }
            let validators = Validators {
                etag: header_string(&headers, header::ETAG),
                last_modified: header_string(&headers, header::LAST_MODIFIED),
            };
            if status == 304 {
                return Ok(Step::Done(Response::NotModified(NotModified {
                    final_url: url.clone(),
                    validators,
                })));
            }
            let body = read_capped(&mut response, request.cap, request.truncate_at_cap).await?;
            if let Some(reason) = challenge(status, &headers, &body) {
                return Err(FetchError::Challenge(reason));
            }
            if !(200..300).contains(&status) {
                return Err(FetchError::Http {
                    status,
                    retry_after: retry_after(&headers),
                });
            }
            Ok(Step::Done(Response::Body(Page {
                status,
                final_url: url.clone(),
                content_type: header_string(&headers, header::CONTENT_TYPE),
                body,
                validators,
            })))
        };
        // reqwest's timeout covers the body too; this guard also bounds our own reading loop.
        tokio::time::timeout(self.settings.total_timeout + Duration::from_secs(1), work)
            .await
            .map_err(|_| FetchError::Timeout)?
    }

    fn client(&self, host: &str, addrs: Vec<SocketAddr>) -> Result<reqwest::Client, FetchError> {
        let key = (host.to_owned(), addrs);
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(client) = clients.get(&key) {
            return Ok(client.clone());
        }
        let client = reqwest::Client::builder()
            .user_agent(&self.settings.user_agent)
            .redirect(reqwest::redirect::Policy::none())
            .retry(reqwest::retry::never())
            .no_proxy()
            .connect_timeout(self.settings.connect_timeout)
            .timeout(self.settings.total_timeout)
            .gzip(true)
            .brotli(true)
            .resolve_to_addrs(&key.0, &key.1)
            .build()
            .map_err(|e| FetchError::Config(format!("HTTP client: {e}")))?;
        // Bounded: a crawl touches tens of hosts; drop the cache rather than grow without limit.
        if clients.len() >= 256 {
            clients.clear();
        }
        clients.insert(key, client.clone());
        Ok(client)
    }

    fn host_key(url: &Url) -> String {
        format!(
            "{}:{}",
            url.host_str().unwrap_or_default(),
            url.port_or_known_default().unwrap_or(0)
        )
    }

    fn host_slot(&self, url: &Url) -> Arc<tokio::sync::Mutex<HostSlot>> {
        let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
        hosts.entry(Self::host_key(url)).or_default().clone()
    }

    fn set_crawl_delay(&self, url: &Url, delay: Duration) {
        if let Ok(mut slot) = self.host_slot(url).try_lock() {
            slot.crawl_delay = Some(delay);
        }
    }
}

enum Step {
    Done(Response),
    Redirect(Url),
}

fn classify(error: reqwest::Error) -> FetchError {
    if error.is_timeout() {
        FetchError::Timeout
    } else {
        // The source chain says what went wrong (refused, reset, TLS, bad encoding).
        let mut message = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(inner) = source {
            message.push_str(": ");
            message.push_str(&inner.to_string());
            source = inner.source();
        }
        FetchError::Network(message)
    }
}

async fn read_capped(
    response: &mut reqwest::Response,
    cap: u64,
    truncate: bool,
) -> Result<Vec<u8>, FetchError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(classify)? {
        if body.len() as u64 + chunk.len() as u64 > cap {
            if truncate {
                let room = (cap as usize).saturating_sub(body.len());
                body.extend_from_slice(&chunk[..room.min(chunk.len())]);
                return Ok(body);
            }
            return Err(FetchError::BodyTooLarge(cap));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn header_string(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Retry-After as delay-seconds or an HTTP-date (RFC 9110 §10.2.3), at most
/// [`MAX_RETRY_AFTER`].
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    let wait = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => {
            let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
            let delta = date.with_timezone(&chrono::Utc) - chrono::Utc::now();
            delta.to_std().unwrap_or_default()
        }
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// A redirect to a sign-in or consent page: a known sign-in host, a host whose first label names
/// one (`login.`, `sso.`, `accounts.` …), or a path segment that is one (`/login`, `/oauth2/`,
/// `/signin.aspx`). Whole labels and segments only: "auth" is not "authority", "account" not
/// "accountability".
fn looks_like_login(url: &Url) -> bool {
    const HOSTS: &[&str] = &[
        "accounts.google.com",
        "login.microsoftonline.com",
        "login.live.com",
        "login.gov",
        "secure.login.gov",
        "auth0.com",
        "okta.com",
        "onelogin.com",
        "consent.google.com",
        "consent.youtube.com",
        "myaccount.google.com",
    ];
    const HOST_LABELS: &[&str] = &[
        "login", "signin", "sso", "auth", "idp", "accounts", "account", "oauth", "consent",
        "logon", "cas",
    ];
    const SEGMENTS: &[&str] = &[
        "login",
        "log-in",
        "logon",
        "signin",
        "sign-in",
        "sso",
        "oauth",
        "oauth2",
        "auth",
        "authorize",
        "authenticate",
        "authentication",
        "saml",
        "saml2",
        "cas",
        "consent",
        "cookie-consent",
        "session",
        "sessions",
        "account",
        "accounts",
        "myaccount",
        "idp",
        "openid-connect",
    ];
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let host = host.trim_end_matches('.');
    if HOSTS
        .iter()
        .any(|known| host == *known || host.ends_with(&format!(".{known}")))
    {
        return true;
    }
    if host
        .split('.')
        .next()
        .is_some_and(|label| HOST_LABELS.contains(&label))
    {
        return true;
    }
    url.path_segments().into_iter().flatten().any(|segment| {
        let segment = segment.to_ascii_lowercase();
        // `signin.aspx`, `login.php`: the segment without its extension.
        let stem = segment.split('.').next().unwrap_or_default();
        SEGMENTS.contains(&segment.as_str()) || SEGMENTS.contains(&stem)
    })
}

/// Bot-challenge and WAF pages are failures, never content (changedetection.io #491, #4343).
fn challenge(status: u16, headers: &HeaderMap, body: &[u8]) -> Option<String> {
    if headers
        .get("cf-mitigated")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"challenge"))
    {
        return Some("Cloudflare challenge (cf-mitigated)".into());
    }
    if status == 202 && body.iter().all(u8::is_ascii_whitespace) {
        return Some("202 Accepted with an empty body (WAF holding page)".into());
    }
    // Challenge pages are small; long documents may legitimately quote these phrases.
    if body.len() > 64 * 1024 {
        return None;
    }
    let text = String::from_utf8_lossy(body).to_lowercase();
    let markers = [
        (
            "<title>just a moment",
            "Cloudflare \"Just a moment\" challenge",
        ),
        ("cf-chl-", "Cloudflare challenge script"),
        ("attention required! | cloudflare", "Cloudflare block page"),
        (
            "enable javascript and cookies to continue",
            "JavaScript/cookie challenge",
        ),
        ("awswafintegration", "AWS WAF challenge"),
        ("request rejected", "F5 request-rejected page"),
        (
            "<title>access denied</title>",
            "Access Denied page (Akamai or similar)",
        ),
        ("captcha", "CAPTCHA page"),
    ];
    markers
        .iter()
        .find(|(marker, _)| text.contains(marker))
        .map(|(_, reason)| (*reason).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let mut headers = HeaderMap::new();
        headers.insert(header::RETRY_AFTER, "120".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(120)));
        let later = chrono::Utc::now() + chrono::Duration::seconds(300);
        headers.insert(
            header::RETRY_AFTER,
            later.to_rfc2822().replace("+0000", "GMT").parse().unwrap(),
        );
        let got = retry_after(&headers).unwrap().as_secs();
        assert!((295..=300).contains(&got), "{got}");
    }

    #[test]
    fn retry_after_is_capped() {
        let mut headers = HeaderMap::new();
        headers.insert(header::RETRY_AFTER, u64::MAX.to_string().parse().unwrap());
        assert_eq!(retry_after(&headers), Some(MAX_RETRY_AFTER));
        headers.insert(
            header::RETRY_AFTER,
            "Fri, 31 Dec 9999 23:59:59 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&headers), Some(MAX_RETRY_AFTER));
    }

    #[test]
    fn login_detection_matches_whole_segments_and_sign_in_hosts() {
        for login in [
            "https://idp.example/login?next=/",
            "https://example.gov/auth/realms/x/protocol/openid-connect/auth",
            "https://login.microsoftonline.com/common/oauth2/authorize",
            "https://example.org/account/SignIn.aspx",
            "https://sso.example.gov.sg/",
            "https://consent.google.com/ml?continue=x",
            "https://www.example.org/users/sign-in",
        ] {
            assert!(looks_like_login(&Url::parse(login).unwrap()), "{login}");
        }
        for document in [
            "https://eur-lex.europa.eu/eli/reg/2024/1689",
            "https://www.example.gov/authority/accountability-framework",
            "https://www.pdpc.gov.sg/help-and-resources/2020/01/model-ai-governance-framework",
            "https://example.org/session-papers/2025",
            "https://example.org/cookie-policy",
            "https://authoring.example.org/guidance",
            "https://example.org/docs/authentication-of-ai-content",
        ] {
            assert!(
                !looks_like_login(&Url::parse(document).unwrap()),
                "{document}"
            );
        }
    }

    #[test]
    fn challenge_and_login_detection() {
        let headers = HeaderMap::new();
        assert!(challenge(503, &headers, b"<html><title>Just a moment...</title>").is_some());
        assert!(challenge(200, &headers, b"<html><body><h1>Article 1</h1></body>").is_none());
        assert!(challenge(202, &headers, b"").is_some());
        assert!(looks_like_login(
            &Url::parse("https://idp.example/login?next=/").unwrap()
        ));
        assert!(!looks_like_login(
            &Url::parse("https://eur-lex.europa.eu/eli/reg/2024/1689").unwrap()
        ));
    }

    #[test]
    fn agent_token_is_the_product_name() {
        let settings = FetchSettings::from_config(&CrawlConfig::default()).unwrap();
        assert_eq!(settings.agent_token, "CrosswalkBot");
    }
}
