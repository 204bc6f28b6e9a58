//! What every page shares: the language and how links keep it, the navigation, asset URLs,
//! badges, and query strings built from pairs.

use super::assets;
use super::i18n::Lang;
use axum::http::HeaderMap;

/// The frame of a page: language, title, where it is (for the language switch and the
/// navigation's current item).
#[derive(Debug, Clone)]
pub struct Page {
    pub lang: Lang,
    /// The URL chose the language (`?lang=`): every link keeps it.
    pub lang_in_url: bool,
    pub title: String,
    /// The request path and its query pairs without `lang`.
    pub path: String,
    pub query: Vec<(String, String)>,
    /// The navigation item this page belongs to (`search`, `explorer`, …).
    pub section: &'static str,
}

/// One navigation item.
pub struct NavItem {
    pub href: String,
    pub label: &'static str,
    pub current: bool,
}

/// The language switch's entries.
pub struct LangLink {
    pub href: String,
    pub code: &'static str,
    pub name: &'static str,
    pub current: bool,
}

impl Page {
    /// A page for a request: the language from `?lang=` or `Accept-Language`.
    pub fn new(
        path: &str,
        pairs: &[(String, String)],
        headers: &HeaderMap,
        section: &'static str,
    ) -> Self {
        let query_lang = pairs
            .iter()
            .find(|(k, _)| k == "lang")
            .map(|(_, v)| v.as_str());
        let (lang, lang_in_url) = Lang::choose(query_lang, headers);
        Self {
            lang,
            lang_in_url,
            title: String::new(),
            path: path.to_owned(),
            query: pairs.iter().filter(|(k, _)| k != "lang").cloned().collect(),
            section,
        }
    }

    /// A page with no request behind it (error pages rendered from a language alone).
    pub fn bare(lang: Lang, title: &str) -> Self {
        Self {
            lang,
            lang_in_url: false,
            title: title.to_owned(),
            path: "/".into(),
            query: Vec::new(),
            section: "",
        }
    }

    pub fn titled(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    pub fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }

    /// `path` (which may carry a query) with `lang=` added when the URL chose the language.
    pub fn href(&self, path: &str) -> String {
        if !self.lang_in_url {
            return path.to_owned();
        }
        let sep = if path.contains('?') { '&' } else { '?' };
        format!("{path}{sep}lang={}", self.lang.code())
    }

    /// `path` with the query `pairs` (empty values left out), keeping the language.
    pub fn link(&self, path: &str, pairs: &[(&str, &str)]) -> String {
        self.href(&with_query(path, pairs))
    }

    /// The site-relative link to a resource IRI: its path when it is under the identifier base,
    /// else the IRI itself.
    pub fn resource(&self, iri: &str) -> String {
        match local_path(iri) {
            Some(path) => self.href(&path),
            None => iri.to_owned(),
        }
    }

    pub fn nav(&self) -> Vec<NavItem> {
        [
            ("search", "/", "nav.search"),
            ("explorer", "/crosswalk", "nav.explorer"),
            ("gaps", "/gaps", "nav.gaps"),
            ("matrix", "/matrix", "nav.matrix"),
            ("changes", "/changes", "nav.changes"),
            ("sources", "/sources", "nav.sources"),
            ("console", "/console", "nav.console"),
        ]
        .into_iter()
        .map(|(section, path, key)| NavItem {
            href: self.href(path),
            label: self.t(key),
            current: section == self.section,
        })
        .collect()
    }

    pub fn languages(&self) -> Vec<LangLink> {
        Lang::ALL
            .into_iter()
            .map(|lang| {
                let mut pairs: Vec<(&str, &str)> = self
                    .query
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                pairs.push(("lang", lang.code()));
                LangLink {
                    href: with_query(&self.path, &pairs),
                    code: lang.code(),
                    name: lang.name(),
                    current: lang == self.lang,
                }
            })
            .collect()
    }

    /// The URL of an embedded asset, versioned by its content hash (served with a year's cache).
    pub fn asset(&self, name: &str) -> String {
        assets::url(name)
    }
}

/// `path?k=v&…` (empty values left out; nothing added when no pair remains).
pub fn with_query(path: &str, pairs: &[(&str, &str)]) -> String {
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    let mut any = false;
    for (k, v) in pairs {
        if !v.is_empty() {
            serializer.append_pair(k, v);
            any = true;
        }
    }
    if any {
        let sep = if path.contains('?') { '&' } else { '?' };
        format!("{path}{sep}{}", serializer.finish())
    } else {
        path.to_owned()
    }
}

/// The path of an IRI under the identifier base (`…/id/provision/x` → `/id/provision/x`).
pub fn local_path(iri: &str) -> Option<String> {
    let rest = iri.strip_prefix(crate::graph::names::ID)?;
    Some(format!("/id/{rest}"))
}

/// The part of an IRI after `#` or the last `/`.
pub fn local(iri: &str) -> &str {
    iri.rsplit(['#', '/']).next().unwrap_or(iri)
}

/// A badge: text and the CSS class that colours it.
#[derive(Debug, Clone)]
pub struct Badge {
    pub text: String,
    pub class: &'static str,
    /// Spelled out for screen readers and tooltips.
    pub title: String,
}

impl Badge {
    pub fn jurisdiction(code: &str, label: &str) -> Self {
        Self {
            text: code.to_owned(),
            class: "badge jur",
            title: label.to_owned(),
        }
    }

    /// A legal status, coloured by whether it binds in law.
    pub fn status(label: &str, binding: Option<bool>, lang: Lang) -> Self {
        let (class, kind) = match binding {
            Some(true) => ("badge binding", lang.t("status.binding")),
            Some(false) => ("badge voluntary", lang.t("status.voluntary")),
            None => ("badge neutral", ""),
        };
        Self {
            text: label.to_owned(),
            class,
            title: kind.to_owned(),
        }
    }
}
