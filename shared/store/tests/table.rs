//! `table::check_table`, what `local-setup --no-create` relies on before seeding a deployed
//! table: the store's own table passes; a missing table and a table with other keys are refused
//! with the difference named, and nothing is created. Needs the local DynamoDB-compatible server.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use store::table::check_table;
use store::testkit::fresh_store;

#[tokio::test]
async fn the_stores_own_table_passes_the_check() {
    let store = fresh_store().await.expect("fresh table");
    check_table(store.client(), store.table_name())
        .await
        .expect("the store's table is the store's table");
    store.delete_table().await.expect("cleanup");
}

#[tokio::test]
async fn a_missing_table_is_refused_and_not_created() {
    let client = store::client_from_env().await;
    let name = store::ids::new_id("missing");
    let err = check_table(&client, &name)
        .await
        .expect_err("no such table");
    assert!(err.to_string().contains("does not exist"), "{err}");
    let described = client.describe_table().table_name(&name).send().await;
    assert!(described.is_err(), "the check created {name}");
}

#[tokio::test]
async fn a_table_with_other_keys_and_no_indexes_is_refused_naming_the_differences() {
    let client = store::client_from_env().await;
    let name = store::ids::new_id("other");
    let attr = AttributeDefinition::builder()
        .attribute_name("id")
        .attribute_type(ScalarAttributeType::S)
        .build()
        .expect("attribute");
    let key = KeySchemaElement::builder()
        .attribute_name("id")
        .key_type(KeyType::Hash)
        .build()
        .expect("key");
    client
        .create_table()
        .table_name(&name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr)
        .key_schema(key)
        .send()
        .await
        .expect("create a foreign table");
    let err = check_table(&client, &name)
        .await
        .expect_err("not the store's table");
    let text = err.to_string();
    assert!(text.contains("key schema"), "{text}");
    for index in store::table::INDEXES {
        assert!(
            text.contains(&format!("index {} is missing", index.name)),
            "{text}"
        );
    }
    client
        .delete_table()
        .table_name(&name)
        .send()
        .await
        .expect("cleanup");
}
