//! Sockets in a named network namespace without a runtime per namespace.
//!
//! A socket belongs to the namespace of the thread that called `socket(2)`, and keeps it
//! wherever it is used afterwards. So a [`Namespace`] owns one thread that entered the
//! namespace once (`setns`) and makes sockets on request; binding, options, connecting and
//! the I/O itself happen on the caller's runtime like for any other socket. The thread ends
//! when the last clone of the handle is dropped.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::sync::mpsc;
use std::sync::Arc;

type Job = Box<dyn FnOnce() + Send>;

/// A network namespace of `/run/netns` (as `ip netns add` makes them). Cheap to clone.
#[derive(Clone)]
pub struct Namespace {
    inner: Arc<Inner>,
}

struct Inner {
    name: String,
    jobs: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Namespace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Namespace").field(&self.inner.name).finish()
    }
}

impl Namespace {
    /// Opens `/run/netns/<name>` and starts the thread that makes its sockets.
    pub fn open(name: &str) -> io::Result<Namespace> {
        let path = format!("/run/netns/{name}");
        let file = File::open(&path)
            .map_err(|e| io::Error::new(e.kind(), format!("opening {path}: {e}")))?;
        let (jobs, rx) = mpsc::channel::<Job>();
        let (ready_tx, ready) = mpsc::channel();
        std::thread::Builder::new()
            .name(format!("netns-{name}"))
            .spawn(move || {
                // SAFETY: a valid namespace fd; CLONE_NEWNET moves only this thread.
                let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
                let entered = if rc == 0 {
                    Ok(())
                } else {
                    Err(io::Error::last_os_error())
                };
                let ok = entered.is_ok();
                let _ = ready_tx.send(entered);
                if ok {
                    for job in rx {
                        job();
                    }
                }
            })?;
        ready
            .recv()
            .map_err(|_| io::Error::other("the namespace thread died"))?
            .map_err(|e| io::Error::new(e.kind(), format!("entering namespace {name}: {e}")))?;
        Ok(Namespace {
            inner: Arc::new(Inner {
                name: name.to_owned(),
                jobs,
            }),
        })
    }

    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Runs `f` on the namespace's thread and returns its result. Meant for making sockets
    /// (microseconds): the caller blocks meanwhile, on an async thread too.
    pub fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> io::Result<T> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.inner
            .jobs
            .send(Box::new(move || {
                let _ = tx.send(f());
            }))
            .map_err(|_| io::Error::other("the namespace thread is gone"))?;
        rx.recv()
            .map_err(|_| io::Error::other("the namespace thread is gone"))
    }
}
