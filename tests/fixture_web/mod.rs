//! A hostile little web server on 127.0.0.1:0 for crawler tests: well-behaved pages with
//! validators, and routes for every misbehaviour the crawler must survive. Counts requests per
//! path so tests can prove what was (not) requested.
#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/crawl");

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[derive(Clone, Default)]
pub struct Site {
    hits: Arc<Mutex<HashMap<String, usize>>>,
    /// Body of `/page` (and its validators, derived from it).
    page: Arc<Mutex<Vec<u8>>>,
    robots: Arc<Mutex<String>>,
    port: Arc<Mutex<u16>>,
    /// When set, `/page` answers this status with no body (a document gone: 404, 410).
    status: Arc<Mutex<Option<u16>>>,
}

impl Site {
    pub fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }

    pub fn set_page(&self, body: Vec<u8>) {
        *self.page.lock().unwrap() = body;
    }

    pub fn set_status(&self, status: Option<u16>) {
        *self.status.lock().unwrap() = status;
    }

    pub fn set_robots(&self, robots: &str) {
        *self.robots.lock().unwrap() = robots.to_owned();
    }
}

/// Starts the site on the current tokio runtime; returns its base URL and handle.
pub async fn start() -> (String, Site) {
    let site = Site::default();
    site.set_robots("User-agent: *\nDisallow: /private\n");
    site.set_page(fixture("regulation-v1.html"));
    let app = Router::new()
        .route("/robots.txt", get(robots))
        .route("/page", get(page))
        .route("/lm-page", get(lm_page))
        .route("/lying", get(lying))
        .route("/private/doc", get(|| async { "secret" }))
        .route("/limited", get(limited))
        .route(
            "/flaky",
            get(|| async { (StatusCode::BAD_GATEWAY, "upstream down") }),
        )
        .route("/loop-a", get(|| async { redirect("/loop-b") }))
        .route("/loop-b", get(|| async { redirect("/loop-a") }))
        .route("/chain/{n}", get(chain))
        .route("/slow", get(slow))
        .route("/endless", get(endless))
        .route("/bomb", get(bomb))
        .route("/win1252", get(win1252))
        .route("/sjis", get(sjis))
        .route(
            "/malformed",
            get(|| async { html(fixture("malformed.html")) }),
        )
        .route(
            "/surat-edaran",
            get(|| async { html(fixture("surat-edaran.html")) }),
        )
        .route(
            "/garis-panduan",
            get(|| async { html(fixture("garis-panduan.html")) }),
        )
        .route(
            "/corrupt.pdf",
            get(|| async { pdf(fixture("corrupt.pdf")) }),
        )
        .route(
            "/textless.pdf",
            get(|| async { pdf(fixture("textless.pdf")) }),
        )
        .route("/challenge", get(challenge))
        .route("/login-redirect", get(login_redirect))
        .route("/to-private", get(to_private))
        .route(
            "/empty",
            get(|| async { html(b"<html><body><nav>menu</nav></body></html>".to_vec()) }),
        )
        .layer(axum::middleware::from_fn_with_state(site.clone(), count))
        .with_state(site.clone());
    tokio::task::spawn_blocking(bomb_bytes).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    *site.port.lock().unwrap() = addr.port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), site)
}

async fn count(
    State(site): State<Site>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    *site
        .hits
        .lock()
        .unwrap()
        .entry(request.uri().path().to_owned())
        .or_default() += 1;
    next.run(request).await
}

fn html(body: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

fn pdf(body: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "application/pdf")], body).into_response()
}

fn redirect(to: &str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, to.to_owned())]).into_response()
}

async fn robots(State(site): State<Site>) -> String {
    site.robots.lock().unwrap().clone()
}

fn etag_of(body: &[u8]) -> String {
    format!(
        "\"{:x}\"",
        body.iter()
            .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(*b)))
    )
}

/// ETag + Last-Modified; answers 304 to a matching If-None-Match.
async fn page(State(site): State<Site>, headers: HeaderMap) -> Response {
    if let Some(status) = *site.status.lock().unwrap() {
        return StatusCode::from_u16(status).unwrap().into_response();
    }
    let body = site.page.lock().unwrap().clone();
    let etag = etag_of(&body);
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    let mut response = html(body);
    response
        .headers_mut()
        .insert(header::ETAG, HeaderValue::from_str(&etag).unwrap());
    response.headers_mut().insert(
        header::LAST_MODIFIED,
        HeaderValue::from_static("Sun, 01 Nov 2026 10:00:00 GMT"),
    );
    response
}

