//! Metadata stored with a lock: the value type, and the view that stores it.

mod value;
mod view;

pub use value::{MAX_METADATA_FIELDS, MAX_METADATA_NAME_LEN, MAX_METADATA_VALUE_LEN, Metadata};
pub(crate) use view::MetadataView;
