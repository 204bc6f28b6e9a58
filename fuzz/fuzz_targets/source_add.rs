//! Registering a tracked source (`POST /api/sources`, `crosswalk sources add`): the admin's
//! fields → `source::add` (URL, jurisdiction code, slug, cron schedule, CSS selectors,
//! instrument IRI validation, then the RDF written to the sources graph) on a fresh in-memory
//! graph, then `get`, a second `add` and `remove`.
//!
//! Input: NUL-separated fields in `NewSource` order (url, jurisdiction, id, instrument, format,
//! include selector, exclude selector, language, schedule, title); a missing field is absent.
//! Checks: no panic; refusals are `Invalid`; an accepted source has a valid slug, an http(s)
//! URL and its settings, every IRI written to the graph is a valid IRI, it reads back equal,
//! cannot be added twice, and is removed cleanly.
#![no_main]

use crosswalk::graph::Graph;
use crosswalk::source::{self, Format, NewSource, SourceError};
use libfuzzer_sys::fuzz_target;
use oxigraph::model::{NamedNode, Term};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut fields = text.split('\0').map(str::to_owned);
    let mut next = || fields.next();
    let url = next().unwrap_or_default();
    let jurisdiction = next().unwrap_or_default();
    let id = next();
    let instrument = next();
    let format = match next().map(|f| f.parse::<Format>()) {
        None => None,
        Some(Ok(format)) => Some(format),
        Some(Err(_)) => return, // refused by JSON deserialisation already
    };
    let new = NewSource {
        url,
        jurisdiction,
        id,
        instrument,
        format,
        include_selector: next(),
        exclude_selector: next(),
        language: next(),
        schedule: next(),
        title: next(),
    };
    let graph = Graph::in_memory().expect("in-memory graph");
    let added = match source::add(&graph, new.clone()) {
        Ok(added) => added,
        Err(SourceError::Invalid { .. }) => return,
        Err(other) => panic!("add failed with {other:?}"),
    };
    assert!(
        !added.id.is_empty()
            && added.id.len() <= 100
            && added
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
        "invalid slug {:?}",
        added.id
    );
    let url = url::Url::parse(&added.url).expect("stored URL parses");
    assert!(matches!(url.scheme(), "http" | "https"));
    assert!(added.runtime && added.enabled);
    assert_eq!(added.include_selector, new.include_selector);
    assert_eq!(added.exclude_selector, new.exclude_selector);
    for quad in graph.quads_for_pattern(None, None, None, None) {
        let quad = quad.expect("quad");
        let mut iris = vec![quad.predicate.as_str().to_owned()];
        if let oxigraph::model::NamedOrBlankNode::NamedNode(s) = &quad.subject {
            iris.push(s.as_str().to_owned());
        }
        if let Term::NamedNode(o) = &quad.object {
            iris.push(o.as_str().to_owned());
        }
        if let oxigraph::model::GraphName::NamedNode(g) = &quad.graph_name {
            iris.push(g.as_str().to_owned());
        }
        for iri in iris {
            assert!(NamedNode::new(&iri).is_ok(), "invalid IRI written: {iri:?}");
        }
    }
    assert_eq!(source::get(&graph, &added.id).expect("get"), added);
    assert!(
        matches!(
            source::add(&graph, new),
            Err(SourceError::Duplicate(_) | SourceError::DuplicateUrl { .. })
        ),
        "added twice"
    );
    source::remove(&graph, &added.id).expect("remove");
    assert!(matches!(
        source::get(&graph, &added.id),
        Err(SourceError::Unknown(_))
    ));
});
