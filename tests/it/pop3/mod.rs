//! POP3 with device passwords: Python's poplib and exact bytes on the wire.

mod poplib;
mod revocation;
mod wire;
