"""Checks of infra/template.yaml after the SAM transform, run by scripts/infra-checks.sh with the
SAM venv's Python (.venv/sam/bin/python: samtranslator is part of aws-sam-cli). No AWS account.

1. Authorizer: every route of the HTTP API (the translated OpenAPI body, `$default` included) is
   behind the JWT authorizer, except the routes of the functions in UNAUTHENTICATED (the Stripe
   webhook, which Stripe calls without a token and which verifies its signature first); those
   must NOT be behind it. The authorizer trusts the stack's user pool and app client, or the
   JwtIssuer/JwtAudience given.
2. CORS: the API allows exactly the console origin (the CloudFront distribution by default,
   AllowedOrigin when given), never "*", with the headers the console sends.
3. IAM: each function's role grants exactly the AWS actions its code can call (DynamoDB, S3,
   SES v2, SNS), on the right resources for DynamoDB (the table; Query on the indexes named).
   "Can call" is a static over-approximation from the source (see `code_actions`): the function
   crate's code, and every function of the workspace crates it depends on that is reachable from
   it by name; leaves are SDK operation calls (`.get_item()`, `.send_email()`, …) and the
   transaction item builders (`Put::builder()` -> PutItem, …); an index is needed by a Query when
   a reachable function names its `IndexSpec` constant. A missing action fails; so does a granted
   action no reachable code calls.
4. Alarms: every alarm notifies the alarm topic (the one created, or AlarmTopicArn).
5. The outputs scripts/deploy-console.sh reads exist.
7. Audit entries are append-only: every role allowed to change table items (UpdateItem,
   DeleteItem, BatchWriteItem) is denied exactly those actions on items whose partition key
   starts with the store's audit prefix (`AUDIT_PREFIX` in shared/store/src/keys.rs), by an IAM
   condition on `dynamodb:LeadingKeys`; a role whose code cannot reach an audit write
   (`keys::audit_entry`) is denied PutItem there too, so only the deciding functions create
   entries, and none can change or remove one.
6. Logging: every function logs JSON (LoggingConfig LogFormat JSON, which makes the functions'
   subscriber, shared/logging, write JSON lines) into its own log group, at the LogLevel parameter's
   level (through the LogLevels mapping, which covers each allowed value), system logs at WARN,
   and no function is given RUST_LOG (it would override AWS_LAMBDA_LOG_LEVEL).

`--self-test` also proves each check fails on a broken input: a role without an action the code
calls, code calling an action the role lacks, a route without the authorizer, a wildcard origin,
a function logging text, a role without the audit deny or with its condition on another
prefix, a non-auditing role allowed to put audit items.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import logging
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "infra" / "template.yaml"
# Functions whose routes are public (they authenticate the caller themselves).
UNAUTHENTICATED = {"payment-webhook"}
# Single public routes of functions whose other routes need a token: a rating link's token is
# the authority (the function verifies it first).
PUBLIC_ROUTES = {"POST /ratings/{token}"}
CONSOLE_HEADERS = {"authorization", "content-type", "idempotency-key"}

# SDK operation (snake case, as the Rust SDKs name the client methods) -> IAM action.
DYNAMODB_OPS = {
    "get_item": "GetItem", "put_item": "PutItem", "update_item": "UpdateItem",
    "delete_item": "DeleteItem", "query": "Query", "scan": "Scan",
    "batch_get_item": "BatchGetItem", "batch_write_item": "BatchWriteItem",
    "transact_get_items": "GetItem", "describe_table": "DescribeTable",
    "create_table": "CreateTable", "delete_table": "DeleteTable", "update_table": "UpdateTable",
    "update_time_to_live": "UpdateTimeToLive", "execute_statement": "PartiQLSelect",
    # transact_write_items: its actions are those of its items (builders below).
    "transact_write_items": None,
}
TRANSACT_BUILDERS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                     "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}
# Read by Lambda's event source mapping for a DynamoDB stream, on the function's role.
STREAM_ACTIONS = {"dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream",
                  "dynamodb:ListStreams"}
OTHER_OPS = {
    "put_object": "s3:PutObject", "get_object": "s3:GetObject", "head_object": "s3:GetObject",
    "delete_object": "s3:DeleteObject", "delete_objects": "s3:DeleteObject",
    "copy_object": "s3:PutObject", "list_objects_v2": "s3:ListBucket",
    "create_multipart_upload": "s3:PutObject", "upload_part": "s3:PutObject",
    "complete_multipart_upload": "s3:PutObject",
    "abort_multipart_upload": "s3:AbortMultipartUpload",
    "send_email": "ses:SendEmail", "send_bulk_email": "ses:SendBulkEmail",
    "publish": "sns:Publish", "publish_batch": "sns:Publish",
}


# ---------------------------------------------------------------------------------------------
# The SAM transform

def load_template(text: str | None = None) -> dict:
    from samtranslator.yaml_helper import yaml_parse
    return yaml_parse(text if text is not None else TEMPLATE.read_text())


def translate(template: dict, overrides: dict | None = None) -> tuple[dict, dict]:
    """The CloudFormation the SAM transform makes, and the parameter values used."""
    from samtranslator.translator.transform import transform

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    t = copy.deepcopy(template)
    for name, r in t.get("Resources", {}).items():
        if r.get("Type") == "AWS::Serverless::Function":
            r.setdefault("Properties", {})["CodeUri"] = f"s3://bucket/{name}.zip"
    params = {k: v["Default"] for k, v in t.get("Parameters", {}).items() if "Default" in v}
    params.update(overrides or {})

    class NoManagedPolicies:
        def load(self):
            return {}

    return transform(t, params, NoManagedPolicies()), params


# ---------------------------------------------------------------------------------------------
# Conditions and Fn::If, evaluated for one set of parameter values

def param_value(params: dict, template: dict, name: str):
    spec = template.get("Parameters", {}).get(name, {})
    v = params.get(name, spec.get("Default"))
    if spec.get("Type") == "CommaDelimitedList" and isinstance(v, str):
        return v.split(",")
    return v


def evaluate(node, template: dict, params: dict):
    """Resolves Ref to parameters, Fn::Equals/Not/And/Or/Condition/Join/If; leaves the rest."""
    if isinstance(node, list):
        return [evaluate(n, template, params) for n in node]
    if not isinstance(node, dict):
        return node
    if len(node) != 1:
        return {k: evaluate(v, template, params) for k, v in node.items()}
    (key, value), = node.items()
    if key == "Ref" and value in template.get("Parameters", {}):
        return param_value(params, template, value)
    if key == "Condition":
        return evaluate(template["Conditions"][value], template, params)
    if key == "Fn::Equals":
        a, b = (evaluate(v, template, params) for v in value)
        return a == b
    if key == "Fn::Not":
        return not evaluate(value[0], template, params)
    if key == "Fn::And":
        return all(evaluate(v, template, params) for v in value)
    if key == "Fn::Or":
        return any(evaluate(v, template, params) for v in value)
    if key == "Fn::Join":
        sep, parts = value
        parts = evaluate(parts, template, params)
        if isinstance(parts, list) and all(isinstance(p, str) for p in parts):
            return sep.join(parts)
        return {"Fn::Join": [sep, parts]}
    if key == "Fn::If":
        cond, yes, no = value
        chosen = yes if evaluate(template["Conditions"][cond], template, params) else no
        return evaluate(chosen, template, params)
    return {key: evaluate(value, template, params)}


# ---------------------------------------------------------------------------------------------
# 1 and 2: authorizer and CORS

def function_binaries(cfn: dict, sam: dict) -> dict[str, str]:
    """Function logical id -> the cargo package it builds."""
    out = {}
    for name, r in sam["Resources"].items():
        if r.get("Type") == "AWS::Serverless::Function":
            out[name] = r.get("Metadata", {}).get("BuildProperties", {}).get("Binary", name)
    return out


def integration_function(op: dict) -> str | None:
    uri = op.get("x-amazon-apigateway-integration", {}).get("uri", {})
    text = json.dumps(uri)
    m = re.search(r"\$\{(\w+?)(?:Aliaslive|Alias\w+)?(?:\.Arn)?\}", text)
    return m.group(1) if m else None


def check_routes(cfn: dict, sam: dict, params: dict) -> list[str]:
    problems = []
    binaries = function_binaries(cfn, sam)
    apis = [(n, r) for n, r in cfn["Resources"].items() if r["Type"] == "AWS::ApiGatewayV2::Api"]
    if not apis:
        return ["no HTTP API in the translated template"]
    for api_name, api in apis:
        body = api["Properties"].get("Body", {})
        schemes = body.get("components", {}).get("securitySchemes", {})
        jwt = [k for k, v in schemes.items()
               if v.get("x-amazon-apigateway-authorizer", {}).get("type") == "jwt"]
        if len(jwt) != 1:
            problems.append(f"{api_name}: expected one JWT authorizer, found {jwt}")
            continue
        authorizer = jwt[0]
        routes = 0
        for path, ops in body.get("paths", {}).items():
            for method, op in ops.items():
                if not isinstance(op, dict) or "x-amazon-apigateway-integration" not in op:
                    continue
                routes += 1
                fn = integration_function(op)
                binary = binaries.get(fn, fn)
                guarded = any(authorizer in s for s in op.get("security", []))
                route = f"{method.upper()} {path} ({binary})"
                public = binary in UNAUTHENTICATED or f"{method.upper()} {path}" in PUBLIC_ROUTES
                if public and guarded:
                    problems.append(f"{route} is behind the JWT authorizer: its caller has no token")
                if not public and not guarded:
                    problems.append(f"{route} is not behind the JWT authorizer")
        if routes == 0:
            problems.append(f"{api_name}: no routes found in the translated body")
        cfg = evaluate(schemes[authorizer]["x-amazon-apigateway-authorizer"]["jwtConfiguration"],
                       sam, params)
        own_pool = evaluate(sam["Conditions"]["CreateUserPool"], sam, params)
        if own_pool:
            if "${UserPool}" not in json.dumps(cfg.get("issuer")):
                problems.append(f"authorizer issuer is {cfg.get('issuer')}, not the stack's user pool")
            if cfg.get("audience") != [{"Ref": "UserPoolClient"}]:
                problems.append(f"authorizer audience is {cfg.get('audience')}, not the app client")
        else:
            if cfg.get("issuer") != params.get("JwtIssuer"):
                problems.append(f"authorizer issuer {cfg.get('issuer')} is not JwtIssuer")
            if cfg.get("audience") != param_value(params, sam, "JwtAudience"):
                problems.append(f"authorizer audience {cfg.get('audience')} is not JwtAudience")
        cors = body.get("x-amazon-apigateway-cors") or {}
        origins = evaluate(cors.get("allowOrigins", []), sam, params)
        if params.get("AllowedOrigin"):
            expected = [params["AllowedOrigin"]]
        else:
            expected = [{"Fn::Sub": "https://${ConsoleDistribution.DomainName}"}]
        if origins != expected:
            problems.append(f"CORS allows {origins}, expected exactly {expected}")
        headers = {h.lower() for h in cors.get("allowHeaders", [])}
        if not CONSOLE_HEADERS <= headers:
            problems.append(f"CORS allows headers {sorted(headers)}, the console sends {sorted(CONSOLE_HEADERS)}")
    return problems


# ---------------------------------------------------------------------------------------------
# 3: the actions each function's code can call

def strip_tests(text: str) -> str:
    """Drops `#[cfg(test)] mod … { … }` blocks and comments."""
    text = re.sub(r"//[^\n]*", "", text)
    out, i = [], 0
    for m in re.finditer(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*\{", text):
        if m.start() < i:
            continue
        out.append(text[i:m.start()])
        depth, j = 1, m.end()
        while j < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        i = j
    out.append(text[i:])
    return "".join(out)


FN_RE = re.compile(r"(\bpub(?:\s*\([^)]*\))?\s+)?(?:(?:async|const|unsafe)\s+)*\bfn\s+(\w+)\s*(?:<[^{;]*?>)?\s*\(([^)]*)\)[^{;]*\{")


def functions_of(text: str) -> list[tuple[str, bool, str, bool]]:
    """(name, is_method, body, is_public) of every fn item with a body (`pub`, not `pub(crate)`)."""
    found = []
    for m in FN_RE.finditer(text):
        depth, j = 1, m.end()
        while j < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        public = (m.group(1) or "").strip() == "pub"
        found.append((m.group(2), "self" in m.group(3), text[m.end():j], public))
    return found


def leaves(body: str) -> set[str]:
    """What one body calls directly: `dynamodb:X`, `s3:X`, … and `query:table` / `query:index`."""
    out = set()
    for op in re.findall(r"\.\s*(\w+)\s*\(\s*\)", body):
        if op == "query":
            continue  # below: on the table or on an index
        if op in DYNAMODB_OPS and DYNAMODB_OPS[op]:
            out.add(f"dynamodb:{DYNAMODB_OPS[op]}")
        elif op in OTHER_OPS:
            out.add(OTHER_OPS[op])
    for kind in re.findall(r"\b(\w+)::builder\s*\(", body):
        if kind in TRANSACT_BUILDERS:
            out.add(f"dynamodb:{TRANSACT_BUILDERS[kind]}")
    if re.search(r"\baudit_entry\s*\(", body):
        out.add("audit:put")  # creates an audit entry (keys::audit_entry)
    if re.search(r"\.\s*query\s*\(\s*\)", body):
        out.add("query:index" if ".index_name(" in body.replace(" ", "").replace("\n", "") else "query:table")
    return out


def workspace_path_deps(manifest: Path, workspace_deps: dict[str, Path]) -> set[Path]:
    """Crate directories a manifest depends on (workspace path dependencies), transitively."""
    seen: set[Path] = set()
    todo = [manifest]
    while todo:
        text = todo.pop().read_text()
        section = re.search(r"^\[dependencies\]\n(.*?)(?=^\[|\Z)", text, re.S | re.M)
        for line in (section.group(1) if section else "").splitlines():
            m = re.match(r"\s*([\w-]+)\s*(?:\.workspace\s*=\s*true|=\s*\{[^}]*workspace\s*=\s*true)", line)
            p = re.match(r"\s*([\w-]+)\s*=\s*\{[^}]*path\s*=\s*\"([^\"]+)\"", line)
            target = None
            if m and m.group(1) in workspace_deps:
                target = workspace_deps[m.group(1)]
            elif p:
                target = (manifest.parent / p.group(2)).resolve()
            if target and target not in seen:
                seen.add(target)
                todo.append(target / "Cargo.toml")
    return seen


def workspace_dependencies(root: Path) -> dict[str, Path]:
    text = (root / "Cargo.toml").read_text()
    section = re.search(r"^\[workspace\.dependencies\]\n(.*?)(?=^\[|\Z)", text, re.S | re.M)
    out = {}
    for line in (section.group(1) if section else "").splitlines():
        m = re.match(r"\s*([\w-]+)\s*=\s*\{[^}]*path\s*=\s*\"([^\"]+)\"", line)
        if m:
            out[m.group(1)] = (root / m.group(2)).resolve()
    return out


def rust_sources(crate: Path) -> list[Path]:
    return sorted(p for p in (crate / "src").rglob("*.rs") if "bin" not in p.relative_to(crate / "src").parts)


def index_constants(store_dirs: list[Path]) -> dict[str, str]:
    """`pub const BY_OWNER: IndexSpec = IndexSpec { name: "by_owner", …` -> {BY_OWNER: by_owner}."""
    out = {}
    for d in store_dirs:
        for f in rust_sources(d):
            for m in re.finditer(r"const\s+(\w+)\s*:\s*IndexSpec\s*=\s*IndexSpec\s*\{\s*name:\s*\"([^\"]+)\"",
                                 f.read_text()):
                out[m.group(1)] = m.group(2)
    return out


class Fn:
    def __init__(self, ident: str, crate: str, uses: dict[str, str], body: str, public: bool,
                 module: str = ""):
        self.ident, self.crate, self.uses, self.body, self.public = ident, crate, uses, body, public
        # The file's module path in its crate (`sweep`, `incidents::read`; "" for lib.rs/main.rs).
        self.module = module


def module_of(crate_src: Path, file: Path) -> str:
    parts = list(file.relative_to(crate_src).with_suffix("").parts)
    if parts and parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return "::".join(parts)


def crate_name(directory: Path) -> str:
    m = re.search(r'^name\s*=\s*"([^"]+)"', (directory / "Cargo.toml").read_text(), re.M)
    return (m.group(1) if m else directory.name).replace("-", "_")


def imports(text: str) -> dict[str, str]:
    """Names a file imports with `use`, to the crate they come from (`crate`/`super` -> "")."""
    out = {}
    for m in re.finditer(r"\buse\s+([^;]+);", text):
        tree = m.group(1)
        root_ = re.match(r"\s*(\w+)", tree)
        if not root_:
            continue
        origin = root_.group(1)
        for name in re.findall(r"(\w+)\s*(?=[,}]|$)", tree):
            out[name] = origin
        # `use usecases::sub_problem::{self, Decided};` imports the module name too.
        for module in re.findall(r"(\w+)\s*::\s*\{[^}]*\bself\b", tree):
            out[module] = origin
        # `use store::incidents;` imports the module name itself.
        last = re.findall(r"(\w+)\s*$", tree)
        if last:
            out[last[0]] = origin
    return {k: v for k, v in out.items()}


def code_actions(root: Path, binary: str, overlay: dict[Path, str] | None = None,
                 trace: list[str] | None = None) -> dict[str, set[str]]:
    """resource -> actions: "table" -> {dynamodb:…}, "index/<name>" -> {dynamodb:Query}, "*" -> others."""
    overlay = overlay or {}

    def read(p: Path) -> str:
        return overlay.get(p, p.read_text())

    crate = root / "functions" / binary
    deps = sorted(workspace_path_deps(crate / "Cargo.toml", workspace_dependencies(root)))
    indexes = index_constants(deps)
    crate_names = {crate_name(d): d for d in deps}
    # Every fn item of the dependencies. Methods by name; free functions by (crate, name).
    methods: dict[str, list[Fn]] = {}
    free: dict[tuple[str, str], list[Fn]] = {}
    for d in deps:
        for f in rust_sources(d):
            text = strip_tests(read(f))
            uses = imports(text)
            for name, is_method, body, public in functions_of(text):
                fn = Fn(f"{f.relative_to(root)}::{name}", crate_name(d), uses, body, public,
                        module_of(d / "src", f))
                if is_method:
                    methods.setdefault(name, []).append(fn)
                else:
                    free.setdefault((fn.crate, name), []).append(fn)
    own_text = "\n".join(strip_tests(read(f)) for f in sorted((crate / "src").rglob("*.rs")))
    own = Fn("<function crate>", crate_name(crate), imports(own_text), own_text, True)

    def arguments(body: str, open_paren: int) -> str:
        depth, j = 1, open_paren + 1
        while j < len(body) and depth:
            depth += {"(": 1, ")": -1}.get(body[j], 0)
            j += 1
        return body[open_paren + 1:j - 1]

    def resolve_free(caller: Fn, path: list[str], name: str) -> list[Fn]:
        """An unqualified call is the caller's crate's fn or one it imports; `a::b::f(` is in
        crate `a` (or the caller's, for crate/self/super and its own modules)."""
        if path:
            root_ = path[0]
            if root_ in ("crate", "self", "super"):
                target = caller.crate
            elif root_ in crate_names:
                target = root_
            else:
                target = caller.uses.get(root_, caller.crate)
        else:
            target = caller.uses.get(name, caller.crate)
        if target in ("crate", "self", "super"):
            target = caller.crate
        candidates = free.get((target, name), [])
        # A call through a module (`sweep::decide(`, `usecases::claim::submit(`) is that
        # module's fn; an unqualified one in the caller's own crate is its own module's if it
        # has one. Otherwise every fn of that name in the crate (an over-approximation).
        module = path[-1] if path and path[-1] not in ("crate", "self", "super") and path[-1] != target else None
        if module:
            narrowed = [c for c in candidates if c.module.split("::")[-1] == module]
            return narrowed or candidates
        if not path and target == caller.crate:
            narrowed = [c for c in candidates if c.module == caller.module]
            return narrowed or candidates
        return candidates

    def calls(caller: Fn, broad: bool) -> list[tuple[Fn, str]]:
        """Each function this body may call, with the argument text of the call."""
        body = caller.body
        out = []
        # Methods: on `self` or on anything named store or objects (`app.store.incident(`,
        # `objects.head(`); from the function crate, on any receiver (`.name(`):
        # over-approximation.
        receiver = r"\." if broad else r"\b(?:self|store|objects)\s*\."
        for m in re.finditer(receiver + r"\s*(\w+)\s*(?:::<[^>]*>)?\s*\(", body):
            args = arguments(body, m.end() - 1)
            # Another crate sees only `pub` methods (the function crate calls into the others).
            out += [(fn, args) for fn in methods.get(m.group(1), [])
                    if fn.crate == caller.crate or fn.public]
        # Free functions: `name(` or `path::name(`, not a method call.
        for m in re.finditer(r"(?<![\w.:])((?:\w+::)*)(\w+)\s*(?:::<[^>]*>)?\s*\(", body):
            path = [p for p in m.group(1).split("::") if p]
            args = arguments(body, m.end() - 1)
            out += [(fn, args) for fn in resolve_free(caller, path, m.group(2))]
        return out

    def named(text: str) -> set[str]:
        return {indexes[c] for c in re.findall(r"\b([A-Z][A-Z0-9_]+)\b", text) if c in indexes}

    found: set[str] = set()
    index_queries: set[str] = set()
    reached: set[str] = set()
    todo = [(own, "", True, "")]
    while todo:
        fn, args, broad, via = todo.pop()
        ident, body = fn.ident, fn.body
        key = ident + "\0" + args
        if key in reached:
            continue
        reached.add(key)
        here = leaves(body)
        if "query:index" in here:
            # The index is a constant in the call (`.index_name(AWAITING.name)`), or the
            # caller's argument (`query_index_page(&BY_OWNER, …)`).
            constant = named(" ".join(re.findall(r"\.index_name\(([^)]*)\)", body)))
            index_queries |= constant or named(args)
            if not (constant or named(args)):
                found.add("query:index:unknown")
        found |= here - {"query:index"}
        if trace is not None and here:
            trace.append(f"{ident} (from {via}): {sorted(here)}")
        # An index handed down a chain of helpers (`query_index_page(&BY_OWNER, …)` ->
        # `query_index_filtered(index, …)`) stays the caller's: arguments that name no index
        # inherit the ones this function was reached with.
        todo += [(callee, a if named(a) else args, False, ident) for callee, a in calls(fn, broad)]
    out: dict[str, set[str]] = {"table": set(), "*": set()}
    for a in found:
        if a == "query:table":
            out["table"].add("dynamodb:Query")
        elif a == "query:index:unknown":
            for i in indexes.values():
                out.setdefault(f"index/{i}", set()).add("dynamodb:Query")
        elif a.startswith("dynamodb:"):
            out["table"].add(a)
        else:
            out["*"].add(a)
    for i in index_queries:
        out.setdefault(f"index/{i}", set()).add("dynamodb:Query")
    return {k: v for k, v in out.items() if v or k == "table"}


def role_grants(cfn: dict, function: str) -> dict[str, set[str]]:
    """The same shape, from the function's role: resource -> actions allowed."""
    fn = cfn["Resources"][function]
    role_ref = fn["Properties"]["Role"]
    role = cfn["Resources"][role_ref["Fn::GetAtt"][0]]
    out: dict[str, set[str]] = {}
    for policy in role["Properties"].get("Policies", []):
        for st in policy["PolicyDocument"]["Statement"]:
            if st.get("Effect") != "Allow":
                continue
            actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            resources = st.get("Resource", "*")
            resources = resources if isinstance(resources, list) else [resources]
            for res in resources:
                text = json.dumps(res)
                if res == {"Fn::GetAtt": ["Table", "Arn"]}:
                    key = "table"
                elif m := re.fullmatch(r'\{"Fn::Sub": "\$\{Table\.Arn\}/index/([\w*-]+)"\}', text):
                    key = f"index/{m.group(1)}"
                else:
                    key = "*"
                out.setdefault(key, set()).update(actions)
    return out


def granted(grants: dict[str, set[str]], resource: str, action: str) -> bool:
    keys = [resource, "*"] + [k for k in grants if fnmatch.fnmatch(resource, k)]
    return any(fnmatch.fnmatch(action, pattern) for k in keys for pattern in grants.get(k, ()))


def check_roles(cfn: dict, sam: dict, root: Path = ROOT, overlay=None) -> list[str]:
    problems = []
    for function, binary in function_binaries(cfn, sam).items():
        if not (root / "functions" / binary / "Cargo.toml").is_file():
            problems.append(f"{function} builds {binary}, which is not in functions/")
            continue
        needed = code_actions(root, binary, overlay)
        grants = role_grants(cfn, function)
        for resource, actions in sorted(needed.items()):
            for a in sorted(actions):
                if a.startswith("audit:"):
                    continue  # not an IAM action: check_audit_append_only reads it
                if not granted(grants, resource, a):
                    where = "the table" if resource == "table" else resource
                    problems.append(f"{function} ({binary}) calls {a} on {where}; its role does not allow it")
        for resource, actions in sorted(grants.items()):
            for a in sorted(actions):
                if a.split(":")[0] not in ("dynamodb", "s3", "ses", "sns"):
                    continue
                if a in STREAM_ACTIONS:
                    continue  # used by an event source mapping, not by the function's code
                if not any(fnmatch.fnmatch(n, a) for n in needed.get(resource, set()) | needed.get("*", set())):
                    problems.append(f"{function} ({binary}): its role allows {a} on {resource}, which no code of it calls")
    return problems


# ---------------------------------------------------------------------------------------------
# 7: audit entries are append-only

MUTATING = ["dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"]


def audit_prefix(root: Path = ROOT) -> str:
    text = (root / "shared" / "store" / "src" / "keys.rs").read_text()
    m = re.search(r'pub const AUDIT_PREFIX: &str = "([^"]+)";', text)
    assert m, "AUDIT_PREFIX is not in shared/store/src/keys.rs"
    return m.group(1)


def audit_denials(cfn: dict, function: str, prefix: str) -> set[str]:
    """The actions the function's role denies on the table for items of the audit partitions."""
    fn = cfn["Resources"][function]
    role = cfn["Resources"][fn["Properties"]["Role"]["Fn::GetAtt"][0]]
    out: set[str] = set()
    for policy in role["Properties"].get("Policies", []):
        for st in policy["PolicyDocument"]["Statement"]:
            if st.get("Effect") != "Deny" or st.get("Resource") != {"Fn::GetAtt": ["Table", "Arn"]}:
                continue
            cond = st.get("Condition", {}).get("ForAnyValue:StringLike", {})
            keys = cond.get("dynamodb:LeadingKeys", [])
            keys = keys if isinstance(keys, list) else [keys]
            if f"{prefix}*" not in keys or len(st.get("Condition", {})) != 1:
                continue
            actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            out |= set(actions)
    return out


def check_audit_append_only(cfn: dict, sam: dict, root: Path = ROOT, overlay=None) -> list[str]:
    problems = []
    prefix = audit_prefix(root)
    for function, binary in function_binaries(cfn, sam).items():
        grants = role_grants(cfn, function)
        denied = audit_denials(cfn, function, prefix)
        must = [a for a in MUTATING if granted(grants, "table", a)]
        writes_audit = "audit:put" in code_actions(root, binary, overlay).get("*", set())
        if granted(grants, "table", "dynamodb:PutItem") and not writes_audit:
            must.append("dynamodb:PutItem")
        for a in must:
            if a not in denied:
                problems.append(f"{function} ({binary}) may {a} on {prefix}* items: its role has no "
                                f"Deny of it with dynamodb:LeadingKeys {prefix}*")
    return problems


# ---------------------------------------------------------------------------------------------
# 4 and 5: alarms, outputs

def check_alarms(cfn: dict) -> list[str]:
    problems = []
    expected = [{"Fn::If": ["CreateAlarmTopic", {"Ref": "AlarmTopic"}, {"Ref": "AlarmTopicArn"}]}]
    for name, r in cfn["Resources"].items():
        if r["Type"] == "AWS::CloudWatch::Alarm" and r["Properties"].get("AlarmActions") != expected:
            problems.append(f"{name} does not notify the alarm topic: AlarmActions {r['Properties'].get('AlarmActions')}")
    return problems


def check_outputs(sam: dict) -> list[str]:
    script = (ROOT / "scripts" / "deploy-console.sh").read_text()
    wanted = set(re.findall(r'out\["(\w+)"\]', script)) | set(re.findall(r'out\.get\("(\w+)"', script))
    missing = sorted(wanted - set(sam.get("Outputs", {})))
    return [f"scripts/deploy-console.sh reads output {m}, which the template does not have" for m in missing]


# ---------------------------------------------------------------------------------------------
# 6: logging

LAMBDA_LOG_LEVELS = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}


