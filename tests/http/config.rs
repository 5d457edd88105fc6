//! Configuration layers: flag > environment > file > default, and clear
//! errors naming the key and its source.

use std::io::Write;

use privacy_pages::config::{Config, LogFormat, Overrides};

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn file(text: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::Builder::new()
        .suffix(".toml")
        .tempfile()
        .expect("temp file");
    file.write_all(text.as_bytes()).expect("write");
    file
}

#[test]
fn defaults() {
    let config = Config::load(None, &[], &Overrides::default()).expect("defaults are valid");
    assert_eq!(config, Config::default());
    assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(config.log_format, LogFormat::Text);
    let trusted: Vec<String> = config
        .trusted_proxies
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(trusted, ["127.0.0.0/8", "::1/128"]);
}

#[test]
fn flag_beats_env_beats_file_beats_default() {
    let toml =
        file("listen = \"127.0.0.1:1001\"\nbase_path = \"/from-file\"\nshutdown_grace_secs = 3\n");
    let vars = env(&[
        ("PRIVACY_PAGES_LISTEN", "127.0.0.1:1002"),
        ("PRIVACY_PAGES_BASE_PATH", "/from-env"),
        ("UNRELATED", "x"),
    ]);
    let flags = Overrides {
        listen: Some("127.0.0.1:1003".parse().expect("addr")),
        ..Overrides::default()
    };
    let config = Config::load(Some(toml.path()), &vars, &flags).expect("valid");
    assert_eq!(config.listen.to_string(), "127.0.0.1:1003", "flag wins");
    assert_eq!(config.base_path, "/from-env", "env beats file");
    assert_eq!(config.shutdown_grace_secs, 3, "file beats default");
    assert_eq!(config.log_format, LogFormat::Text, "default");

    let without_flag =
        Config::load(Some(toml.path()), &vars, &Overrides::default()).expect("valid");
    assert_eq!(
        without_flag.listen.to_string(),
        "127.0.0.1:1002",
        "env beats file"
    );
    let file_only = Config::load(Some(toml.path()), &[], &Overrides::default()).expect("valid");
    assert_eq!(
        file_only.listen.to_string(),
        "127.0.0.1:1001",
        "file beats default"
    );
}

#[test]
fn the_config_file_can_come_from_the_environment() {
    let toml = file("log_format = \"json\"\ntrusted_proxies = [\"10.0.0.0/8\"]\n");
    let path = toml.path().to_string_lossy().into_owned();
    let config = Config::load(
        None,
        &env(&[("PRIVACY_PAGES_CONFIG", &path)]),
        &Overrides::default(),
    )
    .expect("valid");
    assert_eq!(config.log_format, LogFormat::Json);
    assert_eq!(config.trusted_proxies.len(), 1);
    let env_list = Config::load(
        None,
        &env(&[(
            "PRIVACY_PAGES_TRUSTED_PROXIES",
            "[192.0.2.0/24, \"::1/128\"]",
        )]),
        &Overrides::default(),
    );
    assert_eq!(env_list.expect("valid").trusted_proxies.len(), 2);
    let comma_separated = Config::load(
        None,
        &env(&[("PRIVACY_PAGES_TRUSTED_PROXIES", "10.0.0.0/8, fd00::/8")]),
        &Overrides::default(),
    )
    .expect("valid");
    let trusted: Vec<String> = comma_separated
        .trusted_proxies
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(trusted, ["10.0.0.0/8", "fd00::/8"]);
    let error = Config::load(
        None,
        &env(&[("PRIVACY_PAGES_TRUSTED_PROXIES", "10.0.0.0/8,nginx")]),
        &Overrides::default(),
    )
    .expect_err("not a network");
    assert!(error.contains("PRIVACY_PAGES_TRUSTED_PROXIES"), "{error}");
}

