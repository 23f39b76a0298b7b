//! The deployable infrastructure agrees with the code: `infra/template.yaml` declares the table
//! exactly as `store::table` creates it, routes every path to the same function as the local
//! router in the root `Cargo.toml`, and `infra/openapi.yaml` documents every one of those routes.
//! Plain file reading, no stack needed. The YAML files are parsed by serde_yaml (the template's
//! short-form tags become CloudFormation's long form, `!Ref Table` is `{"Ref": "Table"}`), the
//! manifests (the router table, each function's package) by toml.

use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the e2e crate lives one level below the workspace root")
        .to_path_buf()
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(root().join(relative))
        .unwrap_or_else(|e| panic!("cannot read {relative}: {e}"))
}

// ---------------------------------------------------------------------------------------------
// The parsed files. YAML comes back as serde_json values; a CloudFormation short-form tag
// becomes the long form the service reads it as: `!Ref X` is {"Ref": "X"}, `!Condition X` is
// {"Condition": "X"}, `!GetAtt A.Arn` is {"Fn::GetAtt": ["A", "Arn"]}, `!Sub "…"` is
// {"Fn::Sub": "…"}, `!If [C, a, b]` is {"Fn::If": ["C", a, b]} and so on. A quoted '!Ref X'
// stays the plain string it is.

/// The intrinsic functions written `!Name` for `Fn::Name`.
const FUNCTION_TAGS: [&str; 17] = [
    "And",
    "Base64",
    "Cidr",
    "Equals",
    "FindInMap",
    "GetAZs",
    "GetAtt",
    "If",
    "ImportValue",
    "Join",
    "Length",
    "Not",
    "Or",
    "Select",
    "Split",
    "Sub",
    "ToJsonString",
];

fn json_of(yaml: serde_yaml::Value) -> Value {
    use serde_yaml::Value as Yaml;
    match yaml {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(b),
        Yaml::Number(n) => {
            if let Some(u) = n.as_u64() {
                u.into()
            } else if let Some(i) = n.as_i64() {
                i.into()
            } else {
                let f = n.as_f64().expect("a YAML number is an integer or a float");
                serde_json::Number::from_f64(f)
                    .map(Value::Number)
                    .unwrap_or_else(|| panic!("{f} has no JSON form"))
            }
        }
        Yaml::String(s) => Value::String(s),
        Yaml::Sequence(items) => Value::Array(items.into_iter().map(json_of).collect()),
        Yaml::Mapping(entries) => {
            let mut map = Map::new();
            for (key, value) in entries {
                let key = match key {
                    Yaml::String(s) => s,
                    Yaml::Number(n) => n.to_string(),
                    Yaml::Bool(b) => b.to_string(),
                    other => panic!("a mapping key that is not a scalar: {other:?}"),
                };
                let previous = map.insert(key.clone(), json_of(value));
                assert!(previous.is_none(), "the key {key:?} appears twice");
            }
            Value::Object(map)
        }
        Yaml::Tagged(tagged) => intrinsic(*tagged),
    }
}

/// A short-form tag in its long form (`!GetAtt A.Arn` split at the first dot, as CloudFormation
/// does); an unknown tag is refused rather than read as something else.
fn intrinsic(tagged: serde_yaml::value::TaggedValue) -> Value {
    let tag = tagged.tag.to_string();
    let name = tag.strip_prefix('!').unwrap_or(&tag);
    let value = json_of(tagged.value);
    let (key, value) = match name {
        "Ref" | "Condition" => (name.to_string(), value),
        "GetAtt" => {
            let value = match value {
                Value::String(s) => {
                    let (resource, attribute) = s
                        .split_once('.')
                        .unwrap_or_else(|| panic!("!GetAtt {s} names no attribute"));
                    serde_json::json!([resource, attribute])
                }
                other => other,
            };
            ("Fn::GetAtt".to_string(), value)
        }
        n if FUNCTION_TAGS.contains(&n) => (format!("Fn::{n}"), value),
        other => panic!("unknown tag !{other}: add it to FUNCTION_TAGS if CloudFormation has it"),
    };
    Value::Object(Map::from_iter([(key, value)]))
}

fn parse_yaml(text: &str) -> Value {
    let yaml: serde_yaml::Value =
        serde_yaml::from_str(text).unwrap_or_else(|e| panic!("not valid YAML: {e}"));
    json_of(yaml)
}

/// `{"Ref": name}`, as `!Ref name` reads.
fn reference(name: &str) -> Value {
    serde_json::json!({ "Ref": name })
}

fn parse_toml(text: &str, what: &str) -> toml::Table {
    text.parse()
        .unwrap_or_else(|e| panic!("{what} is not valid TOML: {e}"))
}

fn toml_at<'a>(table: &'a toml::Table, path: &[&str], what: &str) -> &'a toml::Value {
    let (first, rest) = path.split_first().expect("a non-empty path");
    rest.iter().fold(
        table
            .get(*first)
            .unwrap_or_else(|| panic!("{what} has no {first:?} (looking for {path:?})")),
        |v, key| {
            v.get(key)
                .unwrap_or_else(|| panic!("{what} has no {key:?} (looking for {path:?})"))
        },
    )
}

fn at<'a>(value: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(value, |v, key| {
        v.get(key)
            .unwrap_or_else(|| panic!("the document has no {key:?} (looking for {path:?})"))
    })
}

fn text(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("expected a string, found {value}"))
}

// ---------------------------------------------------------------------------------------------
// The routes, as each side declares them: (METHOD, path) -> function (cargo package name).

type Routes = BTreeMap<(String, String), String>;

