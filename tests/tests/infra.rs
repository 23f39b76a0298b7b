//! The deployable infrastructure agrees with the code: `infra/template.yaml` declares the table
//! exactly as `store::table` creates it, routes every path to the same function as the local
//! router in the root `Cargo.toml`, and `infra/openapi.yaml` documents every one of those routes.
//! Plain file reading, no stack needed. The YAML is read by a small block-style reader below
//! (the subset the template uses); the router table by a line reader of its TOML section.

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
// A reader for block-style YAML: mappings, sequences (`- `), plain/quoted scalars, flow
// sequences of scalars (`[a, b]`), tags kept as text (`!Ref Table` stays "!Ref Table"), folded
// and literal blocks (`>-`, `|`). Anything fancier in a value is kept as its raw text.

struct Line {
    indent: usize,
    text: String,
}

fn strip_comment(line: &str) -> &str {
    let (mut single, mut double) = (false, false);
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '#' if !single && !double && prev.is_whitespace() => return &line[..i],
            _ => {}
        }
        prev = c;
    }
    line
}

fn lines_of(text: &str) -> Vec<Line> {
    text.lines()
        .map(|raw| {
            let indent = raw.len() - raw.trim_start().len();
            let body = if raw.trim_start().starts_with('#') {
                ""
            } else {
                strip_comment(raw)
            };
            Line {
                indent,
                text: body.trim().to_string(),
            }
        })
        .filter(|l| !l.text.is_empty())
        .collect()
}

fn scalar(raw: &str) -> Value {
    let raw = raw.trim();
    if raw.len() >= 2
        && ((raw.starts_with('"') && raw.ends_with('"'))
            || (raw.starts_with('\'') && raw.ends_with('\'')))
    {
        return Value::String(raw[1..raw.len() - 1].to_string());
    }
    if let Some(inner) = raw.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        if !inner.contains(['[', ']', '{', '}']) {
            return Value::Array(
                inner
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(scalar)
                    .collect(),
            );
        }
    }
    match raw {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => Value::String(raw.to_string()),
    }
}

/// `key: rest` with the key unquoted; `None` for a line that is not a mapping entry.
fn split_key(text: &str) -> Option<(String, &str)> {
    let (key, rest) = if let Some(quoted) = text.strip_prefix('"') {
        let end = quoted.find('"')?;
        (
            quoted[..end].to_string(),
            quoted[end + 1..].strip_prefix(':')?,
        )
    } else {
        let at = text
            .find(": ")
            .or_else(|| text.strip_suffix(':').map(|k| k.len()))?;
        (text[..at].to_string(), &text[at + 1..])
    };
    if key.is_empty() || key.contains(['[', '{']) {
        return None;
    }
    Some((key, rest.trim()))
}

struct Reader {
    lines: Vec<Line>,
    at: usize,
}

impl Reader {
    /// The value of the block whose lines are indented more than `parent`.
    fn block(&mut self, parent: Option<usize>) -> Value {
        let Some(first) = self.lines.get(self.at) else {
            return Value::Null;
        };
        if parent.is_some_and(|p| first.indent <= p) {
            return Value::Null;
        }
        let indent = first.indent;
        if first.text.starts_with("- ") || first.text == "-" {
            self.sequence(indent)
        } else {
            self.mapping(indent, None)
        }
    }

    fn sequence(&mut self, indent: usize) -> Value {
        let mut items = Vec::new();
        while let Some(line) = self.lines.get(self.at) {
            if line.indent != indent || !(line.text.starts_with("- ") || line.text == "-") {
                break;
            }
            let rest = line.text[1..].trim().to_string();
            self.at += 1;
            if rest.is_empty() {
                items.push(self.block(Some(indent)));
            } else if matches!(rest.as_str(), ">" | ">-" | "|" | "|-") {
                items.push(self.block_text(indent));
            } else if let Some((key, value)) = split_key(&rest) {
                // `- key: value` opens a mapping whose other keys sit two columns further in.
                let first = (key, value.to_string());
                items.push(self.mapping(indent + 2, Some(first)));
            } else {
                items.push(scalar(&rest));
            }
        }
        Value::Array(items)
    }

