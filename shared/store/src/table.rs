//! The one table definition: keys, global secondary indexes, TTL. Local setup, the tests and a
//! check against `infra/template.yaml` all read it from here.

use crate::error::classify;
use crate::{Store, StoreError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;

pub struct IndexSpec {
    pub name: &'static str,
    pub pk: &'static str,
    pub sk: &'static str,
    pub purpose: &'static str,
    pub projection: IndexProjection,
}

/// What an index copies of each item besides the keys. An index that copies less costs less
/// on every write of an item it holds (each copy is billed by its own size); its readers fetch
/// the items themselves from the table (`Store::hydrate`, one BatchGetItem per page).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexProjection {
    /// Every attribute: readers use the index items as they are.
    All,
    /// The keys, plus these attributes (what a filter expression on the index reads).
    Keys(&'static [&'static str]),
}

pub const BY_OWNER: IndexSpec = IndexSpec {
    name: "by_owner",
    pk: "GSI1PK",
    sk: "GSI1SK",
    purpose: "an account's packs and incidents, newest first",
    projection: IndexProjection::Keys(&["status"]),
};
pub const BY_STATUS: IndexSpec = IndexSpec {
    name: "by_status",
    pk: "GSI2PK",
    sk: "GSI2SK",
    purpose: "incidents and claims by status",
    projection: IndexProjection::Keys(&[]),
};
pub const AWAITING: IndexSpec = IndexSpec {
    name: "awaiting_response",
    pk: "AWAIT_PK",
    sk: "AWAIT_SK",
    purpose: "sparse: incidents whose SLA clock runs, sharded, by their next signal (warning, then deadline)",
    projection: IndexProjection::Keys(&[]),
};
pub const QUEUE: IndexSpec = IndexSpec {
    name: "queue",
    pk: "QUEUE_PK",
    sk: "QUEUE_SK",
    purpose: "sparse: the staff's work lists: `QUEUE`, incidents awaiting a first response by deadline (breached ones too); `CHARGE_PENDING`, closed incidents whose charge awaits a decision, by closure; `?owner=` filters on the owner key",
    projection: IndexProjection::Keys(&[BY_ASSIGNEE.pk]),
};
pub const ALL_INCIDENTS: IndexSpec = IndexSpec {
    name: "all_incidents",
    pk: "GSI4PK",
    sk: "GSI4SK",
    purpose: "every incident, newest first (staff); severity and SLA filters read what it projects",
    projection: IndexProjection::Keys(&["status", "severity", "sla"]),
};

/// Every incident under its owner (`ASSIGNEE#<account>`) or `UNASSIGNED`, newest first: staff
/// lists by owner; status, severity and SLA filters read what it projects.
pub const BY_ASSIGNEE: IndexSpec = IndexSpec {
    name: "by_assignee",
    pk: "ASSIGNEE_PK",
    sk: "ASSIGNEE_SK",
    purpose: "every incident by its owner (or unassigned), newest first (staff filters by owner)",
    projection: IndexProjection::Keys(&["status", "severity", "sla"]),
};

/// Sparse: an owner's open incidents (awaiting, in progress, or charge pending), earliest
/// deadline first. Exactly the incidents an engineer's `open_incidents` count holds.
pub const OWNED_OPEN: IndexSpec = IndexSpec {
    name: "owned_open",
    pk: "OWNED_PK",
    sk: "OWNED_SK",
    purpose: "sparse: an engineer's open incidents, earliest deadline first",
    projection: IndexProjection::Keys(&["status", "severity", "sla"]),
};

pub const BREACHES: IndexSpec = IndexSpec {
    name: "breaches",
    pk: "BREACH_PK",
    sk: "BREACH_SK",
    purpose: "sparse: breached incidents per deadline month (UTC), by deadline (SLA reports)",
    projection: IndexProjection::Keys(&[]),
};

pub const USABLE_PACKS: IndexSpec = IndexSpec {
    name: "usable_packs",
    pk: "USABLE_PK",
    sk: "USABLE_SK",
    purpose: "sparse: an account's paid packs that may have units left, soonest expiry first (the draw's choice)",
    projection: IndexProjection::All,
};

/// Every audit entry, newest first (`GET /audit` without actor or subject; `from`/`to` are a
/// range of its sort key). One partition: staff decisions arrive at a person's pace.
pub const AUDIT_LOG: IndexSpec = IndexSpec {
    name: "audit_log",
    pk: "AUDIT_LOG_PK",
    sk: "AUDIT_SK",
    purpose: "every audit entry by time (GET /audit)",
    projection: IndexProjection::All,
};

/// One actor's audit entries, newest first (`GET /audit?actor=`).
pub const AUDIT_BY_ACTOR: IndexSpec = IndexSpec {
    name: "audit_by_actor",
    pk: "AUDIT_ACTOR_PK",
    sk: "AUDIT_SK",
    purpose: "an actor's audit entries by time (GET /audit?actor=)",
    projection: IndexProjection::All,
};

pub const INDEXES: [&IndexSpec; 11] = [
    &BY_OWNER,
    &BY_STATUS,
    &AWAITING,
    &QUEUE,
    &ALL_INCIDENTS,
    &BREACHES,
    &USABLE_PACKS,
    &BY_ASSIGNEE,
    &OWNED_OPEN,
    &AUDIT_LOG,
    &AUDIT_BY_ACTOR,
];
pub const TTL_ATTRIBUTE: &str = "expires_ttl";
/// The table's stream feeds the notifier: old and new images, so a change can be told apart
/// from a creation (a pack turning active, a claim leaving pending).
pub const STREAM_VIEW: &str = "NEW_AND_OLD_IMAGES";