/// `[workspace.metadata.lambda.watch.router]` of the root Cargo.toml:
/// `"/path" = [{ method = "GET", function = "intake" }, …]`.
fn router_routes(cargo_toml: &str) -> Routes {
    let manifest = parse_toml(cargo_toml, "Cargo.toml");
    let router = toml_at(
        &manifest,
        &["workspace", "metadata", "lambda", "watch", "router"],
        "Cargo.toml",
    )
    .as_table()
    .expect("the router is a table");
    let mut routes = Routes::new();
    for (path, entries) in router {
        let entries = entries
            .as_array()
            .unwrap_or_else(|| panic!("router entry {path} is not a list"));
        assert!(!entries.is_empty(), "router entry {path} names no route");
        for entry in entries {
            let field = |name: &str| entry.get(name).and_then(toml::Value::as_str);
            let (Some(method), Some(function)) = (field("method"), field("function")) else {
                panic!("router entry of {path} without method or function: {entry}");
            };
            let previous =
                routes.insert((method.to_uppercase(), path.clone()), function.to_string());
            assert!(
                previous.is_none(),
                "router lists {path} twice for one method"
            );
        }
    }
    routes
}

struct TemplateRoutes {
    routes: Routes,
    /// Functions serving the `$default` route (an HttpApi event without Path and Method).
    default_route: Vec<String>,
}

/// Every `HttpApi` event of every `AWS::Serverless::Function`, keyed to the binary it builds.
fn template_routes(template: &Value) -> TemplateRoutes {
    let mut routes = Routes::new();
    let mut default_route = Vec::new();
    let resources = at(template, &["Resources"])
        .as_object()
        .expect("Resources is a mapping");
    for (name, resource) in resources {
        if resource.get("Type").and_then(Value::as_str) != Some("AWS::Serverless::Function") {
            continue;
        }
        let binary = text(at(resource, &["Metadata", "BuildProperties", "Binary"])).to_string();
        let Some(events) = resource
            .get("Properties")
            .and_then(|p| p.get("Events"))
            .and_then(Value::as_object)
        else {
            continue;
        };
        for (event_name, event) in events {
            if event.get("Type").and_then(Value::as_str) != Some("HttpApi") {
                continue;
            }
            let props = event.get("Properties");
            let path = props.and_then(|p| p.get("Path")).and_then(Value::as_str);
            let method = props.and_then(|p| p.get("Method")).and_then(Value::as_str);
            match (path, method) {
                (Some(path), Some(method)) => {
                    let previous =
                        routes.insert((method.to_uppercase(), path.to_string()), binary.clone());
                    assert!(
                        previous.is_none(),
                        "{name}.{event_name}: {method} {path} is routed twice"
                    );
                }
                (None, None) => default_route.push(binary.clone()),
                _ => panic!("{name}.{event_name} has a Path or a Method but not both"),
            }
        }
    }
    TemplateRoutes {
        routes,
        default_route,
    }
}

