//! The limits a public endpoint needs, tried from outside as an attacker would, over real
//! sockets: slow and silent clients, oversized heads and bodies, the connection cap, clients that
//! stop reading, queries built to exhaust the evaluator, and a stop with all of that going on.
//! Clients bound to 127.0.0.2 and 127.0.0.3 are two addresses to the per-client limits.

mod common;

use common::{ServeProcess, TestServer, client, free_port, metric, metric_at};
use reqwest::StatusCode;
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// A cross product over in-memory solutions: Oxigraph never reads storage inside it, so only a
/// killed worker stops it.
const EXPLOSIVE: &str =
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }";
const SIMPLE: &str = "ASK { ?s a ?type }";
/// A cross product that ends: every triple of the small seed set (about 1,200) with every other,
/// five times over — about a second in a release build, several in a debug one.
const HEAVY_BUT_FINITE: &str =
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . VALUES ?x { 1 2 3 4 5 } }";

/// The small seed set: enough for the limits that do not need the whole catalogue, and quicker
/// to load in a debug build.
fn small(config: &mut crosswalk::config::Config) {
    config.seeds_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/feed-seeds").into();
}

fn address(server: &TestServer) -> SocketAddr {
    server.base.trim_start_matches("http://").parse().unwrap()
}

/// A blocking client whose connections come from `from` (127.0.0.x).
fn client_from(from: [u8; 4]) -> reqwest::blocking::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::builder()
        .local_address(IpAddr::from(from))
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap()
}

const JSON: &str = "application/sparql-results+json";

/// `GET {sparql_url}?query=…` from `client`, asking for `accept`.
fn get_query(
    client: &reqwest::blocking::Client,
    sparql_url: &str,
    query: &str,
    accept: &str,
) -> reqwest::Result<reqwest::blocking::Response> {
    client
        .get(sparql_url)
        .query(&[("query", query)])
        .header("accept", accept)
        .send()
}

fn ask(client: &reqwest::blocking::Client, server: &TestServer, query: &str) -> StatusCode {
    get_query(client, &server.url("/sparql"), query, JSON)
        .map(|r| r.status())
        .unwrap_or(StatusCode::BAD_GATEWAY)
}

/// Waits until the server closes `stream` (EOF or reset), at most `within`; true if it did.
fn closed_by_server(stream: &mut TcpStream, within: Duration) -> bool {
    stream.set_read_timeout(Some(within)).unwrap();
    let mut buffer = [0u8; 1024];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return false;
            }
            Err(_) => return true,
        }
    }
}

#[test]
fn clients_that_never_finish_their_headers_are_dropped_while_others_are_served() {
    let server = TestServer::start(|c| {
        small(c);
        c.http.header_read_timeout_secs = 2;
        c.http.keep_alive_timeout_secs = 2;
    });
    let mut slow: Vec<TcpStream> = (0..50)
        .map(|_| {
            let mut stream = TcpStream::connect(address(&server)).unwrap();
            stream
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .unwrap();
            stream
        })
        .collect();
    // A silent one too: it never sends a byte.
    slow.push(TcpStream::connect(address(&server)).unwrap());
    // Meanwhile the server answers everyone else.
    assert_eq!(ask(&client(), &server, SIMPLE), StatusCode::OK);
    for stream in &mut slow {
        assert!(
            closed_by_server(stream, Duration::from_secs(30)),
            "a connection without a complete head stayed open"
        );
    }
    assert!(
        metric(
            &server,
            "crosswalk_http_connections_closed_total{reason=\"header\"}"
        ) >= 1
    );
    assert_eq!(ask(&client(), &server, SIMPLE), StatusCode::OK);
}

