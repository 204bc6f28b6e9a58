//! The UI's static files, embedded at compile time from `assets/`: our stylesheet and scripts,
//! and YASGUI's built files (`assets/yasgui/`, MIT, licence beside them). Pages link them as
//! `/assets/NAME?v=HASH`, so they can be cached for a year (`immutable`); the ETag is the same
//! content hash and a matching `If-None-Match` answers 304.

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

struct Asset {
    name: &'static str,
    media_type: &'static str,
    bytes: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "app.css",
        media_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../assets/web/app.css"),
    },
    Asset {
        name: "app.js",
        media_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/web/app.js"),
    },
    Asset {
        name: "console.js",
        media_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/web/console.js"),
    },
    Asset {
        name: "yasgui.min.js",
        media_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/yasgui/yasgui.min.js"),
    },
    Asset {
        name: "yasgui.min.css",
        media_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../assets/yasgui/yasgui.min.css"),
    },
    Asset {
        name: "yasgui-LICENSE.txt",
        media_type: "text/plain; charset=utf-8",
        bytes: include_bytes!("../../assets/yasgui/LICENSE"),
    },
];

/// Each asset's content hash (16 hex digits), computed once.
fn hashes() -> &'static [String] {
    static HASHES: OnceLock<Vec<String>> = OnceLock::new();
    HASHES.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| {
                let digest = Sha256::digest(a.bytes);
                digest[..8].iter().map(|b| format!("{b:02x}")).collect()
            })
            .collect()
    })
}

fn find(name: &str) -> Option<(usize, &'static Asset)> {
    ASSETS.iter().enumerate().find(|(_, a)| a.name == name)
}

/// `/assets/NAME?v=HASH` for a known asset.
pub fn url(name: &str) -> String {
    match find(name) {
        Some((i, _)) => format!("/assets/{name}?v={}", hashes()[i]),
        None => format!("/assets/{name}"),
    }
}

pub async fn serve(Path(name): Path<String>, headers: HeaderMap) -> Response {
    let Some((i, asset)) = find(&name) else {
        return (StatusCode::NOT_FOUND, format!("no asset {name:?}\n")).into_response();
    };
    let etag = format!("\"{}\"", hashes()[i]);
    let cache = HeaderValue::from_static("public, max-age=31536000, immutable");
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let etag = HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"\""));
    if matches {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag), (header::CACHE_CONTROL, cache)],
        )
            .into_response();
    }
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.media_type),
            ),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache),
        ],
        asset.bytes,
    )
        .into_response()
}