def check_logging(cfn: dict, sam: dict) -> list[str]:
    problems = []
    level = {"Fn::FindInMap": ["LogLevels", {"Ref": "LogLevel"}, "Application"]}
    mapping = sam.get("Mappings", {}).get("LogLevels", {})
    for value in sam["Parameters"]["LogLevel"]["AllowedValues"]:
        if mapping.get(value, {}).get("Application") not in LAMBDA_LOG_LEVELS:
            problems.append(f"LogLevel {value} maps to no Lambda log level: {mapping.get(value)}")
    functions = [n for n, r in cfn["Resources"].items() if r["Type"] == "AWS::Lambda::Function"]
    if not functions:
        problems.append("no AWS::Lambda::Function in the translated template")
    for name in functions:
        props = cfn["Resources"][name]["Properties"]
        config = props.get("LoggingConfig", {})
        if config.get("LogFormat") != "JSON":
            problems.append(f"{name} does not log JSON: LoggingConfig {config}")
        if config.get("ApplicationLogLevel") != level:
            problems.append(f"{name}'s ApplicationLogLevel is not the LogLevel parameter's: {config}")
        if config.get("SystemLogLevel") != "WARN":
            problems.append(f"{name}'s SystemLogLevel is not WARN: {config}")
        if "Ref" not in config.get("LogGroup", {}):
            problems.append(f"{name} has no log group of the stack's: {config}")
        if "RUST_LOG" in props.get("Environment", {}).get("Variables", {}):
            problems.append(f"{name} is given RUST_LOG, which overrides AWS_LAMBDA_LOG_LEVEL")
    return problems


