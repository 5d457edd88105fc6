//! Integration tests, compiled as one binary: the router driven with
//! `oneshot`, the CLI as a process, and the server over a real socket.

#![allow(
    clippy::expect_used,
    reason = "test helpers: a failed expectation is a failed test"
)]

mod architecture;
mod caching;
mod choices;
mod cli;
mod config;
mod connections;
mod consent;
mod content_errors;
mod embed;
mod front;
mod history;
mod import;
mod inputs;
mod jekyll;
mod language;
mod lifecycle;
mod limits;
mod nginx;
mod opt_in;
mod pages;
mod properties;
mod proxy;
mod response_cache;
mod security;
mod snapshots;
mod socket;
mod support;
mod upstream;
