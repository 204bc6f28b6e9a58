use super::*;

#[test]
fn env_overrides_file_values() {
    let mut config: Config =
        toml::from_str("bind = \"127.0.0.1:9000\"\n[sparql]\ntimeout_secs = 3\n").unwrap();
    config
        .apply_env([
            ("CROSSWALK_SPARQL_TIMEOUT_SECS".to_string(), "7".to_string()),
            (
                "CROSSWALK_CRAWL_ALLOW_PRIVATE".to_string(),
                "127.0.0.1, 10.0.0.0/8".to_string(),
            ),
            ("CROSSWALK_HTTP_THREADS".to_string(), "3".to_string()),
        ])
        .unwrap();
    assert_eq!(config.http_threads, 3);
    assert_eq!(config.bind.port(), 9000);
    assert_eq!(config.sparql.timeout_secs, 7);
    assert_eq!(config.crawl.allow_private, vec!["127.0.0.1", "10.0.0.0/8"]);
}

#[test]
fn the_token_comes_from_a_file_and_never_shows_in_debug() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, "file-token-0123456789abcdef\n").unwrap();
    let mut config = Config::default();
    config
        .apply_env([(
            "CROSSWALK_ADMIN_TOKEN_FILE".to_string(),
            file.display().to_string(),
        )])
        .unwrap();
    assert_eq!(
        config.admin.token.as_deref(),
        Some("file-token-0123456789abcdef")
    );
    let printed = format!("{config:?}");
    assert!(!printed.contains("file-token"), "{printed}");
    assert!(printed.contains("(hidden)"), "{printed}");
    // A token and a file at once is ambiguous; a missing file is an error, not no token.
    let both = Config::default()
        .apply_env([
            ("CROSSWALK_ADMIN_TOKEN".to_string(), "x".repeat(20)),
            (
                "CROSSWALK_ADMIN_TOKEN_FILE".to_string(),
                file.display().to_string(),
            ),
        ])
        .unwrap_err();
    assert!(both.to_string().contains("not both"), "{both}");
    let missing = Config::default()
        .apply_env([(
            "CROSSWALK_ADMIN_TOKEN_FILE".to_string(),
            dir.path().join("absent").display().to_string(),
        )])
        .unwrap_err();
    assert!(matches!(missing, ConfigError::Read { .. }), "{missing}");
}

#[test]
fn http_limits_come_from_the_file_and_the_environment() {
    let mut config: Config = toml::from_str(
        "[http]\nheader_read_timeout_secs = 3\nmax_connections = 7\ntrusted_proxies = [\"10.0.0.0/8\"]\n",
    )
    .unwrap();
    config
        .apply_env([(
            "CROSSWALK_HTTP_MAX_HEADER_BYTES".to_string(),
            "16384".to_string(),
        )])
        .unwrap();
    assert_eq!(config.http.header_read_timeout_secs, 3);
    assert_eq!(config.http.max_connections, 7);
    assert_eq!(config.http.max_header_bytes, 16384);
    let small = Config::default()
        .apply_env([(
            "CROSSWALK_HTTP_MAX_HEADER_BYTES".to_string(),
            "100".to_string(),
        )])
        .unwrap_err();
    assert!(small.to_string().contains("8192"), "{small}");
    let proxy = Config::default()
        .apply_env([(
            "CROSSWALK_HTTP_TRUSTED_PROXIES".to_string(),
            "proxy.example".to_string(),
        )])
        .unwrap_err();
    assert!(proxy.to_string().contains("CIDR"), "{proxy}");
}

#[test]
fn rejects_unknown_keys_and_short_tokens() {
    assert!(toml::from_str::<Config>("bnid = \"x\"").is_err());
    let mut config = Config::default();
    let err = config
        .apply_env([("CROSSWALK_ADMIN_TOKEN".to_string(), "short".to_string())])
        .unwrap_err();
    assert!(err.to_string().contains("at least 16"));
    let err = Config::default()
        .apply_env([("CROSSWALK_HTTP_THREADS".to_string(), "0".to_string())])
        .unwrap_err();
    assert!(err.to_string().contains("http_threads"), "{err}");
}