    fn mapping(&mut self, indent: usize, first: Option<(String, String)>) -> Value {
        let mut map = Map::new();
        if let Some((key, value)) = first {
            let v = self.value_after_key(&value, indent);
            map.insert(key, v);
        }
        while let Some(line) = self.lines.get(self.at) {
            if line.indent != indent {
                break;
            }
            let Some((key, value)) = split_key(&line.text) else {
                break;
            };
            let value = value.to_string();
            self.at += 1;
            let v = self.value_after_key(&value, indent);
            map.insert(key, v);
        }
        Value::Object(map)
    }

    /// The lines of a folded or literal block (`>-`, `|`) below `indent`, joined by spaces.
    fn block_text(&mut self, indent: usize) -> Value {
        let mut text = Vec::new();
        while let Some(l) = self.lines.get(self.at) {
            if l.indent <= indent {
                break;
            }
            text.push(l.text.clone());
            self.at += 1;
        }
        Value::String(text.join(" "))
    }

    fn value_after_key(&mut self, value: &str, indent: usize) -> Value {
        match value {
            "" => self.block(Some(indent)),
            ">" | ">-" | "|" | "|-" => self.block_text(indent),
            v => {
                // A tag with its value on the next lines (`!Not` + a sequence) stays a tag.
                let nested = self.block(Some(indent));
                if nested.is_null() {
                    scalar(v)
                } else {
                    Value::String(format!("{v} {nested}"))
                }
            }
        }
    }
}

fn parse_yaml(text: &str) -> Value {
    let mut reader = Reader {
        lines: lines_of(text),
        at: 0,
    };
    let value = reader.block(None);
    if let Some(left) = reader.lines.get(reader.at) {
        panic!(
            "the YAML reader stopped early at {:?} (indent {}): extend it or simplify the file",
            left.text, left.indent
        );
    }
    value
}

fn at<'a>(value: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(value, |v, key| {
        v.get(key)
            .unwrap_or_else(|| panic!("template has no {key:?} (looking for {path:?})"))
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
/// `"/path" = [{ method = "GET", function = "intake" }, …]`, one path per line.
fn router_routes(cargo_toml: &str) -> Routes {
    let header = "[workspace.metadata.lambda.watch.router]";
    let start = cargo_toml
        .find(header)
        .expect("Cargo.toml has no router section")
        + header.len();
    let section = &cargo_toml[start..];
    let mut routes = Routes::new();
    for line in section.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            break; // the next table
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (path, entries) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("router line without `=`: {line}"));
        let path = path.trim().trim_matches('"').to_string();
        let mut found = 0;
        for entry in entries.split('}') {
            let field = |name: &str| {
                let at = entry.find(&format!("{name} ="))?;
                let rest = &entry[at..];
                let open = rest.find('"')? + 1;
                let close = rest[open..].find('"')? + open;
                Some(rest[open..close].to_string())
            };
            match (field("method"), field("function")) {
                (Some(method), Some(function)) => {
                    found += 1;
                    let previous = routes.insert((method.to_uppercase(), path.clone()), function);
                    assert!(
                        previous.is_none(),
                        "router lists {path} twice for one method"
                    );
                }
                (None, None) => {}
                _ => panic!("router entry without method or function: {entry}"),
            }
        }
        assert!(found > 0, "router line names no route: {line}");
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

