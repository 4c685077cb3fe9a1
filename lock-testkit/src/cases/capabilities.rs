//! `info` and honest capabilities: bullets N1, W1 and A7.

use lock_core::{BackendErrorKind, backend::AcquireOutcome};

use super::util::must_acquire;
use crate::context::TestContext;
use crate::failure::CaseResult;
use crate::{check, check_eq, fail};

/// N1: `info` is constant and names the backend.
pub async fn info_is_constant(cx: TestContext) -> CaseResult {
    let first = cx.backend().info();
    check!(!first.name.is_empty(), "info().name is empty");
    for _ in 0..100 {
        check_eq!(cx.backend().info(), first, "info() changed between calls");
    }
    Ok(())
}

/// W1, A7: what the backend does not advertise, it does not do: `watch_release` answers
/// `Unsupported` without `release_notify`, and `Acquired` carries no fencing token without
/// `fencing`. (With a capability advertised, its own cases check it.)
pub async fn unadvertised_capabilities_are_unsupported(cx: TestContext) -> CaseResult {
    let caps = cx.caps();
    let key = cx.key("caps")?;
    if !caps.release_notify {
        match cx.backend().watch_release(&key).await {
            Err(e) if e.kind() == BackendErrorKind::Unsupported => {}
            Err(e) => fail!(
                "watch_release without release_notify failed with {:?} instead of Unsupported: {e}",
                e.kind()
            ),
            Ok(_) => fail!("watch_release worked although release_notify is not advertised"),
        }
    }
    if !caps.fencing {
        let fencing = must_acquire(&cx, &key, &cx.token()?, cx.ms(10_000)).await?;
        check!(
            fencing.is_none(),
            "Acquired carried fencing token {fencing:?} although fencing is not advertised"
        );
    } else {
        match cx.backend().try_acquire(&cx.key("caps-f")?, &cx.token()?, cx.ms(10_000)).await? {
            AcquireOutcome::Acquired { fencing: Some(_) } => {}
            other => fail!("fencing is advertised but the acquire answered {other:?}"),
        }
    }
    Ok(())
}