fn differences(expected: &Routes, actual: &Routes) -> Vec<String> {
    let mut out = Vec::new();
    for (key, function) in expected {
        match actual.get(key) {
            None => out.push(format!(
                "{} {} is missing (router: {function})",
                key.0, key.1
            )),
            Some(other) if other != function => out.push(format!(
                "{} {} goes to {other}, the router says {function}",
                key.0, key.1
            )),
            _ => {}
        }
    }
    for (key, function) in actual {
        if !expected.contains_key(key) {
            out.push(format!(
                "{} {} -> {function} is not in the router",
                key.0, key.1
            ));
        }
    }
    out
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// `paths:` of the OpenAPI document: each (METHOD, path) and its operation object.
fn openapi_paths(openapi: &str) -> Vec<((String, String), Value)> {
    let document = parse_yaml(openapi);
    let paths = at(&document, &["paths"])
        .as_object()
        .expect("paths is a mapping");
    let mut out = Vec::new();
    for (path, item) in paths {
        let item = item
            .as_object()
            .unwrap_or_else(|| panic!("path {path} is not a mapping"));
        for (method, operation) in item {
            if METHODS.contains(&method.as_str()) {
                out.push(((method.to_uppercase(), path.clone()), operation.clone()));
            }
        }
    }
    out
}

fn openapi_operations(openapi: &str) -> BTreeSet<(String, String)> {
    openapi_paths(openapi)
        .into_iter()
        .map(|(key, _)| key)
        .collect()
}

fn template() -> Value {
    parse_yaml(&read("infra/template.yaml"))
}

// ---------------------------------------------------------------------------------------------
// The table

fn key_schema(value: &Value) -> Vec<(String, String)> {
    value
        .as_array()
        .expect("KeySchema is a list")
        .iter()
        .map(|k| {
            (
                text(at(k, &["AttributeName"])).to_string(),
                text(at(k, &["KeyType"])).to_string(),
            )
        })
        .collect()
}

fn pair(hash: &str, range: &str) -> Vec<(String, String)> {
    vec![
        (hash.to_string(), "HASH".to_string()),
        (range.to_string(), "RANGE".to_string()),
    ]
}

#[test]
fn the_template_table_has_the_key_schema_and_attributes_the_store_uses() {
    let t = template();
    let table = at(&t, &["Resources", "Table"]);
    assert_eq!(text(at(table, &["Type"])), "AWS::DynamoDB::Table");
    let props = at(table, &["Properties"]);
    assert_eq!(
        key_schema(at(props, &["KeySchema"])),
        pair(store::keys::PK, store::keys::SK)
    );
    let mut declared = BTreeMap::new();
    for a in at(props, &["AttributeDefinitions"]).as_array().unwrap() {
        let name = text(at(a, &["AttributeName"])).to_string();
        let kind = text(at(a, &["AttributeType"])).to_string();
        assert!(
            declared.insert(name.clone(), kind).is_none(),
            "{name} declared twice"
        );
    }
    let mut expected = BTreeMap::new();
    for name in [store::keys::PK, store::keys::SK]
        .into_iter()
        .chain(store::table::INDEXES.iter().flat_map(|i| [i.pk, i.sk]))
    {
        expected.insert(name.to_string(), "S".to_string());
    }
    assert_eq!(
        declared, expected,
        "AttributeDefinitions must be exactly the key attributes"
    );
}

#[test]
fn the_template_declares_every_index_of_the_store_with_its_keys_and_projection() {
    let t = template();
    let gsis = at(
        &t,
        &["Resources", "Table", "Properties", "GlobalSecondaryIndexes"],
    )
    .as_array()
    .expect("GlobalSecondaryIndexes is a list");
    let mut declared = BTreeMap::new();
    for gsi in gsis {
        let name = text(at(gsi, &["IndexName"])).to_string();
        let keys = key_schema(at(gsi, &["KeySchema"]));
        let projection = text(at(gsi, &["Projection", "ProjectionType"])).to_string();
        let attributes: Vec<String> = gsi
            .get("Projection")
            .and_then(|p| p.get("NonKeyAttributes"))
            .and_then(Value::as_array)
            .map(|a| a.iter().map(|v| text(v).to_string()).collect())
            .unwrap_or_default();
        assert!(
            declared
                .insert(name.clone(), (keys, projection, attributes))
                .is_none(),
            "index {name} declared twice"
        );
    }
    let expected: BTreeMap<_, _> = store::table::INDEXES
        .iter()
        .map(|i| {
            let (kind, attributes) = match i.projection {
                store::table::IndexProjection::All => ("ALL", vec![]),
                store::table::IndexProjection::Keys([]) => ("KEYS_ONLY", vec![]),
                store::table::IndexProjection::Keys(a) => {
                    ("INCLUDE", a.iter().map(|s| s.to_string()).collect())
                }
            };
            (
                i.name.to_string(),
                (pair(i.pk, i.sk), kind.to_string(), attributes),
            )
        })
        .collect();
    assert_eq!(declared, expected);
}

#[test]
fn the_template_table_is_on_demand_with_ttl_and_point_in_time_recovery() {
    let t = template();
    let props = at(&t, &["Resources", "Table", "Properties"]);
    assert_eq!(text(at(props, &["BillingMode"])), "PAY_PER_REQUEST");
    assert_eq!(
        text(at(props, &["TimeToLiveSpecification", "AttributeName"])),
        store::table::TTL_ATTRIBUTE
    );
    assert_eq!(
        at(props, &["TimeToLiveSpecification", "Enabled"]),
        &Value::Bool(true)
    );
    assert_eq!(
        at(
            props,
            &[
                "PointInTimeRecoverySpecification",
                "PointInTimeRecoveryEnabled"
            ]
        ),
        &Value::Bool(true)
    );
}

#[test]
fn every_index_a_policy_names_exists_in_the_table() {
    let template_text = read("infra/template.yaml");
    let names: BTreeSet<&str> = store::table::INDEXES.iter().map(|i| i.name).collect();
    let mut seen = 0;
    for piece in template_text.split("/index/").skip(1) {
        let name: String = piece
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect();
        assert!(
            names.contains(name.as_str()),
            "a policy grants Query on index {name:?}, which the table does not have"
        );
        seen += 1;
    }
    assert!(
        seen > 0,
        "no policy names an index: the reader is looking at the wrong text"
    );
}

// ---------------------------------------------------------------------------------------------
// Functions and routes

#[test]
fn the_http_api_routes_each_path_to_the_same_function_as_the_local_router() {
    let router = router_routes(&read("Cargo.toml"));
    let deployed = template_routes(&template());
    let diff = differences(&router, &deployed.routes);
    assert!(
        diff.is_empty(),
        "template routes differ:\n{}",
        diff.join("\n")
    );
    assert_eq!(router.len(), deployed.routes.len());
}

#[test]
fn unknown_routes_are_answered_by_one_function_behind_the_authorizer() {
    let t = template();
    let deployed = template_routes(&t);
    assert_eq!(deployed.default_route, vec!["intake".to_string()]);
    assert_eq!(
        text(at(
            &t,
            &[
                "Resources",
                "HttpApi",
                "Properties",
                "Auth",
                "DefaultAuthorizer"
            ]
        )),
        "JwtAuthorizer"
    );
}

#[test]
fn a_route_sent_to_another_function_or_path_is_noticed() {
    let cargo = read("Cargo.toml");
    let template_text = read("infra/template.yaml");
    let router = router_routes(&cargo);

    let wrong_function = cargo.replace(
        r#""/queue" = [{ method = "GET", function = "response" }]"#,
        r#""/queue" = [{ method = "GET", function = "intake" }]"#,
    );
    assert_ne!(
        wrong_function, cargo,
        "the router no longer has the line this test edits"
    );
    let deployed = template_routes(&parse_yaml(&template_text)).routes;
    assert_eq!(
        differences(&router_routes(&wrong_function), &deployed),
        vec!["GET /queue goes to response, the router says intake".to_string()]
    );

    let wrong_path = template_text.replace("Path: /account\n", "Path: /accounts\n");
    assert_ne!(
        wrong_path, template_text,
        "the template no longer has the line this test edits"
    );
    let deployed = template_routes(&parse_yaml(&wrong_path)).routes;
    assert_eq!(
        differences(&router, &deployed),
        vec![
            "GET /account is missing (router: pack-purchase)".to_string(),
            "GET /accounts -> pack-purchase is not in the router".to_string(),
        ]
    );
}

/// The packages under `functions/` (each directory with a Cargo.toml).
fn function_packages() -> BTreeSet<String> {
    let dir = root().join("functions");
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().join("Cargo.toml").is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn every_function_of_the_template_is_a_workspace_package_built_for_lambda_on_the_chosen_architecture(
) {
    let t = template();
    let globals = at(&t, &["Globals", "Function"]);
    assert_eq!(text(at(globals, &["Runtime"])), "provided.al2023");
    assert_eq!(text(at(globals, &["Handler"])), "bootstrap");
    assert_eq!(
        at(globals, &["Architectures"]),
        &serde_json::json!([reference("Architecture")])
    );
    let architecture = at(&t, &["Parameters", "Architecture"]);
    assert_eq!(text(at(architecture, &["Default"])), "arm64");
    assert_eq!(
        at(architecture, &["AllowedValues"]),
        &serde_json::json!(["arm64", "x86_64"])
    );
    let mut binaries = BTreeSet::new();
    for (name, resource) in at(&t, &["Resources"]).as_object().unwrap() {
        if resource.get("Type").and_then(Value::as_str) != Some("AWS::Serverless::Function") {
            continue;
        }
        assert_eq!(
            text(at(resource, &["Metadata", "BuildMethod"])),
            "rust-cargolambda",
            "{name}"
        );
        let binary = text(at(resource, &["Metadata", "BuildProperties", "Binary"]));
        let path = format!("functions/{binary}/Cargo.toml");
        let manifest = parse_toml(&read(&path), &path);
        assert_eq!(
            toml_at(&manifest, &["package", "name"], &path).as_str(),
            Some(binary),
            "{name} builds {binary}, which is not the package in functions/{binary}"
        );
        // Built in its own package directory, so cargo resolves that package's features only.
        assert_eq!(
            text(at(resource, &["Properties", "CodeUri"])),
            format!("../functions/{binary}"),
            "{name}"
        );
        binaries.insert(binary.to_string());
    }
    assert_eq!(
        binaries,
        function_packages(),
        "the template's functions and the packages under functions/ differ"
    );
}

#[test]
fn only_the_stripe_webhook_and_the_rating_link_skip_the_jwt_authorizer() {
    let t = template();
    let mut open = Vec::new();
    for (name, resource) in at(&t, &["Resources"]).as_object().unwrap() {
        let Some(events) = resource
            .get("Properties")
            .and_then(|p| p.get("Events"))
            .and_then(Value::as_object)
        else {
            continue;
        };
        for event in events.values() {
            let props = event.get("Properties");
            let authorizer = props
                .and_then(|p| p.get("Auth"))
                .and_then(|a| a.get("Authorizer"))
                .and_then(Value::as_str);
            if let Some(authorizer) = authorizer {
                let path = props.and_then(|p| p.get("Path")).and_then(Value::as_str);
                open.push((
                    name.clone(),
                    authorizer.to_string(),
                    path.map(str::to_string),
                ));
            }
        }
    }
    open.sort();
    assert_eq!(
        open,
        vec![
            (
                "ClosureFunction".to_string(),
                "NONE".to_string(),
                Some("/ratings/{token}".to_string())
            ),
            (
                "PaymentWebhookFunction".to_string(),
                "NONE".to_string(),
                Some("/payments/stripe/webhook".to_string())
            ),
        ]
    );
}

#[test]
fn the_stripe_secrets_come_from_secrets_manager_and_each_function_may_read_only_its_own() {
    let t = template();
    let policy =
        |function: &str| at(&t, &["Resources", function, "Properties", "Policies"]).to_string();
    let purchase = policy("PackPurchaseFunction");
    let webhook = policy("PaymentWebhookFunction");
    assert!(
        purchase.contains("secretsmanager:GetSecretValue")
            && purchase.contains("${StripeSecretKeyName}")
    );
    assert!(!purchase.contains("StripeWebhookSecretName"));
    assert!(
        webhook.contains("secretsmanager:GetSecretValue")
            && webhook.contains("${StripeWebhookSecretName}")
    );
    assert!(!webhook.contains("StripeSecretKeyName"));
    for function in ["PackPurchaseFunction", "PaymentWebhookFunction"] {
        let vars = at(
            &t,
            &[
                "Resources",
                function,
                "Properties",
                "Environment",
                "Variables",
            ],
        );
        assert_eq!(
            at(vars, &["PAYMENT_PROVIDER"]),
            &reference("PaymentProvider")
        );
        for name in ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"] {
            assert!(
                vars.get(name).is_none(),
                "{function} must not carry {name} in plain text"
            );
        }
    }
}

#[test]
fn the_notifier_reads_the_table_stream_with_partial_failures_bisect_and_a_failure_queue() {
    let t = template();
    assert_eq!(
        text(at(
            &t,
            &[
                "Resources",
                "Table",
                "Properties",
                "StreamSpecification",
                "StreamViewType"
            ]
        )),
        store::table::STREAM_VIEW
    );
    let mapping = at(&t, &["Resources", "NotifierStream", "Properties"]);
    assert_eq!(
        at(mapping, &["FunctionResponseTypes"]),
        &serde_json::json!(["ReportBatchItemFailures"])
    );
    assert_eq!(
        at(mapping, &["BisectBatchOnFunctionError"]),
        &Value::Bool(true)
    );
    assert_eq!(
        at(mapping, &["ParallelizationFactor"])
            .to_string()
            .trim_matches('"'),
        "1"
    );
    let destination = at(mapping, &["DestinationConfig", "OnFailure", "Destination"]);
    assert!(
        destination.to_string().contains("NotifierFailureQueue"),
        "{destination}"
    );
    // The local relay (infra/local/notifications.py) applies the same filter.
    let filters = at(mapping, &["FilterCriteria", "Filters"]).to_string();
    let relay = read("infra/local/notifications.py");
    for needle in [
        "EVENT#",
        "\\\"PACK\\\"",
        "CLAIM",
        "TAX_EXEMPTION",
        "INSERT",
        "MODIFY",
    ] {
        let plain = needle.replace('\\', "");
        assert!(
            filters.contains(needle),
            "template filter lacks {needle}: {filters}"
        );
        assert!(
            relay.contains(&plain),
            "the local relay's filter lacks {plain}"
        );
    }
}

#[test]
fn every_function_gets_the_table_from_the_globals() {
    let t = template();
    let globals = at(&t, &["Globals", "Function", "Environment", "Variables"]);
    assert_eq!(at(globals, &["TABLE_NAME"]), &reference("Table"));
}

#[test]
fn every_function_logs_json_at_the_log_level_parameter_and_none_is_given_rust_log() {
    let t = template();
    let globals = at(&t, &["Globals", "Function", "LoggingConfig"]);
    assert_eq!(text(at(globals, &["LogFormat"])), "JSON");
    assert_eq!(
        at(globals, &["ApplicationLogLevel"]),
        &serde_json::json!({"Fn::FindInMap": ["LogLevels", {"Ref": "LogLevel"}, "Application"]})
    );
    assert_eq!(text(at(globals, &["SystemLogLevel"])), "WARN");
    let levels = at(&t, &["Parameters", "LogLevel", "AllowedValues"]);
    for level in levels.as_array().unwrap() {
        let level = text(level);
        assert_eq!(
            text(at(&t, &["Mappings", "LogLevels", level, "Application"])),
            level.to_uppercase(),
            "LogLevel {level}"
        );
    }
    let globals_env = at(&t, &["Globals", "Function", "Environment", "Variables"]);
    assert!(globals_env.get("RUST_LOG").is_none(), "{globals_env:?}");
    let mut functions = 0;
    for (name, resource) in at(&t, &["Resources"]).as_object().unwrap() {
        if resource.get("Type").and_then(Value::as_str) != Some("AWS::Serverless::Function") {
            continue;
        }
        functions += 1;
        // Its own log group only: format and levels come from Globals (SAM merges the maps).
        let own = at(resource, &["Properties", "LoggingConfig"])
            .as_object()
            .unwrap();
        assert_eq!(own.keys().collect::<Vec<_>>(), ["LogGroup"], "{name}");
        let env = resource
            .get("Properties")
            .and_then(|p| p.get("Environment"))
            .and_then(|e| e.get("Variables"));
        assert!(
            env.is_none_or(|v| v.get("RUST_LOG").is_none()),
            "{name} is given RUST_LOG, which overrides AWS_LAMBDA_LOG_LEVEL"
        );
    }
    assert_eq!(functions, function_packages().len());
}

#[test]
fn the_sweeper_runs_every_minute_on_a_scheduled_event() {
    let t = template();
    let events = at(
        &t,
        &["Resources", "SlaSweeperFunction", "Properties", "Events"],
    )
    .as_object()
    .unwrap();
    let schedules: Vec<&Value> = events
        .values()
        .filter(|e| e.get("Type").and_then(Value::as_str) == Some("Schedule"))
        .collect();
    assert_eq!(schedules.len(), 1, "{events:?}");
    assert_eq!(
        text(at(schedules[0], &["Properties", "Schedule"])),
        "rate(1 minute)"
    );
}

// ---------------------------------------------------------------------------------------------
// The attachments bucket (rules in shared/objects)

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("expected a list, found {value}"))
        .iter()
        .map(|v| text(v).to_string())
        .collect()
}

