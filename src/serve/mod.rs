//! Accepting and serving connections: the state built from the
//! configuration, every route and layer in one stack, the accept loop with
//! what an open connection may hold, and content reloaded while serving.

pub(crate) mod connections;
pub mod reload;
pub(crate) mod router;
pub mod server;
pub(crate) mod state;