/// The page's body under one fixed ETag, and 304 to any If-None-Match: a server whose 304s
/// lie once the page changed.
async fn lying(State(site): State<Site>, headers: HeaderMap) -> Response {
    if headers.contains_key(header::IF_NONE_MATCH) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, "\"same\"")]).into_response();
    }
    let mut response = html(site.page.lock().unwrap().clone());
    response
        .headers_mut()
        .insert(header::ETAG, HeaderValue::from_static("\"same\""));
    response
}

/// Only Last-Modified; answers 304 to If-Modified-Since.
async fn lm_page(headers: HeaderMap) -> Response {
    const LM: &str = "Sun, 01 Nov 2026 10:00:00 GMT";
    if headers
        .get(header::IF_MODIFIED_SINCE)
        .is_some_and(|v| v == LM)
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let mut response = html(fixture("surat-edaran.html"));
    response
        .headers_mut()
        .insert(header::LAST_MODIFIED, HeaderValue::from_static(LM));
    response
}

async fn limited() -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, "3600")],
        "slow down",
    )
        .into_response()
}

async fn chain(Path(n): Path<u32>) -> Response {
    if n == 0 {
        html(fixture("regulation-v1.html"))
    } else {
        redirect(&format!("/chain/{}", n - 1))
    }
}

/// One byte every 100 ms, forever.
async fn slow() -> Response {
    let stream = futures_util::stream::unfold((), |()| async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        Some((Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"a")), ()))
    });
    (
        [(header::CONTENT_TYPE, "text/html")],
        Body::from_stream(stream),
    )
        .into_response()
}

/// 64 KiB chunks, forever.
async fn endless() -> Response {
    let chunk = bytes::Bytes::from(vec![b'x'; 64 * 1024]);
    let stream = futures_util::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()));
    (
        [(header::CONTENT_TYPE, "text/html")],
        Body::from_stream(stream),
    )
        .into_response()
}

/// 16 MiB of zeros gzip-compressed to a few KiB (built once; compressing is slow in debug).
fn bomb_bytes() -> &'static [u8] {
    static BOMB: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BOMB.get_or_init(|| {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let zeros = vec![0u8; 1024 * 1024];
        for _ in 0..16 {
            encoder.write_all(&zeros).unwrap();
        }
        encoder.finish().unwrap()
    })
}

async fn bomb() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html"),
            (header::CONTENT_ENCODING, "gzip"),
        ],
        bomb_bytes(),
    )
        .into_response()
}

/// The header claims UTF-8; the bytes are windows-1252, declared in a meta tag.
async fn win1252() -> Response {
    let text = "<html><head><meta charset=\"windows-1252\"><title>Code</title></head><body><main>\
        <h2>Article 1</h2><p>The \u{201c}provider\u{201d} shall register the caf\u{e9} system.</p></main></body></html>";
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(text);
    html(bytes.into_owned())
}

/// Shift_JIS with no declaration at all: only detection can get it right.
async fn sjis() -> Response {
    let text = "<html><body><main><h2>第1条</h2><p>これは人工知能の規則です。事業者は記録を保存しなければならない。</p>\
        <p>この規則は公布の日から施行する。人工知能の開発者及び利用者は本規則に従う。</p></main></body></html>";
    let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(text);
    ([(header::CONTENT_TYPE, "text/html")], bytes.into_owned()).into_response()
}

async fn challenge() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONTENT_TYPE, "text/html")],
        "<html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>",
    )
        .into_response()
}

/// Cross-host (127.0.0.1 → localhost) redirect to a sign-in page.
async fn login_redirect(State(site): State<Site>) -> Response {
    let port = *site.port.lock().unwrap();
    redirect(&format!("http://localhost:{port}/login?next=/page"))
}

/// A redirect hop to a loopback address that is not allow-listed (refused before connecting).
async fn to_private(State(site): State<Site>) -> Response {
    let port = *site.port.lock().unwrap();
    redirect(&format!("http://127.0.0.2:{port}/page"))
}