#[test]
fn the_attachments_bucket_is_private_encrypted_and_tls_only() {
    let t = template();
    let props = at(&t, &["Resources", "AttachmentsBucket", "Properties"]);
    let block = at(props, &["PublicAccessBlockConfiguration"]);
    for setting in [
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    ] {
        assert_eq!(at(block, &[setting]), &Value::Bool(true), "{setting}");
    }
    assert_eq!(
        text(&at(props, &["OwnershipControls", "Rules"])[0]["ObjectOwnership"]),
        "BucketOwnerEnforced"
    );
    let sse = &at(
        props,
        &["BucketEncryption", "ServerSideEncryptionConfiguration"],
    )[0];
    assert!(
        ["AES256", "aws:kms"].contains(&text(at(
            sse,
            &["ServerSideEncryptionByDefault", "SSEAlgorithm"]
        ))),
        "{sse}"
    );
    let policy = at(&t, &["Resources", "AttachmentsBucketPolicy", "Properties"]);
    assert_eq!(at(policy, &["Bucket"]), &reference("AttachmentsBucket"));
    let statements = at(policy, &["PolicyDocument", "Statement"])
        .as_array()
        .expect("statements");
    let tls = statements
        .iter()
        .find(|s| s["Sid"] == "TlsOnly")
        .expect("a TLS-only statement");
    assert_eq!(text(at(tls, &["Effect"])), "Deny");
    assert_eq!(text(at(tls, &["Action"])), "s3:*");
    assert_eq!(
        text(at(tls, &["Condition", "Bool", "aws:SecureTransport"])),
        "false"
    );
    let resources = at(tls, &["Resource"]).as_array().expect("a list");
    assert!(
        resources.contains(&serde_json::json!({ "Fn::GetAtt": ["AttachmentsBucket", "Arn"] }))
            && resources.contains(&serde_json::json!({ "Fn::Sub": "${AttachmentsBucket.Arn}/*" })),
        "{resources:?}"
    );
}

