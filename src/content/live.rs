//! The library being served, replaceable as a whole while requests run.
//!
//! A reload builds a complete new [`Library`] first (every file loaded and
//! rendered, every check passed) and only then swaps it in, so a request sees
//! either the old content or the new, never a mix, and broken content never
//! replaces good content. Reads are lock-free (`arc-swap`): a request pays an
//! atomic load, not a lock shared with every other request.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arc_swap::ArcSwap;

use super::{ContentErrors, Library, Source, load};

/// A shared handle on the current [`Library`]. Clones share it.
#[derive(Clone, Debug)]
pub struct LiveLibrary {
    current: Arc<ArcSwap<Library>>,
    generation: Arc<AtomicU64>,
}

impl LiveLibrary {
    pub fn new(library: Library) -> Self {
        LiveLibrary {
            current: Arc::new(ArcSwap::from_pointee(library)),
            generation: Arc::new(AtomicU64::new(1)),
        }
    }

    /// The library as of now. Hold it for one request, not longer: a reload
    /// frees the old library only when its last holder lets go.
    pub fn current(&self) -> Arc<Library> {
        self.current.load_full()
    }

    /// How many libraries have been swapped in, counting the first: lets
    /// `/readyz` (and tests) tell that a reload took.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Swaps in a library that was already loaded and checked.
    pub fn replace(&self, library: Library) {
        self.current.store(Arc::new(library));
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Loads `source` afresh and swaps it in if, and only if, all of it is valid.
    /// On error the current library keeps serving.
    pub fn reload(&self, source: &Source) -> Result<Arc<Library>, ContentErrors> {
        let library = load(source)?;
        self.replace(library);
        Ok(self.current())
    }
}

impl From<Library> for LiveLibrary {
    fn from(library: Library) -> Self {
        LiveLibrary::new(library)
    }
}
