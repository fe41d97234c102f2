//! The `Table` contract, run against both adapters: the embedded store and DynamoDB Local through
//! the real AWS SDK. What one adapter does, the other must do too.

use std::sync::Arc;

use serde_json::{Value, json};
use usher_core::table::{
    Condition, EmbeddedTable, Item, Key, Op, Table, TableError, TransactError, batch_get_all,
};
use usher_tests::fresh_dynamo_table;

fn item(pk: &str, sk: &str, extra: Value) -> Item {
    let mut item = extra.as_object().cloned().unwrap_or_default();
    item.insert("pk".into(), pk.into());
    item.insert("sk".into(), sk.into());
    item
}

async fn put(table: &dyn Table, item: Item) {
    table.transact(vec![Op::put(item)]).await.unwrap();
}

async fn items_round_trip_with_their_types(table: Arc<dyn Table>) {
    let stored = item(
        "P",
        "S",
        json!({
            "text": "Zoë — ünïcödé ✓", "empty": "", "int": 42, "big": 1_700_000_000_123u64, "negative": -7,
            "float": 2.5, "flag": true, "nothing": null, "list": [1, "two", {"three": 3}], "map": {"a": {"b": [true]}},
            "ttl": 1_900_000_000
        }),
    );
    put(table.as_ref(), stored.clone()).await;
    assert_eq!(table.get(&Key::new("P", "S")).await.unwrap(), Some(stored));
    assert_eq!(table.get(&Key::new("P", "missing")).await.unwrap(), None);
}

async fn batch_get_answers_in_the_order_asked(table: Arc<dyn Table>) {
    for i in 0..3 {
        put(table.as_ref(), item("B", &format!("{i}"), json!({"n": i}))).await;
    }
    let keys = [
        Key::new("B", "2"),
        Key::new("B", "nope"),
        Key::new("B", "0"),
    ];
    let found = table.batch_get(&keys).await.unwrap();
    assert_eq!(found.len(), 3);
    assert_eq!(found[0].as_ref().unwrap()["n"], 2);
    assert!(found[1].is_none());
    assert_eq!(found[2].as_ref().unwrap()["n"], 0);
    assert!(table.batch_get(&[]).await.unwrap().is_empty());
    assert!(matches!(
        table
            .batch_get(&[Key::new("B", "0"), Key::new("B", "0")])
            .await,
        Err(TableError::Invalid(_))
    ));
    let many: Vec<Key> = (0..101).map(|i| Key::new("B", format!("k{i}"))).collect();
    assert!(matches!(
        table.batch_get(&many).await,
        Err(TableError::Invalid(_))
    ));
}

/// Past 100 keys, `batch_get_all` reads in batches and still answers in the order asked.
async fn reads_of_any_size_answer_in_the_order_asked(table: Arc<dyn Table>) {
    for i in (0..250).step_by(3) {
        put(table.as_ref(), item("A", &format!("k{i}"), json!({"n": i}))).await;
    }
    let keys: Vec<Key> = (0..250)
        .rev()
        .map(|i| Key::new("A", format!("k{i}")))
        .collect();
    let found = batch_get_all(table.as_ref(), &keys).await.unwrap();
    assert_eq!(found.len(), 250);
    for (key, item) in keys.iter().zip(&found) {
        let i: u64 = key.sk[1..].parse().unwrap();
        match item {
            Some(item) => assert_eq!(item["n"], i, "{key:?}"),
            None => assert_ne!(i % 3, 0, "{key:?} was written"),
        }
    }
    assert!(batch_get_all(table.as_ref(), &[]).await.unwrap().is_empty());
}

