//! Channel ends ("ports"): a bounded queue each way between two Lua states. A worker and its
//! parent talk through a pair made by `worker.spawn`; `worker.channel()` makes more pairs, whose
//! ends can be sent to other workers inside messages (so workers can talk to each other).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::poll_fn;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use mlua::{
    AnyUserData, IntoLuaMulti, Lua, MultiValue, Result as LuaResult, UserData, UserDataFields, UserDataMethods, Value,
};
use tinn_reactor::{Closing, Expect, OpId, Raced, ScriptError};
use tokio::sync::mpsc::error::{TryRecvError, TrySendError};
use tokio::sync::mpsc::{channel, Receiver, Sender};
use tokio::sync::{Mutex, Notify};

use crate::error::{Unsendable, WorkerError};
use crate::message::{Detached, Parcel};

/// One end of a channel, detached from any Lua state so it can move to another thread.
pub struct PortEnds {
    /// Which channel this end belongs to (both ends share it).
    pair: u64,
    tx: Sender<Parcel>,
    rx: Receiver<Parcel>,
    stash: VecDeque<Parcel>,
}

/// Two connected ends, each holding up to `capacity` messages the other has not received yet.
pub fn pair(capacity: usize) -> (PortEnds, PortEnds) {
    static NEXT_PAIR: AtomicU64 = AtomicU64::new(0);
    let pair = NEXT_PAIR.fetch_add(1, Ordering::Relaxed);
    let (to_b, from_a) = channel(capacity);
    let (to_a, from_b) = channel(capacity);
    (
        PortEnds { pair, tx: to_b, rx: from_b, stash: VecDeque::new() },
        PortEnds { pair, tx: to_a, rx: from_a, stash: VecDeque::new() },
    )
}

/// The receiving side of an end in use, shared by every task receiving from it.
struct Inbox {
    /// Taken out when the end moves to another thread or is closed.
    rx: RefCell<Option<Receiver<Parcel>>>,
    /// Messages taken off the queue whose receive was cancelled before its task got them (a
    /// timeout racing the arrival); they are received first.
    stash: RefCell<VecDeque<Parcel>>,
    /// Wakes the receiver whose turn it is when a message lands in the stash.
    stashed: Notify,
    /// Parked receivers take turns, so the queue's one waker always belongs to the first.
    turn: Mutex<()>,
    /// Receive operations started, to tell whether a task still waits on this end.
    receiving: RefCell<Vec<OpId>>,
    closing: Closing,
}

/// A received message on its way to a parked task; back in the stash if never delivered.
struct InFlight {
    parcel: Option<Parcel>,
    inbox: Rc<Inbox>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(parcel) = self.parcel.take() {
            self.inbox.stash.borrow_mut().push_front(parcel);
            self.inbox.stashed.notify_one();
        }
    }
}

/// A message waiting for room in a full queue; given back to its sender's handles if it is
/// never sent (the post timed out or its task was cancelled).
struct Unsent {
    parcel: Option<Parcel>,
    detached: Option<Detached>,
}

impl Unsent {
    fn take(&mut self) -> Option<Parcel> {
        self.detached = None;
        self.parcel.take()
    }
}

impl Drop for Unsent {
    fn drop(&mut self) {
        if let (Some(parcel), Some(detached)) = (self.parcel.take(), self.detached.take()) {
            parcel.restore(detached);
        }
    }
}

/// An end in use in this Lua state.
pub(crate) struct LivePort {
    pair: u64,
    tx: Sender<Parcel>,
    inbox: Rc<Inbox>,
}

impl LivePort {
    pub(crate) fn new(ends: PortEnds) -> LivePort {
        let inbox = Inbox {
            rx: RefCell::new(Some(ends.rx)),
            stash: RefCell::new(ends.stash),
            stashed: Notify::new(),
            turn: Mutex::new(()),
            receiving: RefCell::new(Vec::new()),
            closing: Closing::default(),
        };
        LivePort { pair: ends.pair, tx: ends.tx, inbox: Rc::new(inbox) }
    }