# ---------------------------------------------------------------------------------------------

PARAMETER_SETS = [
    {},
    {"JwtIssuer": "https://issuer.example.com/realm", "JwtAudience": "console-client,cli-client",
     "AllowedOrigin": "https://support.example.com", "Architecture": "x86_64", "AlarmTopicArn":
     "arn:aws:sns:us-east-1:123456789012:ops"},
]


def run_checks(sam: dict, overlay=None) -> list[str]:
    problems = []
    for overrides in PARAMETER_SETS:
        cfn, params = translate(sam, overrides)
        label = "defaults" if not overrides else "external issuer and origin"
        problems += [f"[{label}] {p}" for p in check_routes(cfn, sam, params)]
        if not overrides:
            problems += check_roles(cfn, sam, overlay=overlay)
            problems += check_alarms(cfn)
            problems += check_outputs(sam)
            problems += check_logging(cfn, sam)
            problems += check_audit_append_only(cfn, sam, overlay=overlay)
    return problems


def self_test(sam: dict) -> list[str]:
    """Each check must fail on an input broken on purpose; returns what did NOT fail."""
    failures = []
    cfn, params = translate(sam)
    # A role missing an action its code calls.
    broken = copy.deepcopy(sam)
    statements = broken["Resources"]["IntakeFunction"]["Properties"]["Policies"][0]["Statement"]
    statements[0]["Action"] = [a for a in statements[0]["Action"] if a != "dynamodb:UpdateItem"]
    out = check_roles(translate(broken)[0], broken)
    if not any("IntakeFunction" in p and "dynamodb:UpdateItem" in p for p in out):
        failures.append(f"removing UpdateItem from intake's role went unnoticed: {out}")
    # Code calling an action its role lacks: the sweep's page read (`due_for_breach`, which the
    # sweep use case calls) writes a batch (the sweeper may delete items since its privacy step,
    # so the injected call is one no role of it allows).
    sweep = ROOT / "shared" / "store" / "src" / "incidents" / "read.rs"
    text = sweep.read_text()
    hook = "pub async fn due_for_breach"
    body = 'let upper = format!("{}#", format_instant(as_of));'
    assert hook in text and body in text, "self-test: due_for_breach changed; update the hook"
    injected = text.replace(hook, "async fn smoke_delete(&self) { let _ = self.client.batch_write_item().send().await; }\n" + hook, 1)
    injected = injected.replace(body, "self.smoke_delete().await; " + body, 1)
    out = check_roles(cfn, sam, overlay={sweep: injected})
    if not any("SlaSweeperFunction" in p and "dynamodb:BatchWriteItem" in p for p in out):
        failures.append(f"an injected batch_write_item in the sweep went unnoticed: {out}")
    # A route without the authorizer.
    broken = copy.deepcopy(sam)
    broken["Resources"]["IntakeFunction"]["Properties"]["Events"]["GetProducts"]["Properties"]["Auth"] = {"Authorizer": "NONE"}
    c, p = translate(broken)
    out = check_routes(c, broken, p)
    if not any("GET /products" in x for x in out):
        failures.append(f"a route without the authorizer went unnoticed: {out}")
    # A wildcard origin.
    broken = copy.deepcopy(sam)
    broken["Resources"]["HttpApi"]["Properties"]["CorsConfiguration"]["AllowOrigins"] = ["*"]
    c, p = translate(broken)
    out = check_routes(c, broken, p)
    if not any("CORS allows" in x for x in out):
        failures.append(f"a wildcard CORS origin went unnoticed: {out}")
    # A function that logs plain text.
    broken = copy.deepcopy(sam)
    broken["Resources"]["SlaSweeperFunction"]["Properties"]["LoggingConfig"]["LogFormat"] = "Text"
    out = check_logging(translate(broken)[0], broken)
    if not any("SlaSweeperFunction does not log JSON" in x for x in out):
        failures.append(f"a function logging text went unnoticed: {out}")
    # A role without the audit deny; one whose condition names another prefix; a non-auditing
    # role allowed to put audit items.
    for name, breakage in [
        ("ClosureFunction", lambda st: [x for x in st if x.get("Sid") != "AuditEntriesAreAppendOnly"]),
        ("ResponseFunction", lambda st: [dict(x, Condition={"ForAnyValue:StringLike": {"dynamodb:LeadingKeys": ["AUDIT_LOG#*"]}})
                                         if x.get("Sid") == "AuditEntriesAreAppendOnly" else x for x in st]),
        ("PaymentWebhookFunction", lambda st: [dict(x, Action=[a for a in x["Action"] if a != "dynamodb:PutItem"])
                                         if x.get("Sid") == "AuditEntriesAreAppendOnly" else x for x in st]),
    ]:
        broken = copy.deepcopy(sam)
        policy = broken["Resources"][name]["Properties"]["Policies"][0]
        policy["Statement"] = breakage(policy["Statement"])
        out = check_audit_append_only(translate(broken)[0], broken)
        if not any(x.startswith(name) for x in out):
            failures.append(f"a broken audit deny of {name} went unnoticed: {out}")
    return failures


def main() -> int:
    # samtranslator logs feature-toggle and metrics notes at warning level: not ours to show.
    logging.disable(logging.WARNING)
    sam = load_template()
    problems = run_checks(sam)
    if "--self-test" in sys.argv:
        problems += [f"self-test: {f}" for f in self_test(sam)]
    if "--print" in sys.argv:
        cfn, _ = translate(sam)
        for function, binary in function_binaries(cfn, sam).items():
            trace: list[str] = []
            needed = code_actions(ROOT, binary, trace=trace)
            print(f"{binary}: " + "; ".join(f"{r}: {', '.join(sorted(a))}" for r, a in sorted(needed.items())))
            for t in sorted(trace):
                print(f"    {t}")
    for p in problems:
        print(f"!! {p}")
    if problems:
        print(f"template checks: {len(problems)} problem(s)")
        return 1
    print("template checks: routes behind the authorizer, CORS origin, roles = code's calls, alarm actions, outputs, JSON logging, append-only audit entries: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