async fn queries_stay_in_their_partition_and_prefix_and_page_exactly(table: Arc<dyn Table>) {
    for sk in [
        "MEMBER#a", "MEMBER#b", "MEMBER#c", "MEMBER#d", "MEMBER#e", "EVENT#1", "TENANT",
    ] {
        put(table.as_ref(), item("Q", sk, json!({}))).await;
    }
    put(table.as_ref(), item("Q2", "MEMBER#z", json!({}))).await;
    put(table.as_ref(), item("Qx", "MEMBER#y", json!({}))).await;

    let sks = |items: &[Item]| {
        items
            .iter()
            .map(|i| i["sk"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let all = table.query("Q", "MEMBER#", None, 10).await.unwrap();
    assert_eq!(
        sks(&all.items),
        ["MEMBER#a", "MEMBER#b", "MEMBER#c", "MEMBER#d", "MEMBER#e"]
    );
    assert_eq!(all.next, None, "no next when nothing follows");

    let first = table.query("Q", "MEMBER#", None, 2).await.unwrap();
    assert_eq!(sks(&first.items), ["MEMBER#a", "MEMBER#b"]);
    let second = table
        .query("Q", "MEMBER#", first.next.as_ref(), 2)
        .await
        .unwrap();
    assert_eq!(sks(&second.items), ["MEMBER#c", "MEMBER#d"]);
    let third = table
        .query("Q", "MEMBER#", second.next.as_ref(), 2)
        .await
        .unwrap();
    assert_eq!(sks(&third.items), ["MEMBER#e"]);
    assert_eq!(third.next, None);

    // A page that ends exactly at the last item says so.
    let exact = table.query("Q", "MEMBER#", None, 5).await.unwrap();
    assert_eq!(exact.items.len(), 5);
    assert_eq!(exact.next, None);

    let whole = table.query("Q", "", None, 100).await.unwrap();
    assert_eq!(
        sks(&whole.items),
        [
            "EVENT#1", "MEMBER#a", "MEMBER#b", "MEMBER#c", "MEMBER#d", "MEMBER#e", "TENANT"
        ]
    );
    assert!(
        table
            .query("nothing", "", None, 10)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert!(matches!(
        table.query("Q", "", None, 0).await,
        Err(TableError::Invalid(_))
    ));
}

async fn backward_queries_walk_newest_first_within_their_prefix(table: Arc<dyn Table>) {
    // Neighbours on both sides of the prefix, in this partition and the next ones.
    for sk in [
        "INVITE#01",
        "INVITE#02",
        "INVITE#03",
        "INVITE#04",
        "INVITEFOR#x",
        "INVITD",
        "MEMBER#a",
    ] {
        put(table.as_ref(), item("R", sk, json!({}))).await;
    }
    put(table.as_ref(), item("R\u{0}", "INVITE#99", json!({}))).await;
    put(table.as_ref(), item("R2", "INVITE#98", json!({}))).await;
    let sks = |items: &[Item]| {
        items
            .iter()
            .map(|i| i["sk"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let first = table.query_backward("R", "INVITE#", None, 3).await.unwrap();
    assert_eq!(sks(&first.items), ["INVITE#04", "INVITE#03", "INVITE#02"]);
    let second = table
        .query_backward("R", "INVITE#", first.next.as_ref(), 3)
        .await
        .unwrap();
    assert_eq!(sks(&second.items), ["INVITE#01"]);
    assert_eq!(second.next, None);
    let exact = table.query_backward("R", "INVITE#", None, 4).await.unwrap();
    assert_eq!(exact.items.len(), 4);
    assert_eq!(exact.next, None, "a page ending at the last item says so");
    let whole = table.query_backward("R", "", None, 100).await.unwrap();
    assert_eq!(
        sks(&whole.items),
        [
            "MEMBER#a",
            "INVITEFOR#x",
            "INVITE#04",
            "INVITE#03",
            "INVITE#02",
            "INVITE#01",
            "INVITD"
        ]
    );
    assert!(
        table
            .query_backward("nothing", "", None, 10)
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

async fn a_failed_condition_writes_nothing_and_names_its_operation(table: Arc<dyn Table>) {
    put(
        table.as_ref(),
        item("T", "existing", json!({"version": 3, "owner": "a"})),
    )
    .await;
    let result = table
        .transact(vec![
            Op::put_if(item("T", "new-1", json!({})), Condition::NotExists),
            Op::put(item("T", "new-2", json!({}))),
            Op::put_if(
                item("T", "existing", json!({"version": 4})),
                Condition::NotExists,
            ),
        ])
        .await;
    assert!(
        matches!(&result, Err(e) if e.failed_on(&Key::new("T", "existing"))),
        "{result:?}"
    );
    assert!(table.get(&Key::new("T", "new-1")).await.unwrap().is_none());
    assert!(table.get(&Key::new("T", "new-2")).await.unwrap().is_none());
    assert_eq!(
        table
            .get(&Key::new("T", "existing"))
            .await
            .unwrap()
            .unwrap()["version"],
        3
    );
}

async fn every_condition_kind_holds_or_fails_as_specified(table: Arc<dyn Table>) {
    put(
        table.as_ref(),
        item("C", "x", json!({"version": 7, "owner": "tenant-a"})),
    )
    .await;
    let key = Key::new("C", "x");
    let check = |condition| table.transact(vec![Op::check(key.clone(), condition)]);
    assert!(check(Condition::Exists).await.is_ok());
    assert!(matches!(
        check(Condition::NotExists).await,
        Err(TransactError::ConditionFailed { key: failed }) if failed == key
    ));
    assert!(check(Condition::VersionIs(7)).await.is_ok());
    assert!(matches!(
        check(Condition::VersionIs(6)).await,
        Err(TransactError::ConditionFailed { .. })
    ));
    assert!(
        check(Condition::AttributeEquals(
            "owner".into(),
            json!("tenant-a")
        ))
        .await
        .is_ok()
    );
    assert!(matches!(
        check(Condition::AttributeEquals(
            "owner".into(),
            json!("tenant-b")
        ))
        .await,
        Err(TransactError::ConditionFailed { .. })
    ));
    let missing = Key::new("C", "missing");
    let on_missing = |condition| table.transact(vec![Op::check(missing.clone(), condition)]);
    assert!(on_missing(Condition::NotExists).await.is_ok());
    assert!(on_missing(Condition::Exists).await.is_err());
    assert!(on_missing(Condition::VersionIs(0)).await.is_err());
    assert!(
        on_missing(Condition::AttributeEquals(
            "owner".into(),
            json!("tenant-a")
        ))
        .await
        .is_err()
    );

    // Optimistic update, then a conditional delete.
    table
        .transact(vec![Op::put_if(
            item("C", "x", json!({"version": 8, "owner": "tenant-a"})),
            Condition::VersionIs(7),
        )])
        .await
        .unwrap();
    assert!(
        table
            .transact(vec![Op::delete_if(key.clone(), Condition::VersionIs(7))])
            .await
            .is_err()
    );
    table
        .transact(vec![Op::delete_if(key.clone(), Condition::VersionIs(8))])
        .await
        .unwrap();
    assert!(table.get(&key).await.unwrap().is_none());
    // An unconditional delete of nothing is fine.
    table.transact(vec![Op::delete(key)]).await.unwrap();
}

async fn malformed_transactions_are_refused_whole(table: Arc<dyn Table>) {
    let twice = table
        .transact(vec![
            Op::put(item("M", "a", json!({}))),
            Op::delete(Key::new("M", "a")),
        ])
        .await;
    assert!(
        matches!(twice, Err(TransactError::Table(TableError::Invalid(_)))),
        "{twice:?}"
    );
    assert!(matches!(
        table.transact(vec![]).await,
        Err(TransactError::Table(TableError::Invalid(_)))
    ));
    let too_many: Vec<Op> = (0..101)
        .map(|i| Op::put(item("M", &format!("{i}"), json!({}))))
        .collect();
    assert!(matches!(
        table.transact(too_many).await,
        Err(TransactError::Table(TableError::Invalid(_)))
    ));
    assert!(
        table
            .query("M", "", None, 10)
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

async fn of_many_concurrent_claims_exactly_one_wins(table: Arc<dyn Table>) {
    let claims = (0..25).map(|i| {
        let table = table.clone();
        async move {
            table
                .transact(vec![Op::put_if(
                    item("RACE", "token", json!({"winner": i})),
                    Condition::NotExists,
                )])
                .await
        }
    });
    let results = futures::future::join_all(claims).await;
    let wins = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(wins, 1, "{results:?}");
    assert!(results.iter().all(|r| matches!(
        r,
        Ok(()) | Err(TransactError::ConditionFailed { .. } | TransactError::Conflict)
    )));

    put(
        table.as_ref(),
        item("RACE", "versioned", json!({"version": 1})),
    )
    .await;
    let bumps = (0..25).map(|i| {
        let table = table.clone();
        async move {
            table
                .transact(vec![Op::put_if(
                    item("RACE", "versioned", json!({"version": 2, "by": i})),
                    Condition::VersionIs(1),
                )])
                .await
        }
    });
    let results = futures::future::join_all(bumps).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
}

macro_rules! contract {
    ($($case:ident),* $(,)?) => {
        mod embedded {
            use super::*;
            $(
                #[tokio::test]
                async fn $case() {
                    let dir = tempfile::tempdir().unwrap();
                    let table = Arc::new(EmbeddedTable::open(&dir.path().join("t.redb")).unwrap());
                    super::$case(table).await;
                }
            )*
        }
        mod dynamodb {
            use super::*;
            $(
                #[tokio::test]
                async fn $case() {
                    super::$case(Arc::new(fresh_dynamo_table().await)).await;
                }
            )*
        }
    };
}

contract!(
    items_round_trip_with_their_types,
    batch_get_answers_in_the_order_asked,
    reads_of_any_size_answer_in_the_order_asked,
    queries_stay_in_their_partition_and_prefix_and_page_exactly,
    backward_queries_walk_newest_first_within_their_prefix,
    a_failed_condition_writes_nothing_and_names_its_operation,
    every_condition_kind_holds_or_fails_as_specified,
    malformed_transactions_are_refused_whole,
    of_many_concurrent_claims_exactly_one_wins,
);

#[test]
fn a_data_file_in_use_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.redb");
    let _held = EmbeddedTable::open(&path).unwrap();
    let started = std::time::Instant::now();
    let error = EmbeddedTable::open(&path)
        .err()
        .expect("a second open fails");
    assert!(error.to_string().contains("in use"), "{error}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "no waiting for the lock"
    );
}