#[test]
fn the_bucket_cors_and_lifecycle_rules_are_the_ones_the_local_setup_applies() {
    let t = template();
    let props = at(&t, &["Resources", "AttachmentsBucket", "Properties"]);
    let rules = at(props, &["CorsConfiguration", "CorsRules"])
        .as_array()
        .expect("CORS rules");
    assert_eq!(rules.len(), 1, "one rule, for the console only");
    let rule = &rules[0];
    // The console's origin, as the HTTP API's CORS names it (the AllowedOrigin parameter, or an
    // expression choosing between it and the console's own hosting).
    let origins = at(rule, &["AllowedOrigins"]).as_array().expect("a list");
    assert_eq!(origins.len(), 1, "{origins:?}");
    let parameter = reference("AllowedOrigin");
    let branches = origins[0]
        .get("Fn::If")
        .and_then(Value::as_array)
        .map_or(&[][..], |choice| choice.get(1..).unwrap_or_default());
    assert!(
        origins[0] == parameter || branches.contains(&parameter),
        "{origins:?}"
    );
    let api_origins = at(
        &t,
        &[
            "Resources",
            "HttpApi",
            "Properties",
            "CorsConfiguration",
            "AllowOrigins",
        ],
    );
    assert_eq!(
        at(rule, &["AllowedOrigins"]),
        api_origins,
        "the HTTP API's origin"
    );
    assert_eq!(
        strings(at(rule, &["AllowedMethods"])),
        objects::bucket::CORS_METHODS.map(String::from).to_vec()
    );
    assert_eq!(
        strings(at(rule, &["AllowedHeaders"])),
        objects::bucket::CORS_HEADERS.map(String::from).to_vec()
    );
    assert_eq!(
        strings(at(rule, &["ExposedHeaders"])),
        objects::bucket::CORS_EXPOSE_HEADERS
            .map(String::from)
            .to_vec()
    );
    assert_eq!(
        at(rule, &["MaxAge"]),
        &serde_json::json!(objects::bucket::CORS_MAX_AGE_SECS)
    );
    let lifecycle = at(props, &["LifecycleConfiguration", "Rules"])
        .as_array()
        .expect("lifecycle rules");
    let pending = lifecycle
        .iter()
        .find(|r| r["Id"] == objects::bucket::PENDING_RULE_ID)
        .expect("the pending-uploads rule");
    assert_eq!(text(at(pending, &["Status"])), "Enabled");
    assert_eq!(
        text(at(pending, &["Prefix"])),
        objects::keys::PENDING_PREFIX
    );
    assert_eq!(
        at(pending, &["ExpirationInDays"]),
        &serde_json::json!(objects::bucket::PENDING_EXPIRY_DAYS)
    );
    assert!(
        !objects::keys::uploaded("i", "a").starts_with(objects::keys::PENDING_PREFIX),
        "uploaded objects must not match the pending rule"
    );
    // Raw inbound mail and quarantined mail (issue 27): the rules the local bucket gets too.
    for (id, prefix, days) in objects::bucket::MAIL_EXPIRY {
        let rule = lifecycle
            .iter()
            .find(|r| r["Id"] == id)
            .unwrap_or_else(|| panic!("the {id} rule"));
        assert_eq!(text(at(rule, &["Status"])), "Enabled", "{id}");
        assert_eq!(text(at(rule, &["Prefix"])), prefix, "{id}");
        assert_eq!(
            at(rule, &["ExpirationInDays"]),
            &serde_json::json!(days),
            "{id}"
        );
    }
    assert_eq!(
        lifecycle.len(),
        objects::bucket::lifecycle().expect("valid").rules().len(),
        "the template and the local setup declare the same rules"
    );
}

