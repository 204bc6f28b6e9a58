//! Reading the change history by sequence number over many events (`changes::after` and
//! `changes::list` on a store written directly): the answers across gaps and numbers above the
//! counter, and (ignored, not a test) how long the reads take.

use crosswalk::changes::{self, Change, Filter};
use crosswalk::graph::Graph;

/// Events numbered `numbers` (every 50th about transparency), with the meta graph's counter
/// brought up to `counter` as the numbering write does (left alone for 0).
fn write_events(graph: &Graph, numbers: impl IntoIterator<Item = u64>, counter: u64) {
    let mut trig = String::from(
        "@prefix cw: <https://w3id.org/crosswalk/ontology#> .\n@prefix prov: <http://www.w3.org/ns/prov#> .\n@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\nGRAPH <https://w3id.org/crosswalk/graph/changes> {\n",
    );
    for i in numbers {
        let theme = if i % 50 == 0 {
            "transparency"
        } else {
            "risk-management"
        };
        trig.push_str(&format!(
            "<https://w3id.org/crosswalk/id/change/s/e-{i}> a cw:ChangeEvent ; cw:eventId \"s_e-{i}\" ; cw:sequence {i} ; cw:changeKind \"provision-modified\" ; cw:material true ; cw:source <https://w3id.org/crosswalk/id/source/s> ; cw:theme <https://w3id.org/crosswalk/id/theme/{theme}> ; cw:provisionId \"art-{i}\" ; cw:oldText \"Providers should keep logs {i}.\" ; cw:newText \"Providers shall keep logs {i}.\" ; prov:generatedAtTime \"2026-01-01T00:00:00Z\"^^xsd:dateTime .\n"
        ));
    }
    trig.push('}');
    let quads: Vec<oxigraph::model::Quad> =
        oxigraph::io::RdfParser::from_format(oxigraph::io::RdfFormat::TriG)
            .for_slice(trig.as_bytes())
            .collect::<Result<_, _>>()
            .unwrap();
    graph
        .write(|t| {
            t.extend(&quads);
            if counter > 0 {
                while crosswalk::graph::next_sequence(t)
                    .map_err(crosswalk::graph::GraphError::from)?
                    < counter
                {}
            }
            Ok::<_, crosswalk::graph::GraphError>(())
        })
        .unwrap();
}

fn sequences_of(changes: &[Change]) -> Vec<u64> {
    changes.iter().map(|c| c.sequence).collect()
}

/// Every page of `list(filter)` at `limit`, following the cursors.
fn all_pages(graph: &Graph, filter: &Filter, limit: usize) -> Vec<Vec<u64>> {
    let mut pages = Vec::new();
    let mut cursor = None;
    loop {
        let page = changes::list(graph, filter, cursor.as_deref(), limit).unwrap();
        pages.push(sequences_of(&page.changes));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return pages,
        }
    }
}

