//! The tests lock-redis and lock-fred share, each written once and run against both clients
//! (`<module>::redis::<test>`, `<module>::fred::<test>`): real `redis-server` processes the
//! testkit starts.

mod differential;
mod endpoint;
mod eviction;
mod foreign_libs;
mod keyspace;
mod tls;
mod wait_mode;
