//! The harness shared by the storage suites: a fresh database per test, on
//! SQLite (a temporary file) and on PostgreSQL (a new database on the server
//! of `RG_TEST_POSTGRES_URL`, dropped afterwards), and the `conformance!`
//! macro that runs each test on both. Without the variable the PostgreSQL
//! half says SKIPPED loudly; under CI it fails instead.

use rightsguard_store::SqlStore;

pub struct Db {
    pub store: SqlStore,
    _dir: Option<tempfile::TempDir>,
    drop_pg: Option<(String, String)>,
}

impl Db {
    pub async fn sqlite() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("rg.sqlite").display());
        Db {
            store: SqlStore::connect(&url).await.unwrap(),
            _dir: Some(dir),
            drop_pg: None,
        }
    }

    pub async fn postgres() -> Option<Db> {
        let Ok(admin) = std::env::var("RG_TEST_POSTGRES_URL") else {
            if std::env::var_os("CI").is_some() {
                panic!(
                    "RG_TEST_POSTGRES_URL is not set under CI: PostgreSQL tests must not be skipped"
                );
            }
            eprintln!(
                "SKIPPED: PostgreSQL half of the storage suite — set RG_TEST_POSTGRES_URL (scripts/test does)"
            );
            return None;
        };
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let name = format!("rg_test_{}_{}", std::process::id(), unique());
        let mut conn = sqlx::AnyConnection::connect(&admin).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        let (base, _) = admin.rsplit_once('/').unwrap();
        let url = format!("{base}/{name}");
        Some(Db {
            store: SqlStore::connect(&url).await.unwrap(),
            _dir: None,
            drop_pg: Some((admin, name)),
        })
    }

    pub async fn finish(self) {
        self.store.close().await;
        if let Some((admin, name)) = self.drop_pg {
            use sqlx::Connection;
            let mut conn = sqlx::AnyConnection::connect(&admin).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name}"
            )))
            .execute(&mut conn)
            .await
            .unwrap();
        }
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = super::Db::sqlite().await;
                    super::$name(&db.store).await;
                    db.finish().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = super::Db::postgres().await else { return };
                    super::$name(&db.store).await;
                    db.finish().await;
                }
            )*
        }
    };
}