    /// `true` (queued), `nil, "closed"`, `PENDING, id` when the queue is full, or
    /// `false, message` for a value that cannot be sent (the wrapper raises it).
    pub(crate) fn post(&self, lua: &Lua, value: &Value, op: &str) -> LuaResult<MultiValue> {
        let (parcel, detached) = match value {
            Value::String(s) => (Parcel::string(&s.as_bytes()), None),
            other => match Parcel::pack_one(lua, other, op, "msg", Some(self.pair)) {
                Ok((parcel, detached)) => (parcel, Some(detached)),
                Err(err) => return err.into_refusal(lua),
            },
        };
        match self.tx.try_send(parcel) {
            Ok(()) => true.into_lua_multi(lua),
            Err(TrySendError::Closed(parcel)) => {
                if let Some(detached) = detached {
                    parcel.restore(detached);
                }
                (Value::Nil, "closed").into_lua_multi(lua)
            }
            Err(TrySendError::Full(parcel)) => {
                let tx = self.tx.clone();
                let inbox = Rc::clone(&self.inbox);
                let mut unsent = Unsent { parcel: Some(parcel), detached };
                let (_, parked) = tinn_reactor::start_with(lua, Expect::Soon, async move {
                    match inbox.closing.race(tx.reserve()).await {
                        Raced::Done(Ok(permit)) => {
                            if let Some(parcel) = unsent.take() {
                                permit.send(parcel);
                            }
                            tinn_reactor::completion(|lua| true.into_lua_multi(lua))
                        }
                        // `unsent` gives the buffers and ports back as it drops
                        _ => tinn_reactor::failure("closed"),
                    }
                })?;
                Ok(parked)
            }
        }
    }

    /// The next message (fast path), `nil, "closed"`, or `PENDING, id` for the wrapper to park on.
    pub(crate) fn receive(&self, lua: &Lua) -> LuaResult<MultiValue> {
        let inbox = &self.inbox;
        let stashed = inbox.stash.borrow_mut().pop_front();
        if let Some(parcel) = stashed {
            return parcel.unpack(lua);
        }
        // Take from the queue directly only when no task is parked, so parked tasks go first.
        if inbox.turn.try_lock().is_ok() {
            let received = inbox.rx.borrow_mut().as_mut().map(Receiver::try_recv);
            match received {
                Some(Ok(parcel)) => return parcel.unpack(lua),
                Some(Err(TryRecvError::Disconnected)) | None => return (Value::Nil, "closed").into_lua_multi(lua),
                Some(Err(TryRecvError::Empty)) => {}
            }
        }
        let waiting = Rc::clone(inbox);
        let (id, parked) = tinn_reactor::start_with(lua, Expect::Soon, async move {
            let turn = waiting.turn.lock().await;
            let received = waiting.closing.race(next_parcel(&waiting)).await;
            drop(turn);
            match received {
                Raced::Done(Some(parcel)) => {
                    let mut held = InFlight { parcel: Some(parcel), inbox: waiting };
                    tinn_reactor::completion(move |lua| match held.parcel.take() {
                        Some(parcel) => parcel.unpack(lua),
                        None => Ok(MultiValue::new()),
                    })
                }
                Raced::Done(None) | Raced::Closed => tinn_reactor::failure("closed"),
            }
        })?;
        let mut receiving = inbox.receiving.borrow_mut();
        receiving.retain(|&op| tinn_reactor::is_pending(lua, op));
        receiving.push(id);
        Ok(parked)
    }

    /// Why this end cannot move to another thread now, if it cannot.
    fn check_movable(&self, lua: &Lua, via: Option<u64>) -> Result<(), Unsendable> {
        if via == Some(self.pair) {
            return Err(Unsendable::OwnChannel);
        }
        if self.inbox.receiving.borrow().iter().any(|&op| tinn_reactor::is_pending(lua, op)) {
            return Err(Unsendable::Receiving);
        }
        Ok(())
    }

    /// The ends, for another thread; tasks still parked here (none, see `check_movable`) would
    /// see it closed.
    fn into_ends(self) -> PortEnds {
        let inbox = self.inbox;
        let rx = inbox.rx.borrow_mut().take();
        let stash = std::mem::take(&mut *inbox.stash.borrow_mut());
        inbox.closing.close();
        let rx = rx.unwrap_or_else(|| {
            // Already closed: an end whose queue reports closed at once.
            let (_, rx) = channel(1);
            rx
        });
        PortEnds { pair: self.pair, tx: self.tx, rx, stash }
    }

    /// Closes this end: the other end's `receive` gets `nil, "closed"` once it has read what
    /// was sent, and its `post` gets `nil, "closed"`; tasks parked here wake with the same.
    pub(crate) fn close(self) {
        self.inbox.rx.borrow_mut().take();
        self.inbox.stash.borrow_mut().clear();
        self.inbox.closing.close();
    }
}

/// The next message for the task whose turn it is: from the stash, else from the queue.
async fn next_parcel(inbox: &Inbox) -> Option<Parcel> {
    loop {
        let stashed = inbox.stash.borrow_mut().pop_front();
        if stashed.is_some() {
            return stashed;
        }
        let arrival = inbox.stashed.notified();
        let queued = poll_fn(|cx| match inbox.rx.borrow_mut().as_mut() {
            Some(rx) => rx.poll_recv(cx),
            None => std::task::Poll::Ready(None),
        });
        tokio::select! {
            biased;
            () = arrival => {}
            received = queued => return received,
        }
    }
}

