//! The library being served, replaceable as a whole while requests run.
//!
//! A reload builds a complete new [`Library`] first (every file loaded and
//! rendered, every check passed) and only then swaps it in, so a request sees
//! either the old content or the new, never a mix, and broken content never
//! replaces good content. Reads are lock-free (`arc-swap`): a request pays an
//! atomic load, not a lock shared with every other request.

use std::sync::Arc;

use arc_swap::ArcSwap;

use super::{ContentErrors, Library, Source, load};

/// A shared handle on the current [`Library`]. Clones share it.
#[derive(Clone, Debug)]
pub struct LiveLibrary {
    current: Arc<ArcSwap<Current>>,
}

/// A library and its generation, swapped together: read apart, a request
/// could pair new content with the old generation (a swap between the two
/// reads), and the response cache would keep it under the old one's key.
#[derive(Debug)]
struct Current {
    library: Arc<Library>,
    generation: u64,
}

impl LiveLibrary {
    pub fn new(library: Library) -> Self {
        LiveLibrary {
            current: Arc::new(ArcSwap::from_pointee(Current {
                library: Arc::new(library),
                generation: 1,
            })),
        }
    }

    /// The library as of now. Hold it for one request, not longer: a reload
    /// frees the old library only when its last holder lets go.
    pub fn current(&self) -> Arc<Library> {
        self.current.load().library.clone()
    }

    /// How many libraries have been swapped in, counting the first: lets
    /// `/readyz` (and tests) tell that a reload took.
    pub fn generation(&self) -> u64 {
        self.current.load().generation
    }

    /// The library as of now and its generation, read at one instant.
    pub fn snapshot(&self) -> (u64, Arc<Library>) {
        let current = self.current.load();
        (current.generation, current.library.clone())
    }

    /// Swaps in a library that was already loaded and checked.
    pub fn replace(&self, library: Library) {
        let library = Arc::new(library);
        self.current.rcu(|current| Current {
            library: library.clone(),
            generation: current.generation + 1,
        });
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
