//! The layers that finish a response, each a middleware of its own: the
//! request limits (timeout, shedding, body sizes), the security headers,
//! validators, the kept responses and the request log.
//! [`crate::serve::router`] puts them in order.

pub mod limits;
pub(crate) mod request_log;
pub(crate) mod response_cache;
pub(crate) mod revalidate;
pub mod security;
