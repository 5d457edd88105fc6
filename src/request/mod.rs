//! What a request says, read once and in one order: its weighted lists
//! (`Accept-Language`, `Accept-Encoding`), the forwarded headers a trusted
//! proxy may add, the request in its one form, and from these the [`Visit`]
//! everything after reads.
//!
//! ```text
//! weighted ─▶ negotiate, forwarded ─▶ normalize ─▶ visit
//! ```

pub mod forwarded;
pub mod negotiate;
pub(crate) mod normalize;
pub(crate) mod visit;
pub(crate) mod weighted;

pub use visit::Visit;
