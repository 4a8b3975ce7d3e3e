//! `db:listen(channel)`: one dedicated connection per db runs LISTEN for every channel; its
//! notifications queue here until `pg.lua`'s pump task takes them (`notifications`) and raises
//! the named signal `"pg:" .. channel` with the payload. The pump's pending call keeps the
//! program alive while some channel is listened to; `unlisten` of the last one, or `close`,
//! ends it. When the connection drops, the pump is told (`lost`) and calls `relisten`.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;

use mlua::{IntoLuaMulti, Lua, MultiValue, Result as LuaResult};
use tinn_reactor::ScriptError;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::sync::{Mutex, Notify};
use tokio_postgres::Client;

use crate::error::{describe, PgError};
use crate::pool::{Note, Pool};

pub(crate) struct Listener {
    pool: Rc<Pool>,
    client: Rc<Mutex<Option<Client>>>,
    channels: Rc<RefCell<BTreeSet<String>>>,
    queue: Rc<Mutex<UnboundedReceiver<Note>>>,
    sender: UnboundedSender<Note>,
    /// Wakes the pump when the last channel is unlistened or the db closed.
    stop: Rc<Notify>,
}

/// `"name"` with inner quotes doubled: a channel is an identifier, never spliced raw.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Connects if needed, then LISTENs to `channels`.
async fn subscribe(
    pool: &Pool,
    client: &Mutex<Option<Client>>,
    sender: &UnboundedSender<Note>,
    channels: &[String],
) -> Result<(), PgError> {
    let mut slot = client.lock().await;
    if slot.as_ref().is_none_or(|c| c.is_closed()) {
        *slot = Some(pool.target.connect(Some(sender.clone())).await?);
    }
    let Some(connected) = slot.as_ref() else { return Err(PgError::Closed) };
    let sql: String = channels.iter().map(|c| format!("LISTEN {};", quote_ident(c))).collect();
    connected.batch_execute(&sql).await.map_err(|e| PgError::op("listen", describe(&e)))
}

impl Listener {
    pub(crate) fn new(pool: Rc<Pool>) -> Listener {
        let (sender, receiver) = unbounded_channel();
        Listener {
            pool,
            client: Rc::new(Mutex::new(None)),
            channels: Rc::new(RefCell::new(BTreeSet::new())),
            queue: Rc::new(Mutex::new(receiver)),
            sender,
            stop: Rc::new(Notify::new()),
        }
    }

    pub(crate) fn listen(&self, lua: &Lua, channel: String) -> LuaResult<MultiValue> {
        if self.pool.is_closed() {
            return PgError::Closed.into_failure(lua);
        }
        let (pool, client, sender, channels) = (Rc::clone(&self.pool), Rc::clone(&self.client), self.sender.clone(), Rc::clone(&self.channels));
        tinn_reactor::start(lua, async move {
            match subscribe(&pool, &client, &sender, std::slice::from_ref(&channel)).await {
                Ok(()) => {
                    channels.borrow_mut().insert(channel);
                    tinn_reactor::completion(|lua| true.into_lua_multi(lua))
                }
                Err(e @ PgError::Connect { .. }) => tinn_reactor::failure(PgError::op("listen", e.to_string())),
                Err(e) => tinn_reactor::failure(e),
            }
        })
    }

    /// Re-opens the LISTEN connection after it dropped, for every channel still listened to.
    pub(crate) fn relisten(&self, lua: &Lua) -> LuaResult<MultiValue> {
        let channels: Vec<String> = self.channels.borrow().iter().cloned().collect();
        if channels.is_empty() || self.pool.is_closed() {
            return true.into_lua_multi(lua);
        }
        let (pool, client, sender) = (Rc::clone(&self.pool), Rc::clone(&self.client), self.sender.clone());
        tinn_reactor::start(lua, async move {
            match subscribe(&pool, &client, &sender, &channels).await {
                Ok(()) => tinn_reactor::completion(|lua| true.into_lua_multi(lua)),
                Err(e) => tinn_reactor::failure(e),
            }
        })
    }

    pub(crate) fn unlisten(&self, lua: &Lua, channel: String) -> LuaResult<MultiValue> {
        let now_empty = {
            let mut channels = self.channels.borrow_mut();
            channels.remove(&channel);
            channels.is_empty()
        };
        let client = Rc::clone(&self.client);
        let stop = Rc::clone(&self.stop);
        tinn_reactor::start(lua, async move {
            let mut slot = client.lock().await;
            let result = match slot.as_ref() {
                Some(_) if now_empty => {
                    // No channel left: close the connection, so it no longer keeps the program alive.
                    *slot = None;
                    stop.notify_waiters();
                    Ok(())
                }
                Some(connected) => connected.batch_execute(&format!("UNLISTEN {}", quote_ident(&channel))).await,
                None => Ok(()),
            };
            match result {
                Ok(()) => tinn_reactor::completion(|lua| true.into_lua_multi(lua)),
                Err(e) => tinn_reactor::failure(PgError::op("unlisten", describe(&e))),
            }
        })
    }

    /// `{channel1, payload1, channel2, payload2, ...}, lost` as soon as some are queued;
    /// `nil, "closed"` once nothing is listened to.
    pub(crate) fn notifications(&self, lua: &Lua) -> LuaResult<MultiValue> {
        if let Ok(mut queue) = self.queue.try_lock() {
            let mut notes = Vec::new();
            while let Ok(note) = queue.try_recv() {
                notes.push(note);
            }
            if !notes.is_empty() {
                return notes_to_lua(lua, notes);
            }
        }
        if self.channels.borrow().is_empty() || self.pool.is_closed() {
            return PgError::Closed.into_failure(lua);
        }
        let (queue, stop, channels) = (Rc::clone(&self.queue), Rc::clone(&self.stop), Rc::clone(&self.channels));
        tinn_reactor::start(lua, async move {
            let stopped = stop.notified();
            tokio::pin!(stopped);
            // Registered before the check, so an unlisten in between still wakes this call.
            stopped.as_mut().enable();
            if channels.borrow().is_empty() {
                return tinn_reactor::failure("closed");
            }
            let mut queue = queue.lock().await;
            let first = tokio::select! {
                note = queue.recv() => note,
                _ = stopped => None,
            };
            let Some(first) = first else { return tinn_reactor::failure("closed") };
            let mut notes = vec![first];
            while let Ok(note) = queue.try_recv() {
                notes.push(note);
            }
            tinn_reactor::completion(move |lua| notes_to_lua(lua, notes))
        })
    }

    pub(crate) fn close(&self) {
        self.channels.borrow_mut().clear();
        if let Ok(mut slot) = self.client.try_lock() {
            *slot = None;
        }
        self.stop.notify_waiters();
    }
}

fn notes_to_lua(lua: &Lua, notes: Vec<Note>) -> LuaResult<MultiValue> {
    let table = lua.create_table()?;
    let mut lost = false;
    for note in notes {
        match note {
            Note::Notification(channel, payload) => {
                table.raw_push(channel)?;
                table.raw_push(payload)?;
            }
            Note::Lost => lost = true,
        }
    }
    (table, lost).into_lua_multi(lua)
}
