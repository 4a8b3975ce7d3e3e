//! Pipe ends of a child process: [`PipeReader`] (the child's stdout or stderr) and
//! [`PipeWriter`] (its stdin). Reads go through a buffer so lines and exact counts already
//! received finish without parking the task; the read modes are those of `tinn.net` streams.

use std::cell::RefCell;
use std::rc::Rc;

use mlua::{IntoLuaMulti, Lua, MultiValue, Result as LuaResult, UserData, UserDataMethods, Value};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::Mutex;

use tinn_reactor::read_buffer::{ReadBuffer, ReadMode, READ_CHUNK};
use tinn_reactor::{Closing, Raced, ScriptError};

use crate::error::ProcessError;

fn closed(lua: &Lua) -> LuaResult<MultiValue> {
    ProcessError::Closed.into_failure(lua)
}

struct Reader {
    /// Which pipe, for messages: `stdout of 'cmd'`.
    name: String,
    // The async lock is also the FIFO turn of concurrent readers: bytes are never handed out
    // of order.
    pipe: Mutex<Box<dyn AsyncRead + Unpin>>,
    buffer: RefCell<ReadBuffer>,
    closing: Closing,
}

impl Reader {
    /// Reads until `mode` can finish. Each chunk goes into the buffer as soon as it arrives,
    /// so a read cancelled by its timeout loses no bytes.
    async fn fill(&self, pipe: &mut (dyn AsyncRead + Unpin), mode: ReadMode) -> Result<(), ProcessError> {
        let mut chunk = vec![0u8; READ_CHUNK];
        while !self.buffer.borrow().ready(mode) {
            match pipe.read(&mut chunk).await {
                Ok(0) => self.buffer.borrow_mut().eof = true,
                Ok(n) => self.buffer.borrow_mut().spare().extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(source) => return Err(ProcessError::Pipe { op: "read", pipe: self.name.clone(), source }),
            }
        }
        Ok(())
    }

    fn take(&self, lua: &Lua, mode: ReadMode) -> LuaResult<MultiValue> {
        match self.buffer.borrow_mut().take(mode, |bytes| lua.create_string(bytes)) {
            Some(Some(string)) => string?.into_lua_multi(lua),
            _ => Value::Nil.into_lua_multi(lua),
        }
    }
}

/// The userdata behind `proc.stdout` / `proc.stderr`; empty once closed.
pub struct PipeReader(RefCell<Option<Rc<Reader>>>);

impl PipeReader {
    pub(crate) fn new(name: String, pipe: Box<dyn AsyncRead + Unpin>) -> PipeReader {
        let reader =
            Reader { name, pipe: Mutex::new(pipe), buffer: RefCell::new(ReadBuffer::default()), closing: Closing::default() };
        PipeReader(RefCell::new(Some(Rc::new(reader))))
    }
}


fn pipe_read(lua: &Lua, handle: &PipeReader, (kind, count): (String, Option<usize>)) -> LuaResult<MultiValue> {
    let mode = ReadMode::parse(&kind, count).map_err(mlua::Error::external)?;
    let Some(reader) = handle.0.borrow().clone() else { return closed(lua) };
    // Fast path: no other reader is waiting and the buffer already holds the answer.
    if let Ok(_turn) = reader.pipe.try_lock() {
        if reader.buffer.borrow().ready(mode) {
            return reader.take(lua, mode);
        }
    }
    tinn_reactor::start(lua, async move {
        let outcome = reader
            .closing
            .race(async {
                let mut pipe = reader.pipe.lock().await;
                reader.fill(&mut **pipe, mode).await
            })
            .await;
        tinn_reactor::completion(move |lua| match outcome {
            Raced::Done(Ok(())) => reader.take(lua, mode),
            Raced::Done(Err(err)) => err.into_failure(lua),
            Raced::Closed => closed(lua),
        })
    })
}

impl UserData for PipeReader {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_method("read", pipe_read);
        methods.add_method("close", |_, this, ()| {
            if let Some(reader) = this.0.borrow_mut().take() {
                reader.closing.close();
            }
            Ok(())
        });
        methods.add_method("isClosed", |_, this, ()| Ok(this.0.borrow().is_none()));
    }
}

struct Writer {
    name: String,
    /// None once closed: dropping the pipe end is what the child sees as end of input.
    pipe: Mutex<Option<Box<dyn AsyncWrite + Unpin>>>,
    closing: Closing,
}

/// The userdata behind `proc.stdin`; closing it gives the child end of input.
pub struct PipeWriter(RefCell<Option<Rc<Writer>>>);

impl PipeWriter {
    pub(crate) fn new(name: String, pipe: Box<dyn AsyncWrite + Unpin>) -> PipeWriter {
        PipeWriter(RefCell::new(Some(Rc::new(Writer { name, pipe: Mutex::new(Some(pipe)), closing: Closing::default() }))))
    }
}

fn pipe_write(lua: &Lua, handle: &PipeWriter, data: Vec<u8>) -> LuaResult<MultiValue> {
    let Some(writer) = handle.0.borrow().clone() else { return closed(lua) };
    let total = data.len();
    tinn_reactor::start(lua, async move {
        let outcome = writer
            .closing
            .race(async {
                let mut pipe = writer.pipe.lock().await;
                let Some(pipe) = pipe.as_mut() else { return Ok(false) };
                pipe.write_all(&data).await?;
                pipe.flush().await.map(|()| true)
            })
            .await;
        if matches!(outcome, Raced::Closed) {
            drop_pipe(&writer);
        }
        tinn_reactor::completion(move |lua| match outcome {
            Raced::Done(Ok(true)) => total.into_lua_multi(lua),
            Raced::Done(Ok(false)) | Raced::Closed => closed(lua),
            Raced::Done(Err(source)) => ProcessError::Pipe { op: "write", pipe: writer.name.clone(), source }.into_failure(lua),
        })
    })
}

/// Drops the pipe end if no write holds it; a write that does drops it when close wakes it.
fn drop_pipe(writer: &Writer) {
    if let Ok(mut pipe) = writer.pipe.try_lock() {
        pipe.take();
    }
}

impl UserData for PipeWriter {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_method("write", |lua, this, data: mlua::LuaString| pipe_write(lua, this, data.as_bytes().to_vec()));
        methods.add_method("close", |_, this, ()| {
            if let Some(writer) = this.0.borrow_mut().take() {
                writer.closing.close();
                drop_pipe(&writer);
            }
            Ok(())
        });
        methods.add_method("isClosed", |_, this, ()| Ok(this.0.borrow().is_none()));
    }
}