#[test]
fn only_the_attachments_function_reaches_the_bucket_and_only_put_and_get_under_its_prefix_besides_privacy(
) {
    let t = template();
    let mut granted = Vec::new();
    for (name, resource) in at(&t, &["Resources"]).as_object().unwrap() {
        if resource.get("Type").and_then(Value::as_str) != Some("AWS::Serverless::Function") {
            continue;
        }
        let policies = resource
            .get("Properties")
            .and_then(|p| p.get("Policies"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for policy in policies {
            for statement in policy["Statement"].as_array().cloned().unwrap_or_default() {
                let resource_text = statement["Resource"].to_string();
                let actions = match &statement["Action"] {
                    Value::String(a) => vec![a.clone()],
                    other => strings(other),
                };
                if resource_text.contains("AttachmentsBucket")
                    || actions.iter().any(|a| a.starts_with("s3:"))
                {
                    granted.push((name.clone(), actions, statement["Resource"].clone()));
                }
            }
        }
    }
    // inbound-mail (issue 27) reads and moves aside raw mail (inbound/, quarantine/) and writes
    // e-mailed attachments under the attachments prefix; nothing else.
    granted.retain(|(function, actions, resource)| {
        if function != "InboundMailFunction" {
            return true;
        }
        let text = resource.to_string();
        assert!(
            actions
                .iter()
                .all(|a| ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"].contains(&a.as_str())),
            "{actions:?}"
        );
        assert!(
            !text.contains("AttachmentsBucket.Arn}/*")
                && !text.contains("AttachmentsBucket.Arn}\""),
            "inbound-mail is granted the whole bucket: {text}"
        );
        false
    });
    // Privacy (issue 29): the privacy function signs export links and deletes an erased
    // account's attachments and exports; the sweeper's privacy step writes export archives (multipart),
    // reads attachments into them and deletes by retention and erasure. Only under exports/
    // and attachments/, never the whole bucket.
    granted.retain(|(function, actions, resource)| {
        let allowed: &[&str] = match function.as_str() {
            "PrivacyFunction" => &["s3:GetObject", "s3:DeleteObject"],
            "SlaSweeperFunction" => &[
                "s3:GetObject",
                "s3:PutObject",
                "s3:DeleteObject",
                "s3:AbortMultipartUpload",
            ],
            _ => return true,
        };
        assert!(
            actions.iter().all(|a| allowed.contains(&a.as_str())),
            "{function}: {actions:?}"
        );
        let prefixes: Vec<String> = [objects::keys::EXPORTS_PREFIX, objects::keys::PREFIX]
            .iter()
            .map(|p| format!("${{AttachmentsBucket.Arn}}/{p}*"))
            .collect();
        for r in resource.as_array().cloned().unwrap_or_default() {
            let sub = r["Fn::Sub"].as_str().unwrap_or_default().to_string();
            assert!(prefixes.contains(&sub), "{function} is granted {sub}");
        }
        false
    });
    assert_eq!(granted.len(), 1, "{granted:?}");
    let (function, mut actions, resource) = granted.remove(0);
    assert_eq!(function, "AttachmentsFunction");
    actions.sort();
    assert_eq!(actions, vec!["s3:GetObject", "s3:PutObject"]);
    assert_eq!(
        resource,
        serde_json::json!({
            "Fn::Sub": format!("${{AttachmentsBucket.Arn}}/{}*", objects::keys::PREFIX)
        })
    );
    assert!(objects::keys::pending("i", "a").starts_with(objects::keys::PREFIX));
    assert!(objects::keys::uploaded("i", "a").starts_with(objects::keys::PREFIX));
    let env = at(
        &t,
        &[
            "Resources",
            "AttachmentsFunction",
            "Properties",
            "Environment",
            "Variables",
        ],
    );
    assert_eq!(
        at(env, &["ATTACHMENTS_BUCKET"]),
        &reference("AttachmentsBucket")
    );
}

// ---------------------------------------------------------------------------------------------
// The OpenAPI document

#[test]
fn the_openapi_document_describes_exactly_the_routes_the_router_serves() {
    let router: BTreeSet<(String, String)> =
        router_routes(&read("Cargo.toml")).into_keys().collect();
    let documented = openapi_operations(&read("infra/openapi.yaml"));
    let missing: Vec<_> = router.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&router).collect();
    assert!(
        missing.is_empty(),
        "routes without documentation: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "documented routes nothing serves: {extra:?}"
    );
}

#[test]
fn an_undocumented_route_is_noticed() {
    let openapi = read("infra/openapi.yaml");
    let without_queue = openapi.replace("  /queue:\n    get:\n", "  /queue:\n    x-removed:\n");
    assert_ne!(
        without_queue, openapi,
        "the document no longer has the lines this test edits"
    );
    let documented = openapi_operations(&without_queue);
    assert!(!documented.contains(&("GET".to_string(), "/queue".to_string())));
    assert!(documented.contains(&("GET".to_string(), "/products".to_string())));
}

// ---------------------------------------------------------------------------------------------
// The code's own route tables (`api::routes!` in each function's main.rs): the same routes as
// the router, the template and the OpenAPI document, each with the role the document names.

/// A code route: the function whose table lists it, and its role (`as Engineer`; none: any
/// signed-in account).
type CodeRoutes = BTreeMap<(String, String), (String, String)>;

/// The `"METHOD" "/path" [as Role] => handler,` lines of one main.rs's `routes![…]` table.
fn table_routes(main_rs: &str) -> Vec<(String, String, String)> {
    let Some(start) = main_rs.find("routes![") else {
        return Vec::new();
    };
    let table = &main_rs[start..];
    let table = &table[..table.find("];").expect("a routes! table ends with `];`")];
    table
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            let (head, _handler) = line.split_once("=>")?;
            let quoted: Vec<&str> = head.split('"').collect();
            // ["", METHOD, " ", PATH, " as Role " | " "]
            if quoted.len() != 5 {
                return None;
            }
            let role = quoted[4]
                .trim()
                .strip_prefix("as ")
                .map_or("SignedIn", str::trim);
            Some((
                quoted[1].to_string(),
                quoted[3].to_string(),
                role.to_string(),
            ))
        })
        .collect()
}

