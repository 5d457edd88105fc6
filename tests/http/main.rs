//! Integration tests, compiled as one binary: the router driven with
//! `oneshot`, the CLI as a process, and the server over a real socket.

mod cli;
mod consent;
mod content_errors;
mod embed;
mod language;
mod pages;
mod snapshots;
mod socket;
mod support;
