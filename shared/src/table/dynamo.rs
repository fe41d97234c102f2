//! The AWS adapter: DynamoDB through the official SDK, items mapped with serde_dynamo.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, ConditionCheck, Delete, KeySchemaElement,
    KeyType, KeysAndAttributes, Put, ScalarAttributeType, TimeToLiveSpecification,
    TransactWriteItem,
};
use serde_dynamo::aws_sdk_dynamodb_1::{from_item, to_attribute_value, to_item};

use super::{Condition, Item, Key, Op, Page, Table, TableError, TransactError};

type DynamoItem = HashMap<String, AttributeValue>;

#[derive(Clone)]
pub struct DynamoTable {
    client: Client,
    table_name: String,
}

fn backend<E: std::error::Error + Send + Sync + 'static>(e: E) -> TableError {
    TableError::Backend(anyhow::Error::new(e))
}

fn key_item(key: &Key) -> DynamoItem {
    HashMap::from([
        ("pk".to_owned(), AttributeValue::S(key.pk.clone())),
        ("sk".to_owned(), AttributeValue::S(key.sk.clone())),
    ])
}

fn to_dynamo(item: &Item) -> Result<DynamoItem, TableError> {
    to_item(item).map_err(|e| TableError::Invalid(e.to_string()))
}

fn from_dynamo(item: DynamoItem) -> Result<Item, TableError> {
    from_item(item).map_err(|e| TableError::Corrupt(e.into()))
}

/// A condition as a DynamoDB expression with its placeholder names and values.
struct Expression {
    text: String,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

fn expression(condition: &Condition) -> Result<Expression, TableError> {
    let (text, names, values) = match condition {
        Condition::NotExists => (
            "attribute_not_exists(pk)".to_owned(),
            HashMap::new(),
            HashMap::new(),
        ),
        Condition::Exists => (
            "attribute_exists(pk)".to_owned(),
            HashMap::new(),
            HashMap::new(),
        ),
        Condition::VersionIs(version) => (
            "#c = :c".to_owned(),
            HashMap::from([("#c".to_owned(), "version".to_owned())]),
            HashMap::from([(":c".to_owned(), AttributeValue::N(version.to_string()))]),
        ),
        Condition::AttributeEquals(name, value) => (
            "#c = :c".to_owned(),
            HashMap::from([("#c".to_owned(), name.clone())]),
            HashMap::from([(
                ":c".to_owned(),
                to_attribute_value(value).map_err(|e| TableError::Invalid(e.to_string()))?,
            )]),
        ),
    };
    Ok(Expression {
        text,
        names,
        values,
    })
}

impl DynamoTable {
    pub fn new(client: Client, table_name: impl Into<String>) -> Self {
        Self {
            client,
            table_name: table_name.into(),
        }
    }

    /// A client from the environment's AWS configuration (`AWS_ENDPOINT_URL` included).
    pub async fn from_env(table_name: impl Into<String>) -> Self {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(crate::aws::https_client())
            .load()
            .await;
        Self::new(Client::new(&config), table_name)
    }

    /// Creates the table as the SAM template declares it (used by tests and local tooling).
    pub async fn create_table(&self) -> Result<(), TableError> {
        let attribute = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(backend)
        };
        let key = |name: &str, kind: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
                .map_err(backend)
        };
        self.client
            .create_table()
            .table_name(&self.table_name)
            .attribute_definitions(attribute("pk")?)
            .attribute_definitions(attribute("sk")?)
            .key_schema(key("pk", KeyType::Hash)?)
            .key_schema(key("sk", KeyType::Range)?)
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await
            .map_err(|e| backend(e.into_service_error()))?;
        self.client
            .update_time_to_live()
            .table_name(&self.table_name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name("ttl")
                    .enabled(true)
                    .build()
                    .map_err(backend)?,
            )
            .send()
            .await
            .map_err(|e| backend(e.into_service_error()))?;
        Ok(())
    }

    fn write_item(&self, op: &Op) -> Result<TransactWriteItem, TableError> {
        let condition = op.condition().map(expression).transpose()?;
        let (text, names, values) = match condition {
            Some(c) => (
                Some(c.text),
                (!c.names.is_empty()).then_some(c.names),
                (!c.values.is_empty()).then_some(c.values),
            ),
            None => (None, None, None),
        };
        let write = match op {
            Op::Put { item, .. } => TransactWriteItem::builder().put(
                Put::builder()
                    .table_name(&self.table_name)
                    .set_item(Some(to_dynamo(item)?))
                    .set_condition_expression(text)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .build()
                    .map_err(backend)?,
            ),
            Op::Delete { key, .. } => TransactWriteItem::builder().delete(
                Delete::builder()
                    .table_name(&self.table_name)
                    .set_key(Some(key_item(key)))
                    .set_condition_expression(text)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .build()
                    .map_err(backend)?,
            ),
            Op::Check { key, .. } => TransactWriteItem::builder().condition_check(
                ConditionCheck::builder()
                    .table_name(&self.table_name)
                    .set_key(Some(key_item(key)))
                    .set_condition_expression(text)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .build()
                    .map_err(backend)?,
            ),
        };
        Ok(write.build())
    }
}

