//! An inline `<script>` (or a `<noscript>`) can only be judged once its
//! end tag is read. The gate's rewriter marks where such an element
//! starts and ends in its output; the [`Sink`] holds those bytes back until
//! the end mark, then sends or drops them whole.

use std::sync::{Arc, Mutex, PoisonError};

use lol_html::OutputSink;

use super::recognize::Recognizer;

/// An inline script longer than this is judged by its first bytes.
pub(super) const MAX_HELD: usize = 256 * 1024;

/// Marks in the rewriter's output (never in a page: they hold control
/// characters HTML forbids), each written by lol_html as one chunk.
pub(super) const HOLD: &[u8] = b"\x01privacy-pages:hold\x01";
pub(super) const RELEASE: &[u8] = b"\x01privacy-pages:release\x01";

/// Where the rewriter's output goes, inline scripts held back until judged.
pub(super) struct Sink {
    pub(super) recognizer: Arc<Recognizer>,
    pub(super) out: Vec<u8>,
    pub(super) held: Held,
}

pub(super) enum Held {
    Nothing,
    Script(Vec<u8>),
    /// Too long to hold: judged on its start, the rest follows that verdict.
    Passing,
    Dropping,
}

impl Sink {
    fn write(&mut self, chunk: &[u8]) {
        if chunk == HOLD {
            self.held = Held::Script(Vec::new());
            return;
        }
        if chunk == RELEASE {
            self.release();
            return;
        }
        match &mut self.held {
            Held::Nothing | Held::Passing => self.out.extend_from_slice(chunk),
            Held::Dropping => {}
            Held::Script(script) => {
                script.extend_from_slice(chunk);
                if script.len() > MAX_HELD {
                    let script = std::mem::take(script);
                    if self.recognizer.blocks_inline(&script) {
                        self.held = Held::Dropping;
                    } else {
                        self.out.extend_from_slice(&script);
                        self.held = Held::Passing;
                    }
                }
            }
        }
    }

    /// The end of a held script (or of the document inside one).
    pub(super) fn release(&mut self) {
        if let Held::Script(script) = std::mem::replace(&mut self.held, Held::Nothing)
            && !self.recognizer.blocks_inline(&script)
        {
            self.out.extend_from_slice(&script);
        }
    }
}

pub(super) type SharedSink = Arc<Mutex<Sink>>;

pub(super) fn lock(sink: &SharedSink) -> std::sync::MutexGuard<'_, Sink> {
    sink.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The rewriter's end of the sink.
pub(super) struct Output(pub(super) SharedSink);

impl OutputSink for Output {
    fn handle_chunk(&mut self, chunk: &[u8]) {
        lock(&self.0).write(chunk);
    }
}

/// Scripts the browser runs: no `type`, or a JavaScript one. JSON-LD and
/// `type="text/plain"` placeholders are data.
pub(super) fn is_executable(kind: Option<&str>) -> bool {
    kind.is_none_or(|kind| {
        let kind = kind.trim().to_ascii_lowercase();
        kind.is_empty()
            || kind == "module"
            || kind.ends_with("/javascript")
            || kind.ends_with("/ecmascript")
    })
}

pub(super) fn as_str(mark: &'static [u8]) -> &'static str {
    std::str::from_utf8(mark).unwrap_or_default()
}
