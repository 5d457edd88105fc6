//! Reloading content while serving: on `SIGHUP` (production) and, with
//! `--watch`, whenever a file in the content folder changes (writing policies).
//!
//! Either way the whole folder is loaded and checked first and swapped in
//! only if all of it is valid ([`LiveLibrary::reload`]); otherwise every
//! problem is logged as `file:line: reason` and the last good content keeps
//! serving.

use std::path::Path;
use std::time::Duration;

use notify::{EventKind, RecursiveMode, Watcher};
use tokio::sync::mpsc;

use crate::content::{LiveLibrary, Source};

/// Changes arriving within this window are one edit (an editor's save is
/// often a write, a rename and a chmod).
const SETTLE: Duration = Duration::from_millis(150);

/// Reloads one source into one live library.
#[derive(Clone, Debug)]
pub struct Reloader {
    live: LiveLibrary,
    source: Source,
}

impl Reloader {
    pub fn new(live: LiveLibrary, source: Source) -> Self {
        Reloader { live, source }
    }

    /// Loads, checks and swaps (off the async threads: loading reads files
    /// and renders every document). Returns whether the new content took.
    pub async fn reload(&self, trigger: &'static str) -> bool {
        if matches!(self.source, Source::Embedded) {
            tracing::info!(
                trigger,
                "the bundled content is compiled in; nothing to reload"
            );
            return false;
        }
        let this = self.clone();
        let outcome = tokio::task::spawn_blocking(move || this.live.reload(&this.source)).await;
        match outcome {
            Ok(Ok(library)) => {
                tracing::info!(
                    trigger,
                    sites = library.sites().len(),
                    documents = library.documents().count(),
                    generation = self.live.generation(),
                    "content reloaded"
                );
                true
            }
            Ok(Err(errors)) => {
                for error in &errors.0 {
                    tracing::error!("{error}");
                }
                tracing::error!(
                    trigger,
                    problems = errors.0.len(),
                    "content reload failed; still serving the previous content"
                );
                false
            }
            Err(panic) => {
                tracing::error!(trigger, error = %panic, "content reload failed; still serving the previous content");
                false
            }
        }
    }

    /// Reloads on every `SIGHUP`, until the process ends.
    #[cfg(unix)]
    pub async fn on_sighup(self) {
        use tokio::signal::unix::{SignalKind, signal};
        let mut hangups = match signal(SignalKind::hangup()) {
            Ok(hangups) => hangups,
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for SIGHUP; reload by restarting");
                return;
            }
        };
        while hangups.recv().await.is_some() {
            self.reload("SIGHUP").await;
        }
    }

    /// Reloads whenever something under `dir` changes, until the process
    /// ends. Fails only if the folder cannot be watched at all.
    pub fn watch(self, dir: &Path) -> notify::Result<()> {
        let (changed, mut changes) = mpsc::channel::<()>(1);
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                let relevant = match event {
                    Ok(event) => !matches!(event.kind, EventKind::Access(_)),
                    Err(_) => true,
                };
                // A full channel already holds a pending reload.
                if relevant {
                    let _ = changed.try_send(());
                }
            })?;
        watcher.watch(dir, RecursiveMode::Recursive)?;
        tracing::info!(dir = %dir.display(), "watching for changes");
        tokio::spawn(async move {
            // The watcher stops when dropped; this task owns it.
            let _watcher = watcher;
            while changes.recv().await.is_some() {
                tokio::time::sleep(SETTLE).await;
                while changes.try_recv().is_ok() {}
                self.reload("file change").await;
            }
        });
        Ok(())
    }
}