fn code_routes() -> CodeRoutes {
    let mut out = CodeRoutes::new();
    for function in function_packages() {
        let main_rs = read(&format!("functions/{function}/src/main.rs"));
        for (method, path, role) in table_routes(&main_rs) {
            let previous = out.insert((method.clone(), path.clone()), (function.clone(), role));
            assert!(previous.is_none(), "{method} {path} is in two route tables");
        }
    }
    out
}

/// The role an operation's summary names: a trailing `(support-engineers)`, `(support-admins)`,
/// `(support-engineers or support-admins)` or `- support-engineers`, `(no sign-in; the token is
/// the authority)` for a public route; none: any signed-in account (whose access the domain
/// decides, e.g. an incident's owner).
fn documented_role(summary: &str) -> &'static str {
    let s = summary.trim();
    for (suffix, role) in [
        ("(support-engineers or support-admins)", "Staff"),
        ("(support-engineers)", "Engineer"),
        ("- support-engineers", "Engineer"),
        ("(support-admins)", "Admin"),
        ("(no sign-in; the token is the authority)", "Public"),
    ] {
        if s.ends_with(suffix) {
            return role;
        }
    }
    "SignedIn"
}

/// Each operation's `summary` under `paths`.
fn openapi_summaries(openapi: &str) -> BTreeMap<(String, String), String> {
    openapi_paths(openapi)
        .into_iter()
        .filter_map(|(key, operation)| {
            let summary = operation.get("summary")?;
            Some((key, text(summary).to_string()))
        })
        .collect()
}

fn role_differences(
    code: &CodeRoutes,
    summaries: &BTreeMap<(String, String), String>,
) -> Vec<String> {
    code.iter()
        .filter_map(|((method, path), (function, role))| {
            let summary = summaries.get(&(method.clone(), path.clone()));
            let documented = summary.map(|s| documented_role(s));
            (documented != Some(role.as_str())).then(|| {
                format!("{method} {path} ({function}) is `{role}` in code, {documented:?} in infra/openapi.yaml")
            })
        })
        .collect()
}

#[test]
fn the_code_route_tables_serve_exactly_the_router_routes() {
    let router = router_routes(&read("Cargo.toml"));
    let code: Routes = code_routes()
        .into_iter()
        .map(|(key, (function, _))| (key, function))
        .collect();
    assert!(code.len() >= 30, "the tables were read: {}", code.len());
    // A function without a table (the Stripe webhook) serves its one route by itself.
    let mut expected = router.clone();
    expected.retain(|(method, path), function| {
        let tabled = read(&format!("functions/{function}/src/main.rs")).contains("routes![");
        if !tabled {
            let main_rs = read(&format!("functions/{function}/src/main.rs"));
            assert!(
                main_rs.contains(&format!("{method} {path}")),
                "{function} has no route table and does not name {method} {path}"
            );
            assert_eq!(
                router.values().filter(|f| *f == function).count(),
                1,
                "{function} serves one route without a table"
            );
        }
        tabled
    });
    let diff = differences(&expected, &code);
    assert!(
        diff.is_empty(),
        "route tables differ from the router:\n{}",
        diff.join("\n")
    );
}

#[test]
fn each_route_checks_the_role_the_openapi_document_names() {
    let diff = role_differences(
        &code_routes(),
        &openapi_summaries(&read("infra/openapi.yaml")),
    );
    assert!(diff.is_empty(), "roles differ:\n{}", diff.join("\n"));
}