#[test]
fn an_idle_keep_alive_connection_is_closed() {
    let server = TestServer::start(|c| {
        small(c);
        c.http.keep_alive_timeout_secs = 1;
    });
    let mut stream = TcpStream::connect(address(&server)).unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut answer = [0u8; 512];
    let n = stream.read(&mut answer).unwrap();
    assert!(String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 200"));
    // The response is complete; nothing more is sent and the server lets go.
    assert!(closed_by_server(&mut stream, Duration::from_secs(20)));
    assert!(
        metric(
            &server,
            "crosswalk_http_connections_closed_total{reason=\"idle\"}"
        ) >= 1
    );
}

#[test]
fn oversized_heads_and_bodies_get_431_and_413() {
    let server = TestServer::start(|c| {
        small(c);
        c.admin.token = Some("limits-admin-token-0123456789".into());
    });
    let huge_header = "x".repeat(200 * 1024);
    let response = client()
        .get(server.url("/healthz"))
        .header("x-padding", &huge_header)
        .send()
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
    // Just under the limit is fine.
    let response = client()
        .get(server.url("/healthz"))
        .header("x-padding", "x".repeat(32 * 1024))
        .send()
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let big_form = format!("query={}", "a".repeat(1024 * 1024));
    let response = client()
        .post(server.url("/sparql"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big_form)
        .send()
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let big_json = format!(
        "{{\"url\": \"https://example.org/{}\"}}",
        "a".repeat(100 * 1024)
    );
    let admin = |token: Option<&str>| {
        let mut request = client()
            .post(server.url("/api/sources"))
            .header("content-type", "application/json")
            .body(big_json.clone());
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().unwrap().status()
    };
    // Without the token nothing is read: 401 before the size matters.
    assert_eq!(admin(None), StatusCode::UNAUTHORIZED);
    assert_eq!(
        admin(Some("limits-admin-token-0123456789")),
        StatusCode::PAYLOAD_TOO_LARGE
    );
}

#[test]
fn past_the_connection_cap_new_connections_are_refused_and_the_server_recovers() {
    let server = TestServer::start(|c| {
        small(c);
        c.http.max_connections = 8;
        c.http.keep_alive_timeout_secs = 60;
        c.http.header_read_timeout_secs = 60;
    });
    let held: Vec<TcpStream> = (0..8)
        .map(|_| TcpStream::connect(address(&server)).unwrap())
        .collect();
    // Let the acceptor count them.
    std::thread::sleep(Duration::from_millis(500));
    let mut extra = TcpStream::connect(address(&server)).unwrap();
    extra
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    extra
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut answer = String::new();
    let _ = extra.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer:?}");
    assert!(answer.contains("too many connections"), "{answer:?}");
    drop(held);
    // Once the held connections are gone, new ones are served again.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = client()
            .get(server.url("/healthz"))
            .send()
            .map(|r| r.status());
        if matches!(status, Ok(StatusCode::OK)) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not recover: {status:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(metric(&server, "crosswalk_http_connections_refused_total") >= 1);
}

/// Sends `request` on a new connection and never reads the answer.
fn request_and_never_read(server: &TestServer, from: [u8; 4], path_and_query: &str) -> TcpStream {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.bind(&SocketAddr::from((from, 0)).into()).unwrap();
    // A small receive buffer, so the server's writes stall soon.
    socket.set_recv_buffer_size(4096).unwrap();
    socket.connect(&address(server).into()).unwrap();
    let mut stream: TcpStream = socket.into();
    write!(
        stream,
        "GET {path_and_query} HTTP/1.1\r\nHost: x\r\nAccept: application/n-triples\r\n\r\n"
    )
    .unwrap();
    stream
}

#[test]
fn clients_that_stop_reading_do_not_keep_the_query_slots() {
    let server = TestServer::start(|c| {
        c.sparql.timeout_secs = 3;
        c.sparql.max_concurrent = 2;
        c.sparql.max_per_client = 2;
        // Long, so that only the query deadline can free the slots.
        c.http.write_timeout_secs = 600;
    });
    let everything = url::form_urlencoded::byte_serialize(
        b"CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }",
    )
    .collect::<String>();
    let stalled: Vec<TcpStream> = (0..2)
        .map(|_| {
            request_and_never_read(
                &server,
                [127, 0, 0, 2],
                &format!("/sparql?query={everything}"),
            )
        })
        .collect();
    // Halfway to their deadline: the other client's query waits for a slot within its own
    // deadline, 1.5 s past theirs, so a loaded machine's lag does not decide the outcome.
    std::thread::sleep(Duration::from_millis(1500));
    // Both slots are taken by results nobody reads; at their deadline they are freed, and
    // another client's query is answered rather than refused.
    assert_eq!(
        ask(&client_from([127, 0, 0, 3]), &server, SIMPLE),
        StatusCode::OK
    );
    drop(stalled);
}

#[test]
fn a_stalled_reader_is_dropped_at_the_write_timeout() {
    let server = TestServer::start(|c| {
        c.http.write_timeout_secs = 1;
        c.sparql.timeout_secs = 600;
    });
    let everything = url::form_urlencoded::byte_serialize(
        b"CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }",
    )
    .collect::<String>();
    let _stalled = request_and_never_read(
        &server,
        [127, 0, 0, 2],
        &format!("/sparql?query={everything}"),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while metric(
        &server,
        "crosswalk_http_connections_closed_total{reason=\"write\"}",
    ) == 0
    {
        assert!(
            Instant::now() < deadline,
            "the stalled connection was never dropped"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn overrunning_explosive_queries_from_one_client_do_not_stop_another_clients_query() {
    let server = TestServer::start(|c| {
        small(c);
        c.sparql.timeout_secs = 3;
    });
    let attacker = client_from([127, 0, 0, 2]);
    let explosive: Vec<_> = (0..24)
        .map(|_| {
            let (attacker, url) = (attacker.clone(), server.url("/sparql"));
            std::thread::spawn(move || {
                attacker
                    .get(url)
                    .query(&[("query", EXPLOSIVE)])
                    .send()
                    .map(|r| r.status())
                    .ok()
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    // Another address asks something simple while the cross products spin: answered.
    assert_eq!(
        ask(&client_from([127, 0, 0, 3]), &server, SIMPLE),
        StatusCode::OK
    );
    let statuses: Vec<_> = explosive.into_iter().map(|t| t.join().unwrap()).collect();
    // Every explosive query ended (at its deadline, or refused while waiting), none succeeded.
    assert!(
        statuses.iter().all(|s| matches!(
            s,
            Some(StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS)
        )),
        "{statuses:?}"
    );
    assert!(metric(&server, "crosswalk_sparql_workers_killed_total") >= 1);
    // The attacker itself is served again once its queries are gone.
    assert_eq!(ask(&attacker, &server, SIMPLE), StatusCode::OK);
}

/// A point lookup reads one subject's statements and takes no evaluation slot: with the only
/// slot held by a cross product, another client's lookup answers while the cross product is
/// still running (before, it waited for the slot until the cross product's deadline).
#[test]
fn point_lookups_do_not_wait_for_a_slot_held_by_a_long_query() {
    let server = TestServer::start(|c| {
        small(c);
        c.sparql.timeout_secs = 30;
        c.sparql.max_concurrent = 1;
    });
    let subject = common::bindings(&server.sparql("SELECT ?s WHERE { ?s a ?t } LIMIT 1"));
    let lookup = format!(
        "SELECT ?p ?o WHERE {{ <{}> ?p ?o }}",
        common::value(&subject[0], "s")
    );
    let url = server.url("/sparql");
    let explosive = std::thread::spawn(move || {
        client_from([127, 0, 0, 2])
            .get(url)
            .query(&[("query", EXPLOSIVE)])
            .send()
            .map(|r| r.status())
            .ok()
    });
    while metric(&server, "crosswalk_sparql_running ") == 0 {
        assert!(!explosive.is_finished(), "the cross product ended early");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        ask(&client_from([127, 0, 0, 3]), &server, &lookup),
        StatusCode::OK
    );
    assert!(
        !explosive.is_finished(),
        "the lookup answered only once the slot was free"
    );
    assert_eq!(
        explosive.join().unwrap(),
        Some(StatusCode::SERVICE_UNAVAILABLE)
    );
}

/// `crosswalk serve` as its own process with the small seeds and `settings` (TOML), and the
/// directory holding its config and data.
fn serve_process(settings: &str) -> (ServeProcess, tempfile::TempDir) {
    let dir = common::data_dir();
    let port = free_port();
    let settings = format!("{settings}\n[crawl]\nschedule = false\n");
    let config = common::small_config(dir.path(), "crosswalk", port, &settings);
    (
        ServeProcess::start(&config, &dir.path().join("data"), port),
        dir,
    )
}

#[test]
fn sigterm_stops_the_server_within_the_grace_while_explosive_queries_run() {
    // The queries' own limit is far beyond the grace: only the shutdown bound can end them.
    let (mut server, _dir) = serve_process(
        "[http]\nshutdown_grace_secs = 2\n[sparql]\ntimeout_secs = 300\nmax_per_client = 8\n",
    );
    let url = format!("{}/sparql", server.base);
    let running: Vec<_> = (0..6)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                client()
                    .get(url)
                    .query(&[("query", EXPLOSIVE)])
                    .send()
                    .map(|r| r.status())
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(1));
    server.signal(rustix::process::Signal::TERM);
    // Well before the queries' 300 s limit.
    let status = server
        .exited_within(Duration::from_secs(60))
        .expect("the server was still running a minute after SIGTERM");
    assert!(status.success(), "{status:?}");
    for request in running {
        // Each got an answer or saw its connection closed; none was left hanging.
        let _ = request.join().unwrap();
    }
}

/// The query workers `server` runs now, with their nice values (from `/proc`).
fn workers_of(server: &ServeProcess) -> Vec<(u32, i64)> {
    let parent = server.child.id();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let (Ok(stat), Ok(cmdline)) = (
            std::fs::read_to_string(format!("/proc/{pid}/stat")),
            std::fs::read(format!("/proc/{pid}/cmdline")),
        ) else {
            continue;
        };
        // Fields after the command's closing parenthesis start at field 3 (state); ppid is
        // field 4, nice field 19.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .unwrap()
            .1
            .split_whitespace()
            .collect();
        let is_worker = cmdline
            .split(|b| *b == 0)
            .any(|arg| arg == b"sparql-worker");
        if is_worker && fields[1].parse::<u32>() == Ok(parent) {
            found.push((pid, fields[16].parse().unwrap()));
        }
    }
    found
}

/// A query still evaluating after 250 ms runs at a lower CPU priority (nice 10), so that short
/// queries get the cores first while long ones run; when it ends, its worker is back at normal
/// priority (or retired where raising it again is not allowed), never reused demoted.
#[test]
fn long_evaluations_are_demoted_and_no_worker_is_reused_demoted() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = common::small_config(
        dir.path(),
        "demote",
        port,
        "[crawl]\nschedule = false\n[sparql]\ntimeout_secs = 120\n",
    );
    let server = ServeProcess::start(&config, &dir.path().join("data"), port);
    let url = server.url("/sparql");
    let heavy = std::thread::spawn(move || {
        get_query(&client(), &url, HEAVY_BUT_FINITE, JSON)
            .map(|r| (r.status(), r.text().unwrap_or_default()))
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen_demoted = false;
    while !heavy.is_finished() && Instant::now() < deadline {
        if workers_of(&server).iter().any(|(_, nice)| *nice == 10) {
            seen_demoted = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let (status, body) = heavy.join().unwrap().unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("\"n\""), "{body}");
    assert!(
        seen_demoted,
        "no worker ran at nice 10 during the long query"
    );
    // The ended query's worker is not parked demoted: every worker is at nice 0 again.
    let workers = workers_of(&server);
    assert!(!workers.is_empty());
    assert!(workers.iter().all(|(_, nice)| *nice == 0), "{workers:?}");
    // And a short query after it is served.
    let short = get_query(&client(), &server.url("/sparql"), SIMPLE, JSON).unwrap();
    assert_eq!(short.status(), StatusCode::OK);
    let demoted = metric_at(
        &server.url("/metrics"),
        "crosswalk_sparql_workers_demoted_total ",
    );
    assert!(demoted >= 1, "demoted {demoted}");
}

/// A query a worker measured cheap runs on a server thread the next time, with the same
/// answer, until the graph changes; a costly one never leaves the workers.
#[test]
fn cheap_queries_skip_the_worker_once_measured_at_the_same_revision() {
    const TOKEN: &str = "quick-test-token";
    // A threshold that a debug build's cheap query stays under and its costly one does not.
    let server = TestServer::start(|config| {
        config.admin.token = Some(TOKEN.into());
        config.sparql.quick_cpu_ms = 200;
    });
    let on_threads = || metric(&server, "crosswalk_sparql_quick_on_threads_total ");
    let run = |query: &str| {
        let response = get_query(&client(), &server.url("/sparql"), query, JSON).unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.text().unwrap()
    };
    let cheap = "PREFIX cw: <https://w3id.org/crosswalk/ontology#> \
                 SELECT ?r WHERE { ?r a cw:Requirement } LIMIT 1";
    // Every typed resource once per requirement, about a million rows: far over 200 ms of CPU.
    let costly = "PREFIX cw: <https://w3id.org/crosswalk/ontology#> \
                  SELECT (COUNT(*) AS ?n) WHERE { ?a a cw:Requirement . ?s a ?t }";
    let inline = || metric(&server, "crosswalk_sparql_quick_inline_total ");
    let in_worker = run(cheap);
    assert_eq!(on_threads(), 0, "the first evaluation goes to a worker");
    assert_eq!(run(cheap), in_worker, "the same answer on a thread");
    assert_eq!(on_threads(), 1);
    assert_eq!(
        inline(),
        1,
        "alone in the server: on the connection's own thread"
    );
    // Another output format is another query.
    let xml = get_query(
        &client(),
        &server.url("/sparql"),
        cheap,
        "application/sparql-results+xml",
    )
    .unwrap();
    assert_eq!(xml.status(), StatusCode::OK);
    assert_eq!(on_threads(), 1);
    for _ in 0..2 {
        run(costly);
    }
    assert_eq!(on_threads(), 1, "a costly query stays in the workers");
    // With another evaluation running, the cheap query leaves the connection's thread to it
    // and runs on a blocking thread.
    std::thread::scope(|scope| {
        let busy = scope.spawn(|| run(costly));
        let deadline = Instant::now() + Duration::from_secs(30);
        while metric(&server, "crosswalk_sparql_running ") == 0 && !busy.is_finished() {
            assert!(Instant::now() < deadline, "the costly query never started");
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(
            !busy.is_finished(),
            "the costly query ended before it was seen running"
        );
        assert_eq!(run(cheap), in_worker);
        assert_eq!(on_threads(), 2);
        assert_eq!(inline(), 1, "another evaluation was running");
        busy.join().unwrap();
    });
    // A write: the measurement was for the old graph, so a worker measures it again.
    let inserted = client()
        .post(server.url("/sparql/update"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/sparql-update")
        .body("INSERT DATA { GRAPH <urn:test:quick> { <urn:a> <urn:b> <urn:c> } }")
        .send()
        .unwrap();
    assert_eq!(inserted.status(), StatusCode::NO_CONTENT);
    assert_eq!(run(cheap), in_worker);
    assert_eq!(on_threads(), 2, "not measured at the new revision yet");
    // Once a worker has read the new revision's view, the query is on a thread again.
    let deadline = Instant::now() + Duration::from_secs(30);
    while on_threads() == 2 && Instant::now() < deadline {
        assert_eq!(run(cheap), in_worker);
    }
    assert_eq!(on_threads(), 3);
    assert_eq!(inline(), 2);
}
