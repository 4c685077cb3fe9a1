//! The model checked against Redis (issue 23): the same random sequences of primitive backend
//! calls, every kind, sent to `MemoryBackend` and to each client's backend on a real
//! `redis-server`, get the same answers (see `lock_testkit::differential`). `DIFF_SEED=<seed>`
//! replays one sequence; `DIFF_OPS=<n>` sets the calls per sequence; `DIFF_DEBUG=1` prints every
//! call with both answers and the name's holder in each store after it.

use lock_client_tests::{Client, client_tests};
use lock_core::{DynLockBackend, MemoryBackend};
use lock_testkit::differential::compare;

client_tests! {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)] memory_and_redis_answer_alike,
}

fn env(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

async fn memory_and_redis_answer_alike<C: Client>() {
    let Some(url) = lock_testkit::server::standalone_url() else { return };
    let real = C::connect(&url).await.expect("connect");
    let real: &DynLockBackend = &real;
    let seeds: Vec<u64> = match env("DIFF_SEED") {
        Some(seed) => vec![seed],
        // Ten sequences (about 10,000 calls per kind), and the seeds that found a divergence
        // once, kept as regression cases (see SAFETY.md, "The model checked against Redis").
        None => (1..=10).chain([11, 15, 20]).collect(),
    };
    let ops = env("DIFF_OPS").unwrap_or(7_000) as usize;
    let mut total = std::collections::BTreeMap::new();
    for seed in seeds {
        let model = MemoryBackend::new();
        match compare(seed, ops, &model, real).await {
            Ok(report) => {
                for (kind, n) in report.calls {
                    *total.entry(kind).or_insert(0) += n;
                }
            }
            Err(divergence) => panic!("{}: {divergence}", C::NAME),
        }
    }
    println!("{}: calls per kind {total:?}", C::NAME);
}