/// A channel end made by `worker.channel()` or received in a message: the Lua handle.
pub(crate) struct Port {
    live: RefCell<Option<LivePort>>,
    /// What happened to an end no longer live: "moved" or "closed".
    ended: Cell<&'static str>,
}

impl Port {
    pub(crate) fn create(lua: &Lua, ends: PortEnds) -> LuaResult<AnyUserData> {
        lua.create_userdata(Port { live: RefCell::new(Some(LivePort::new(ends))), ended: Cell::new("live") })
    }

    pub(crate) fn check_movable(&self, lua: &Lua, via: Option<u64>) -> Result<(), Unsendable> {
        match &*self.live.borrow() {
            Some(live) => live.check_movable(lua, via),
            None => Err(Unsendable::PortEnded(self.ended.get())),
        }
    }

    /// Detaches the end for a message (after `check_movable`).
    pub(crate) fn take(&self) -> Result<PortEnds, Unsendable> {
        let live = self.live.borrow_mut().take();
        self.ended.set("moved");
        live.map(LivePort::into_ends).ok_or(Unsendable::Gone)
    }

    /// Gives back an end whose message was not delivered.
    pub(crate) fn put_back(&self, ends: PortEnds) {
        *self.live.borrow_mut() = Some(LivePort::new(ends));
        self.ended.set("live");
    }

    /// `f(live end)`, or why there is none (`op`: this channel end was moved).
    pub(crate) fn with_live<R>(&self, op: &'static str, f: impl FnOnce(&LivePort) -> R) -> Result<R, WorkerError> {
        match &*self.live.borrow() {
            Some(live) => Ok(f(live)),
            None => Err(WorkerError::PortEnded { op, how: self.ended.get() }),
        }
    }

    /// Closes the end (a no-op if it was already closed or moved).
    pub(crate) fn close(&self) {
        let live = self.live.borrow_mut().take();
        if let Some(live) = live {
            live.close();
            self.ended.set("closed");
        }
    }
}

impl UserData for Port {
    fn add_fields<F: UserDataFields<Self>>(fields: &mut F) {
        // The methods are Lua functions (worker.lua), so waiting parks the task.
        fields.add_meta_field_with("__index", |lua| crate::lua_class(lua, "Port"));
    }

    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_meta_method("__tostring", |_, this, ()| Ok(format!("Port({})", this.ended.get())));
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tinn_reactor::{OpId, Reactor};

    use super::*;

    fn op_id(parked: &MultiValue) -> OpId {
        match parked.get(1) {
            Some(Value::Integer(id)) => *id as OpId,
            other => panic!("PENDING, id expected, got {other:?}"),
        }
    }

    /// The lost wake-up: a receive times out after its future took the message off the queue;
    /// the message goes back to the stash and the task parked behind it must get it.
    #[test]
    fn a_cancelled_receive_hands_its_message_to_the_next_parked_task() {
        let lua = Lua::new();
        let mut completions = Reactor::install(&lua);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("a runtime");
        tokio::task::LocalSet::new().block_on(&runtime, async {
            let (here, there) = pair(4);
            let (here, there) = (LivePort::new(here), LivePort::new(there));
            let first = op_id(&here.receive(&lua).expect("first receive parks"));
            let second = op_id(&here.receive(&lua).expect("second receive parks"));
            let posted = there.post(&lua, &Value::String(lua.create_string("x").expect("a string")), "test");
            assert_eq!(posted.expect("posted").front(), Some(&Value::Boolean(true)));
            // let the first receive take the message and queue its completion...
            for _ in 0..10 {
                tokio::task::yield_now().await;
            }
            // ...then time it out, as a timer firing in the same turn would
            tinn_reactor::cancel(&lua, first);
            let mut done = Vec::new();
            let reactor = lua.app_data_ref::<Reactor>().expect("the reactor");
            let waited = tokio::time::timeout(Duration::from_secs(5), async {
                while done.is_empty() {
                    completions.wait(&reactor, &mut done).await;
                }
            });
            assert!(waited.await.is_ok(), "the second receive was never woken");
            let (id, completion) = done.remove(0);
            assert_eq!(id, second);
            let tinn_reactor::Completion::Values(make) = completion else { panic!("a message completes with values") };
            let values = make(&lua).expect("the message converts");
            assert_eq!(values.front().and_then(|v| v.as_string()).map(|s| s.to_str().expect("utf-8").to_string()), Some("x".into()));
        });
    }
}
