//! Sentinel-managed masters: constructors, following the master on failover, and
//! `redis+sentinel://` URLs.

mod constructors;
mod master;
mod url;

pub(crate) use constructors::client_for;
pub(crate) use master::{Resolver, SentinelMaster, moved};
pub(crate) use url::SentinelUrl;
