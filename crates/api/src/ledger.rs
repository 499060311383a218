//! The engine's `Ledger`, kept in the store: what each environment created, recorded before
//! it is created.

use stagecraft_engine::{Ledger, RuntimeError, RuntimeObject};
use stagecraft_store::{Store, ledger};

type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

#[derive(Debug, Clone)]
pub(crate) struct StoreLedger {
    pub store: Store,
    pub environment_id: i64,
}

fn failed(error: stagecraft_store::StoreError) -> RuntimeError {
    RuntimeError::new(format!("the ledger could not be written: {error}"))
}

impl Ledger for StoreLedger {
    fn record<'a>(&'a self, object: &'a RuntimeObject) -> BoxFuture<'a, Result<(), RuntimeError>> {
        Box::pin(async move {
            ledger::record(
                self.store.pool(),
                self.environment_id,
                &object.kind,
                &object.name,
            )
            .await
            .map_err(failed)
        })
    }

    fn removed<'a>(&'a self, object: &'a RuntimeObject) -> BoxFuture<'a, Result<(), RuntimeError>> {
        Box::pin(async move {
            ledger::mark_removed(
                self.store.pool(),
                self.environment_id,
                &object.kind,
                &object.name,
            )
            .await
            .map_err(failed)
        })
    }

    fn entries(&self) -> BoxFuture<'_, Result<Vec<RuntimeObject>, RuntimeError>> {
        Box::pin(async move {
            let live = ledger::live(self.store.pool(), self.environment_id)
                .await
                .map_err(failed)?;
            Ok(live
                .into_iter()
                .map(|e| RuntimeObject {
                    kind: e.kind,
                    name: e.name,
                })
                .collect())
        })
    }
}
