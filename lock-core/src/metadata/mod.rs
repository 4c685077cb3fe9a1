//! Metadata stored with a lock: the value type.

mod value;

pub use value::{MAX_METADATA_FIELDS, MAX_METADATA_NAME_LEN, MAX_METADATA_VALUE_LEN, Metadata};