#[test]
fn errors_name_the_key_and_the_source() {
    let toml = file("listen = \"127.0.0.1:1001\"\nlisten_adress = \"x\"\n");
    let error =
        Config::load(Some(toml.path()), &[], &Overrides::default()).expect_err("unknown key");
    assert!(error.contains("listen_adress"), "{error}");
    assert!(
        error.contains(&toml.path().display().to_string()),
        "{error}"
    );

    let error = Config::load(
        None,
        &env(&[("PRIVACY_PAGES_LISTEN", "not-an-address")]),
        &Overrides::default(),
    )
    .expect_err("invalid value");
    assert!(error.contains("`PRIVACY_PAGES_LISTEN`"), "{error}");
    assert!(error.to_lowercase().contains("environment"), "{error}");

    let error = Config::load(
        None,
        &env(&[("PRIVACY_PAGES_COLOUR", "red")]),
        &Overrides::default(),
    )
    .expect_err("unknown variable");
    assert!(error.contains("colour"), "{error}");

    let error = Config::load(
        None,
        &env(&[("PRIVACY_PAGES_BASE_PATH", "legal")]),
        &Overrides::default(),
    )
    .expect_err("invalid base path");
    assert!(error.contains("`base_path`"), "{error}");

    let error = Config::load(
        Some(std::path::Path::new("/nonexistent.toml")),
        &[],
        &Overrides::default(),
    )
    .expect_err("missing file");
    assert!(error.contains("/nonexistent.toml"), "{error}");

    let error = Config::load(
        None,
        &env(&[("PRIVACY_PAGES_WATCH", "true")]),
        &Overrides::default(),
    )
    .expect_err("nothing to watch");
    assert!(error.contains("`watch`"), "{error}");
}

#[test]
fn limits_are_validated() {
    for (var, value, key) in [
        (
            "PRIVACY_PAGES_MAX_HEADER_BYTES",
            "4096",
            "`max_header_bytes`",
        ),
        (
            "PRIVACY_PAGES_REQUEST_TIMEOUT_SECS",
            "0",
            "`request_timeout_secs`",
        ),
        (
            "PRIVACY_PAGES_HEADER_READ_TIMEOUT_SECS",
            "0",
            "`header_read_timeout_secs`",
        ),
        (
            "PRIVACY_PAGES_MAX_CONCURRENT_REQUESTS",
            "0",
            "`max_concurrent_requests`",
        ),
    ] {
        let error = Config::load(None, &env(&[(var, value)]), &Overrides::default())
            .expect_err("out of range");
        assert!(error.contains(key), "{error}");
    }
    let config = Config::load(
        None,
        &env(&[
            ("PRIVACY_PAGES_MAX_HEADER_BYTES", "32768"),
            ("PRIVACY_PAGES_MAX_CONCURRENT_REQUESTS", "64"),
        ]),
        &Overrides::default(),
    )
    .expect("valid");
    assert_eq!(config.connection_limits().max_header_bytes, 32768);
    assert_eq!(config.request_limits().max_concurrent_requests, 64);
}

/// The README's table is the operator's reference: every setting the
/// service reads is a row in it, with its environment variable and flag,
/// and every flag is in `--help`.
#[test]
fn the_readme_documents_every_setting() {
    let readme = include_str!("../../README.md");
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_privacy-pages"))
        .arg("--help")
        .output()
        .expect("run --help");
    let help = String::from_utf8_lossy(&help.stdout);
    let keys = toml::Value::try_from(Config::default()).expect("serializable");
    let keys = keys.as_table().expect("a table");
    assert!(keys.len() >= 12, "{keys:?}");
    // Settings without a default are absent from the serialized defaults.
    let names = keys
        .keys()
        .map(String::as_str)
        .chain(["content", "max_connections"]);
    for key in names {
        let env = format!("PRIVACY_PAGES_{}", key.to_ascii_uppercase());
        let flag = format!("--{}", key.replace('_', "-"));
        let row = format!("| `{key}` | `{env}` | `{flag}` |");
        assert!(readme.contains(&row), "README lacks the row {row}");
        assert!(help.contains(&flag), "--help lacks {flag}");
    }
}