#[async_trait]
impl Table for DynamoTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table_name)
            .set_key(Some(key_item(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| backend(e.into_service_error()))?;
        output.item.map(from_dynamo).transpose()
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, TableError> {
        super::validate_batch(keys)?;
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut found: HashMap<Key, Item> = HashMap::new();
        let mut pending = Some(
            KeysAndAttributes::builder()
                .set_keys(Some(keys.iter().map(key_item).collect()))
                .consistent_read(true)
                .build()
                .map_err(backend)?,
        );
        let mut attempt = 0u32;
        while let Some(request) = pending.take() {
            let output = self
                .client
                .batch_get_item()
                .request_items(&self.table_name, request)
                .send()
                .await
                .map_err(|e| backend(e.into_service_error()))?;
            for raw in output
                .responses
                .unwrap_or_default()
                .remove(&self.table_name)
                .unwrap_or_default()
            {
                let item = from_dynamo(raw)?;
                let key = Key::of(&item)
                    .ok_or_else(|| TableError::Corrupt(anyhow::anyhow!("item without key")))?;
                found.insert(key, item);
            }
            // Unprocessed keys come back under throttling; retry them with a short backoff.
            pending = output
                .unprocessed_keys
                .and_then(|mut u| u.remove(&self.table_name))
                .filter(|k| !k.keys.is_empty());
            if pending.is_some() {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(25 * u64::from(attempt.min(8)))).await;
            }
        }
        Ok(keys.iter().map(|k| found.remove(k)).collect())
    }

    async fn query(
        &self,
        pk: &str,
        sk_prefix: &str,
        after: Option<&Key>,
        limit: usize,
    ) -> Result<Page, TableError> {
        self.query_in_order(pk, sk_prefix, after, limit, true).await
    }

    async fn query_backward(
        &self,
        pk: &str,
        sk_prefix: &str,
        before: Option<&Key>,
        limit: usize,
    ) -> Result<Page, TableError> {
        self.query_in_order(pk, sk_prefix, before, limit, false)
            .await
    }

    async fn transact(&self, ops: Vec<Op>) -> Result<(), TransactError> {
        super::validate_transaction(&ops)?;
        let writes = ops
            .iter()
            .map(|op| self.write_item(op))
            .collect::<Result<Vec<_>, _>>()?;
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(writes))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(service)) => match service.into_err() {
                TransactWriteItemsError::TransactionCanceledException(cancelled) => {
                    let reasons = cancelled.cancellation_reasons();
                    // The reasons come in the order of the operations.
                    if let Some(key) = reasons
                        .iter()
                        .position(|r| r.code() == Some("ConditionalCheckFailed"))
                        .and_then(|index| ops.get(index))
                        .and_then(Op::key)
                    {
                        return Err(TransactError::ConditionFailed { key });
                    }
                    if reasons
                        .iter()
                        .any(|r| r.code() == Some("TransactionConflict"))
                    {
                        return Err(TransactError::Conflict);
                    }
                    Err(TransactError::Table(backend(cancelled)))
                }
                other => Err(TransactError::Table(backend(other))),
            },
            Err(other) => Err(TransactError::Table(backend(other))),
        }
    }
}

impl DynamoTable {
    /// One page of a partition, in `sk` order (`forward`) or against it, after `start`.
    async fn query_in_order(
        &self,
        pk: &str,
        sk_prefix: &str,
        start: Option<&Key>,
        limit: usize,
        forward: bool,
    ) -> Result<Page, TableError> {
        super::validate_limit(limit)?;
        let mut values = HashMap::from([(":pk".to_owned(), AttributeValue::S(pk.to_owned()))]);
        let condition = if sk_prefix.is_empty() {
            "pk = :pk"
        } else {
            values.insert(":p".to_owned(), AttributeValue::S(sk_prefix.to_owned()));
            "pk = :pk AND begins_with(sk, :p)"
        };
        // Ask for one more than the page, so `next` is set only when more items really follow.
        let wanted = limit + 1;
        let mut items = Vec::new();
        let mut start = start.map(key_item);
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table_name)
                .key_condition_expression(condition)
                .set_expression_attribute_values(Some(values.clone()))
                .consistent_read(true)
                .scan_index_forward(forward)
                .limit(i32::try_from(wanted - items.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| backend(e.into_service_error()))?;
            for raw in output.items.unwrap_or_default() {
                items.push(from_dynamo(raw)?);
            }
            start = output.last_evaluated_key;
            if items.len() >= wanted || start.is_none() {
                break;
            }
        }
        let more = items.len() > limit;
        items.truncate(limit);
        let next = if more {
            items.last().and_then(Key::of)
        } else {
            None
        };
        Ok(Page { items, next })
    }
}