#[test]
fn a_route_table_that_drops_a_role_is_noticed() {
    let main_rs = read("functions/response/src/main.rs");
    let open_queue = main_rs.replace("\"/queue\" as Engineer", "\"/queue\"");
    assert_ne!(
        open_queue, main_rs,
        "the table no longer has the line this test edits"
    );
    let mut code = CodeRoutes::new();
    for (method, path, role) in table_routes(&open_queue) {
        code.insert((method, path), ("response".into(), role));
    }
    let diff = role_differences(&code, &openapi_summaries(&read("infra/openapi.yaml")));
    assert_eq!(diff.len(), 1, "{diff:?}");
    assert!(diff[0].starts_with("GET /queue"), "{diff:?}");
}

// ---------------------------------------------------------------------------------------------
// The reader itself

#[test]
fn the_yaml_reader_reads_short_form_tags_as_cloudformation_does() {
    use serde_json::json;
    let v = parse_yaml(
        "a: !Ref Thing\nb: !GetAtt Bucket.Arn\nc: !GetAtt [Bucket, Arn]\nd: !Sub \"${X}/*\"\ne: !If [C, [!Ref Y], !Ref Z]\nf: !Not\n  - !Equals [!Ref P, \"\"]\ng: !Condition C\nh: '!Ref Thing'\ni: 600\nj: \"false\"\nk: >-\n  first\n  second\n",
    );
    assert_eq!(at(&v, &["a"]), &reference("Thing"));
    assert_eq!(at(&v, &["b"]), &json!({ "Fn::GetAtt": ["Bucket", "Arn"] }));
    assert_eq!(at(&v, &["c"]), at(&v, &["b"]));
    assert_eq!(at(&v, &["d"]), &json!({ "Fn::Sub": "${X}/*" }));
    assert_eq!(
        at(&v, &["e"]),
        &json!({ "Fn::If": ["C", [{ "Ref": "Y" }], { "Ref": "Z" }] })
    );
    assert_eq!(
        at(&v, &["f"]),
        &json!({ "Fn::Not": [{ "Fn::Equals": [{ "Ref": "P" }, ""] }] })
    );
    assert_eq!(at(&v, &["g"]), &json!({ "Condition": "C" }));
    assert_eq!(
        text(at(&v, &["h"])),
        "!Ref Thing",
        "a quoted tag is a string"
    );
    assert_eq!(at(&v, &["i"]), &json!(600));
    assert_eq!(text(at(&v, &["j"])), "false");
    assert_eq!(text(at(&v, &["k"])), "first second");
    for refused in ["a: !Nonsense x\n", "a: 1\na: 2\n", "a: [\n"] {
        let text = refused.to_string();
        assert!(
            std::panic::catch_unwind(move || parse_yaml(&text)).is_err(),
            "{refused:?} was read"
        );
    }
}

#[test]
fn the_template_tags_are_read_back_as_the_checks_expect() {
    use serde_json::json;
    let t = template();
    // !If [HasAllowedOrigin, !Ref AllowedOrigin, !Sub "https://${ConsoleDistribution.DomainName}"]
    let origin = &at(
        &t,
        &[
            "Resources",
            "AttachmentsBucket",
            "Properties",
            "CorsConfiguration",
            "CorsRules",
        ],
    )[0]["AllowedOrigins"][0];
    assert_eq!(
        origin,
        &json!({ "Fn::If": [
            "HasAllowedOrigin",
            { "Ref": "AllowedOrigin" },
            { "Fn::Sub": "https://${ConsoleDistribution.DomainName}" }
        ] })
    );
    // !GetAtt AttachmentsBucket.Arn among the TLS-only statement's resources.
    let statements = at(
        &t,
        &[
            "Resources",
            "AttachmentsBucketPolicy",
            "Properties",
            "PolicyDocument",
            "Statement",
        ],
    );
    let tls = statements
        .as_array()
        .expect("statements")
        .iter()
        .find(|s| s["Sid"] == "TlsOnly")
        .expect("a TLS-only statement");
    assert!(
        tls["Resource"]
            .as_array()
            .expect("a list of resources")
            .contains(&json!({ "Fn::GetAtt": ["AttachmentsBucket", "Arn"] })),
        "{tls}"
    );
    assert_eq!(
        at(
            &t,
            &[
                "Globals",
                "Function",
                "Environment",
                "Variables",
                "TABLE_NAME"
            ]
        ),
        &reference("Table")
    );
}

// ---------------------------------------------------------------------------------------------
// make package's smoke events (tests/events/smoke/README.md)

#[test]
fn every_function_has_a_smoke_event_for_make_package() {
    let functions = function_packages();
    assert!(
        functions.contains("intake"),
        "found no functions: {functions:?}"
    );
    for name in &functions {
        let path = format!("tests/events/smoke/{name}.json");
        let file: Value = serde_json::from_str(&read(&path))
            .unwrap_or_else(|e| panic!("{path} is not JSON: {e}"));
        let event = file
            .get("event")
            .unwrap_or_else(|| panic!("{path} has no \"event\""));
        assert!(event.is_object(), "{path}: the event is not an object");
        let expect = file.get("expect").cloned().unwrap_or(Value::Null);
        // An HTTP event is answered with a status: the file must say which.
        if event.get("requestContext").is_some() {
            assert!(
                expect.get("status").and_then(Value::as_u64).is_some(),
                "{path}: an HTTP event needs expect.status"
            );
            assert!(
                event
                    .pointer("/requestContext/authorizer/jwt/claims/sub")
                    .is_some()
                    || expect.get("status").and_then(Value::as_u64) != Some(200),
                "{path}: an authorized route's event carries the authorizer's claims (sub)"
            );
        }
        if let Some(env) = file.get("env") {
            assert!(
                env.as_object()
                    .is_some_and(|m| m.values().all(Value::is_string)),
                "{path}: env must map names to strings"
            );
        }
    }
}