/// `paths:` of the OpenAPI document: each path (two spaces in) and its operations (four in).
fn openapi_operations(openapi: &str) -> BTreeSet<(String, String)> {
    const METHODS: [&str; 8] = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];
    let mut in_paths = false;
    let mut current: Option<String> = None;
    let mut out = BTreeSet::new();
    for raw in openapi.lines() {
        let line = strip_comment(raw).trim_end();
        if line.trim().is_empty() {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        if indent == 0 {
            in_paths = line == "paths:";
            current = None;
            continue;
        }
        if !in_paths {
            continue;
        }
        let body = line.trim();
        if indent == 2 {
            current = body
                .strip_suffix(':')
                .map(|p| p.trim_matches('"').trim_matches('\'').to_string());
        } else if indent == 4 {
            if let (Some(path), Some(method)) = (&current, body.strip_suffix(':')) {
                if METHODS.contains(&method) {
                    out.insert((method.to_uppercase(), path.clone()));
                }
            }
        }
    }
    out
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
fn the_template_declares_every_index_of_the_store_with_its_keys_and_all_attributes() {
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
        assert!(
            declared.insert(name.clone(), (keys, projection)).is_none(),
            "index {name} declared twice"
        );
    }
    let expected: BTreeMap<_, _> = store::table::INDEXES
        .iter()
        .map(|i| (i.name.to_string(), (pair(i.pk, i.sk), "ALL".to_string())))
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
        &serde_json::json!(["!Ref Architecture"])
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
        let manifest = read(&format!("functions/{binary}/Cargo.toml"));
        assert!(
            manifest.contains(&format!("name = \"{binary}\"")),
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
fn only_the_stripe_webhook_route_skips_the_jwt_authorizer() {
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
    assert_eq!(
        open,
        vec![(
            "PaymentWebhookFunction".to_string(),
            "NONE".to_string(),
            Some("/payments/stripe/webhook".to_string())
        )]
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
            text(at(vars, &["PAYMENT_PROVIDER"])),
            "!Ref PaymentProvider"
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
fn no_function_in_the_template_is_given_the_local_token_secret() {
    let t = template();
    let mut environments = vec![at(&t, &["Globals", "Function"]).get("Environment")];
    for resource in at(&t, &["Resources"]).as_object().unwrap().values() {
        environments.push(
            resource
                .get("Properties")
                .and_then(|p| p.get("Environment")),
        );
    }
    let mut checked = 0;
    for env in environments.into_iter().flatten() {
        let vars = at(env, &["Variables"]).as_object().unwrap();
        assert!(!vars.contains_key("LOCAL_AUTH_SECRET"), "{vars:?}");
        checked += 1;
    }
    assert!(checked >= 1, "found no Environment to check");
    let globals = at(&t, &["Globals", "Function", "Environment", "Variables"]);
    assert_eq!(text(at(globals, &["TABLE_NAME"])), "!Ref Table");
}

#[test]
fn every_function_logs_json_at_the_log_level_parameter_and_none_is_given_rust_log() {
    let t = template();
    let globals = at(&t, &["Globals", "Function", "LoggingConfig"]);
    assert_eq!(text(at(globals, &["LogFormat"])), "JSON");
    assert_eq!(
        text(at(globals, &["ApplicationLogLevel"])),
        "!FindInMap [LogLevels, !Ref LogLevel, Application]"
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
    assert_eq!(text(at(policy, &["Bucket"])), "!Ref AttachmentsBucket");
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
    let resources = strings(at(tls, &["Resource"]));
    assert!(
        resources.contains(&"!GetAtt AttachmentsBucket.Arn".to_string())
            && resources.contains(&"!Sub \"${AttachmentsBucket.Arn}/*\"".to_string()),
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
    let origins = strings(at(rule, &["AllowedOrigins"]));
    assert_eq!(origins.len(), 1, "{origins:?}");
    assert!(origins[0].contains("AllowedOrigin"), "{origins:?}");
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
        text(at(rule, &["MaxAge"])),
        objects::bucket::CORS_MAX_AGE_SECS.to_string()
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
        text(at(pending, &["ExpirationInDays"])),
        objects::bucket::PENDING_EXPIRY_DAYS.to_string()
    );
    assert!(
        !objects::keys::uploaded("i", "a").starts_with(objects::keys::PENDING_PREFIX),
        "uploaded objects must not match the pending rule"
    );
}

#[test]
fn only_the_response_function_reaches_the_bucket_and_only_put_and_get_under_its_prefix() {
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
    assert_eq!(granted.len(), 1, "{granted:?}");
    let (function, mut actions, resource) = granted.remove(0);
    assert_eq!(function, "ResponseFunction");
    actions.sort();
    assert_eq!(actions, vec!["s3:GetObject", "s3:PutObject"]);
    assert_eq!(
        text(&resource),
        format!(
            "!Sub \"${{AttachmentsBucket.Arn}}/{}*\"",
            objects::keys::PREFIX
        )
    );
    assert!(objects::keys::pending("i", "a").starts_with(objects::keys::PREFIX));
    assert!(objects::keys::uploaded("i", "a").starts_with(objects::keys::PREFIX));
    let env = at(
        &t,
        &[
            "Resources",
            "ResponseFunction",
            "Properties",
            "Environment",
            "Variables",
        ],
    );
    assert_eq!(
        text(at(env, &["ATTACHMENTS_BUCKET"])),
        "!Ref AttachmentsBucket"
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
/// `(support-engineers or support-admins)` or `- support-engineers`; none: any signed-in
/// account (whose access the domain decides, e.g. an incident's owner).
fn documented_role(summary: &str) -> &'static str {
    let s = summary.trim().trim_matches('"').trim_matches('\'');
    for (suffix, role) in [
        ("(support-engineers or support-admins)", "Staff"),
        ("(support-engineers)", "Engineer"),
        ("- support-engineers", "Engineer"),
        ("(support-admins)", "Admin"),
    ] {
        if s.ends_with(suffix) {
            return role;
        }
    }
    "SignedIn"
}

/// Each operation's `summary:` (six spaces in) under `paths:`.
fn openapi_summaries(openapi: &str) -> BTreeMap<(String, String), String> {
    let mut out = BTreeMap::new();
    let mut in_paths = false;
    let mut path: Option<String> = None;
    let mut operation: Option<String> = None;
    for raw in openapi.lines() {
        let line = strip_comment(raw).trim_end();
        if line.trim().is_empty() {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let body = line.trim();
        match indent {
            0 => {
                in_paths = line == "paths:";
                path = None;
            }
            2 if in_paths => {
                path = body
                    .strip_suffix(':')
                    .map(|p| p.trim_matches('"').to_string());
                operation = None;
            }
            4 if in_paths => operation = body.strip_suffix(':').map(str::to_uppercase),
            6 if in_paths => {
                if let (Some(p), Some(m), Some(summary)) =
                    (&path, &operation, body.strip_prefix("summary:"))
                {
                    out.insert((m.clone(), p.clone()), summary.trim().to_string());
                }
            }
            _ => {}
        }
    }
    out
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
fn the_yaml_reader_reads_nesting_sequences_tags_and_folded_text() {
    let v = parse_yaml(
        "a:\n  b: \"x # not a comment\" # a comment\n  list:\n    - name: one\n      tag: !Ref Thing\n    - two\n  flow: [GET, POST]\n  folded: >-\n    first\n    second\nc: !If [X, [!Ref Y], !Ref Z]\nd:\n  - >-\n    folded\n    item\n  - after\n",
    );
    assert_eq!(at(&v, &["d"]), &serde_json::json!(["folded item", "after"]));
    assert_eq!(text(at(&v, &["a", "b"])), "x # not a comment");
    assert_eq!(
        at(&v, &["a", "list"])[0]["tag"],
        Value::String("!Ref Thing".into())
    );
    assert_eq!(at(&v, &["a", "list"])[1], Value::String("two".into()));
    assert_eq!(at(&v, &["a", "flow"]), &serde_json::json!(["GET", "POST"]));
    assert_eq!(text(at(&v, &["a", "folded"])), "first second");
    assert_eq!(text(at(&v, &["c"])), "!If [X, [!Ref Y], !Ref Z]");
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
            assert!(
                env.get("LOCAL_AUTH_SECRET").is_none(),
                "{path}: the deployed build never gets LOCAL_AUTH_SECRET"
            );
        }
    }
}