fn key(name: &str, kind: KeyType) -> Result<KeySchemaElement, StoreError> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .map_err(|e| StoreError::Other(e.to_string()))
}

fn attr(name: &str) -> Result<AttributeDefinition, StoreError> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .map_err(|e| StoreError::Other(e.to_string()))
}

fn projection(p: IndexProjection) -> Projection {
    match p {
        IndexProjection::All => Projection::builder()
            .projection_type(ProjectionType::All)
            .build(),
        IndexProjection::Keys([]) => Projection::builder()
            .projection_type(ProjectionType::KeysOnly)
            .build(),
        IndexProjection::Keys(attributes) => Projection::builder()
            .projection_type(ProjectionType::Include)
            .set_non_key_attributes(Some(attributes.iter().map(|a| a.to_string()).collect()))
            .build(),
    }
}

/// Creates the table (on demand, each index with its projection, with its stream) and turns on
/// TTL.
pub async fn create_table(client: &Client, name: &str) -> Result<(), StoreError> {
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(STREAM_VIEW))
                .build()
                .map_err(|e| StoreError::Other(e.to_string()))?,
        )
        .key_schema(key(crate::keys::PK, KeyType::Hash)?)
        .key_schema(key(crate::keys::SK, KeyType::Range)?)
        .attribute_definitions(attr(crate::keys::PK)?)
        .attribute_definitions(attr(crate::keys::SK)?);
    // An attribute is defined once, however many indexes key on it (the audit indexes share
    // their sort key).
    let mut defined = vec![crate::keys::PK, crate::keys::SK];
    for index in INDEXES {
        for a in [index.pk, index.sk] {
            if !defined.contains(&a) {
                defined.push(a);
                request = request.attribute_definitions(attr(a)?);
            }
        }
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(index.name)
                .key_schema(key(index.pk, KeyType::Hash)?)
                .key_schema(key(index.sk, KeyType::Range)?)
                .projection(projection(index.projection))
                .build()
                .map_err(|e| StoreError::Other(e.to_string()))?,
        );
    }
    request
        .send()
        .await
        .map_err(|e| classify("CreateTable", e))?;
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name(TTL_ATTRIBUTE)
                .enabled(true)
                .build()
                .map_err(|e| StoreError::Other(e.to_string()))?,
        )
        .send()
        .await
        .map_err(|e| classify("UpdateTimeToLive", e))?;
    Ok(())
}

/// Creates the table unless it exists.
pub async fn ensure_table(client: &Client, name: &str) -> Result<bool, StoreError> {
    match client.describe_table().table_name(name).send().await {
        Ok(_) => Ok(false),
        Err(e) => {
            let is_missing = e
                .as_service_error()
                .map(|s| s.is_resource_not_found_exception())
                .unwrap_or(false);
            if !is_missing {
                return Err(classify("DescribeTable", e));
            }
            create_table(client, name).await?;
            Ok(true)
        }
    }
}

/// Checks that the table exists with the store's keys and indexes; never creates or changes it
/// (the deployed table belongs to the stack). The error says what differs.
pub async fn check_table(client: &Client, name: &str) -> Result<(), StoreError> {
    let out = match client.describe_table().table_name(name).send().await {
        Ok(out) => out,
        Err(e) => {
            let is_missing = e
                .as_service_error()
                .map(|s| s.is_resource_not_found_exception())
                .unwrap_or(false);
            if is_missing {
                return Err(StoreError::Other(format!("table {name} does not exist")));
            }
            return Err(classify("DescribeTable", e));
        }
    };
    let table = out.table.ok_or_else(|| {
        StoreError::Other(format!("table {name}: DescribeTable returned nothing"))
    })?;
    let keys = |schema: &[KeySchemaElement]| -> Vec<(String, String)> {
        schema
            .iter()
            .map(|k| (k.attribute_name.clone(), k.key_type.as_str().to_string()))
            .collect()
    };
    let pair = |pk: &str, sk: &str| {
        vec![
            (pk.to_string(), "HASH".to_string()),
            (sk.to_string(), "RANGE".to_string()),
        ]
    };
    let mut problems = Vec::new();
    if keys(table.key_schema()) != pair(crate::keys::PK, crate::keys::SK) {
        problems.push(format!("its key schema is {:?}", keys(table.key_schema())));
    }
    for index in INDEXES {
        match table
            .global_secondary_indexes()
            .iter()
            .find(|g| g.index_name() == Some(index.name))
        {
            None => problems.push(format!("index {} is missing", index.name)),
            Some(g) if keys(g.key_schema()) != pair(index.pk, index.sk) => problems.push(format!(
                "index {} has keys {:?}",
                index.name,
                keys(g.key_schema())
            )),
            Some(_) => {}
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Other(format!(
            "table {name} is not the store's table: {}",
            problems.join("; ")
        )))
    }
}

impl Store {
    pub async fn delete_table(&self) -> Result<(), StoreError> {
        self.client
            .delete_table()
            .table_name(&self.table)
            .send()
            .await
            .map_err(|e| classify("DeleteTable", e))?;
        Ok(())
    }
}