/// Reading by sequence number gives what one scan of every number gives, across a long run of
/// deleted numbers and with events numbered above the counter.
#[test]
fn reads_by_sequence_number_survive_gaps_and_numbers_above_the_counter() {
    let graph = Graph::in_memory().unwrap();
    // 301..=1599 missing: more numbers in a row than a walk looks up before it scans.
    let numbers: Vec<u64> = (1..=300).chain(1600..=1700).collect();
    write_events(&graph, numbers.iter().copied(), 1700);
    assert_eq!(graph.last_sequence().unwrap(), 1700);

    assert_eq!(
        sequences_of(&changes::after(&graph, 0, 500).unwrap()),
        numbers
    );
    let expected: Vec<u64> = (251..=300).chain(1600..=1649).collect();
    assert_eq!(
        sequences_of(&changes::after(&graph, 250, 100).unwrap()),
        expected
    );
    assert_eq!(
        sequences_of(&changes::after(&graph, 320, 3).unwrap()),
        vec![1600, 1601, 1602]
    );
    assert!(changes::after(&graph, 1700, 10).unwrap().is_empty());

    let newest_first: Vec<u64> = numbers.iter().rev().copied().collect();
    let pages = all_pages(&graph, &Filter::default(), 50);
    assert_eq!(pages.len(), 9, "{pages:?}");
    assert_eq!(pages.concat(), newest_first);
    // Every event is material: a filter that all pass reads as the unfiltered one.
    let material = Filter {
        material: Some(true),
        ..Filter::default()
    };
    assert_eq!(all_pages(&graph, &material, 50), pages);
    let editorial = Filter {
        material: Some(false),
        ..Filter::default()
    };
    assert_eq!(all_pages(&graph, &editorial, 50), vec![Vec::<u64>::new()]);
    let transparency = Filter {
        theme: vec!["https://w3id.org/crosswalk/id/theme/transparency".into()],
        ..Filter::default()
    };
    assert_eq!(
        all_pages(&graph, &transparency, 3),
        vec![
            vec![1700, 1650, 1600],
            vec![300, 250, 200],
            vec![150, 100, 50]
        ]
    );

    // Events numbered without the counter (written by other means) are read too.
    write_events(&graph, 1701..=1705, 0);
    assert_eq!(graph.last_sequence().unwrap(), 1700);
    assert_eq!(
        sequences_of(&changes::after(&graph, 1698, 100).unwrap()),
        vec![1699, 1700, 1701, 1702, 1703, 1704, 1705]
    );
    let first = changes::list(&graph, &Filter::default(), None, 3).unwrap();
    assert_eq!(sequences_of(&first.changes), vec![1705, 1704, 1703]);
    let next = changes::list(&graph, &Filter::default(), first.next_cursor.as_deref(), 3).unwrap();
    assert_eq!(sequences_of(&next.changes), vec![1702, 1701, 1700]);
}

/// Not a test: how long the reads take over many events on the on-disk store, printed
/// (`cargo test --test changes_reads -- --ignored --nocapture`; debug build numbers).
#[test]
#[ignore]
fn measure_reads_over_many_events() {
    let dir = tempfile::tempdir().unwrap();
    let graph = Graph::open(&dir.path().join("graph")).unwrap();
    let n = 5_000;
    write_events(&graph, 1..=n, n);
    let time = |what: &str, f: &mut dyn FnMut() -> usize| {
        let start = std::time::Instant::now();
        let mut got = 0;
        for _ in 0..5 {
            got = f();
        }
        println!(
            "{what}: {:.1} ms ({got} results)",
            start.elapsed().as_secs_f64() * 1000.0 / 5.0
        );
    };
    time("after(n - 100, 100)", &mut || {
        changes::after(&graph, n - 100, 100).unwrap().len()
    });
    time("after(0, 500)", &mut || {
        changes::after(&graph, 0, 500).unwrap().len()
    });
    time("after(n, 500) (nothing new)", &mut || {
        changes::after(&graph, n, 500).unwrap().len()
    });
    time("list(no filter, 50)", &mut || {
        changes::list(&graph, &Filter::default(), None, 50)
            .unwrap()
            .changes
            .len()
    });
    let material = Filter {
        material: Some(true),
        ..Filter::default()
    };
    time("list(material=true, all pass, 50)", &mut || {
        changes::list(&graph, &material, None, 50)
            .unwrap()
            .changes
            .len()
    });
    let selective = Filter {
        theme: vec!["https://w3id.org/crosswalk/id/theme/transparency".into()],
        ..Filter::default()
    };
    time("list(theme 1 in 50, 50)", &mut || {
        changes::list(&graph, &selective, None, 50)
            .unwrap()
            .changes
            .len()
    });
    time("get(one, with unified diff)", &mut || {
        usize::from(changes::get(&graph, "s_e-2500").unwrap().is_some())
    });
    time("atom::entries + render (50)", &mut || {
        let entries = changes::atom::entries(&graph, &Filter::default(), 50).unwrap();
        changes::atom::render(
            &entries,
            &changes::atom::FeedMeta::public("http://x", "http://x/feeds/changes.atom"),
        )
        .xml
        .len()
    });
}
