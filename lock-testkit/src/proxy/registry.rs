//! The set of open proxied connections, each a task that can be aborted.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::task::AbortHandle;

/// Open connections by id. Aborting a connection's task drops its sockets, which closes both
/// sides.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    next_id: u64,
    open: HashMap<u64, AbortHandle>,
    /// Set when the proxy is dropped: nothing new starts.
    closed: bool,
}

/// Removes its connection from the registry when the connection's task ends or is aborted.
#[derive(Debug)]
struct Entry {
    registry: Arc<Registry>,
    id: u64,
}

impl Drop for Entry {
    fn drop(&mut self) {
        self.registry.lock().open.remove(&self.id);
    }
}

impl Registry {
    /// Runs `connection` as a task of its own, counted as open until it ends or is cut. Does
    /// nothing (dropping `connection`) once the registry is closed.
    pub(crate) fn spawn<F>(self: &Arc<Self>, connection: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let mut inner = self.lock();
        if inner.closed {
            return;
        }
        let id = inner.next_id;
        inner.next_id += 1;
        let entry = Entry { registry: Arc::clone(self), id };
        // The task cannot remove its entry before it is inserted: that needs this lock.
        let task = tokio::spawn(async move {
            let _entry = entry;
            connection.await;
        });
        inner.open.insert(id, task.abort_handle());
    }

    /// How many connections are open.
    pub(crate) fn len(&self) -> usize {
        self.lock().open.len()
    }

    /// Closes every open connection.
    pub(crate) fn cut_all(&self) {
        let tasks: Vec<AbortHandle> = self.lock().open.drain().map(|(_, task)| task).collect();
        for task in tasks {
            task.abort();
        }
    }

    /// Closes every open connection and refuses to start new ones.
    pub(crate) fn close(&self) {
        self.lock().closed = true;
        self.cut_all();
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
