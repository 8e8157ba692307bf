"""Group import (issue 17): `lambdabridge import` on SAM templates,
OpenAPI definitions and serverless.yml.  Templates in the shapes of AWS's own samples
(tests/integration/import/: several APIs, the implicit API, Globals, a
Lambda authorizer, CORS, parameters, conditions, mappings, intrinsics in
both forms, a custom runtime, a REST API's CORS) are imported, checked
with `lambdabridge check`, served by a bridge behind nginx and driven with
requests whose events and preflights are compared with what the template
declares; a nodejs20.x function runs through the built-in runtime table
and AWS's Node.js runtime interface client when it is installed.  The real API
definitions others published, each with the EXPECTED.json of what it
declares, are imported from ../shared/import-cases (by path: they are not
part of the repository) when that folder exists.
"""

import glob
import json
import os
import re
import shutil

import harness as h

TEMPLATES = os.path.join(h.HERE, "import")
CASES = os.environ.get("LB_IMPORT_CASES",
                       os.path.join(os.path.dirname(h.REPO), "shared", "import-cases"))
G = h.Group("import", "lambdabridge import: SAM, OpenAPI, serverless.yml to a configuration, "
            "served behind nginx")


class Fx:
    pass


def run_import(args, cwd=None):
    return h.run_cmd([h.LB_BIN, "import"] + list(args))


def gateway_lines():
    """What every test configuration's gateway carries (README.md): the
    socket's group for nginx's workers, and the user to drop to."""
    return "  @LISTEN_ACCESS@\n  user = \"@USER@\"; group = \"@GROUP@\";\n"


def write_conf(env, text, name):
    """The imported configuration, with the test gateway lines in place of
    its `user`, written beside the template as NAME.conf."""
    ok = re.search(r'^  user = "nobody";.*$', text, re.M)
    h.ok(ok, "no user line in:\n" + text)
    tpl = env.path(name + ".conf.in")
    with open(tpl, "w") as f:
        f.write(text[:ok.start()] + gateway_lines() + text[ok.end() + 1:])
    path = env.path(name + ".conf")
    with open(path, "w") as f:
        f.write(h.substitute(tpl, {"LISTEN_ACCESS": h.listen_access()}))
    return path


def check(conf):
    r = h.run_cmd([h.LB_BIN, "check", "-c", conf])
    h.ok(r.returncode == 0, "check -c %s: %d\n%s%s" % (conf, r.returncode, r.stdout, r.stderr))
    return r.stdout


ROUTE = re.compile(r'^  (# )?\{ route = "([^"]*)"; function = "([^"]*)";(.*)\}', re.M)


def routes_of(text):
    """{route key: (commented, function, authorizer, api_key_required)}"""
    out = {}
    for m in ROUTE.finditer(text):
        rest = m.group(4)
        auth = re.search(r'authorizer = "([^"]*)"', rest)
        out[m.group(2)] = (bool(m.group(1)), m.group(3), auth and auth.group(1),
                           "api_key_required = true" in rest)
    return out


def functions_of(text):
    """{name: the text of its block}"""
    out = {}
    for m in re.finditer(r'^  (?:# )?\{ name = "([^"]*)";(.*?)\}', text, re.M | re.S):
        if m.start() > text.find("functions = ("):
            out.setdefault(m.group(1), m.group(2))
    return out


@G.setup
def setup(env):
    h.need_modules(os.path.join(h.TEST_HANDLERS, "integ_fn.so"),
                   os.path.join(h.TEST_HANDLERS, "authz.so"))
    fx = Fx()
    fx.env = env
    # the template's directory: the handlers and the custom runtime beside it
    for name in ("sam-app.yaml", "openapi-http.yaml"):
        shutil.copy(os.path.join(TEMPLATES, name), env.path(name))
    os.symlink(h.TEST_HANDLERS, env.path("handlers"))
    os.symlink(os.path.join(h.REPO, "handlers", "provided"), env.path("provided"))
    fx.sam = {}
    for api in ("ServerlessRestApi", "OrdersApi", "ChatApi"):
        r = run_import(["--param", "Greeting=Hi", "--api", api, env.path("sam-app.yaml")])
        if r.returncode != 3:
            raise h.SetupError("import --api %s: %d\n%s" % (api, r.returncode, r.stderr))
        fx.sam[api] = (r.stdout, r.stderr, write_conf(env, r.stdout, "sam-" + api))
    r = run_import(["--function", "PetsFunction=handlers/integ_fn.so:integ_echo",
                    "--function", "AuthFunction=handlers/authz.so:authz_handler",
                    env.path("openapi-http.yaml")])
    if r.returncode != 3:
        raise h.SetupError("import openapi-http.yaml: %d\n%s" % (r.returncode, r.stderr))
    fx.openapi = (r.stdout, r.stderr, write_conf(env, r.stdout, "openapi"))
    shutil.copy(os.path.join(TEMPLATES, "serverless.yml"), env.path("serverless.yml"))
    fx.sls = {}
    for api in ("ApiGatewayRestApi", "HttpApi"):
        r = run_import(["--param", "GREETING=Hey", "--api", api,
                        "--function", "hello=handlers/integ_fn.so:integ_echo",
                        "--function", "auth=handlers/authz.so:authz_handler",
                        env.path("serverless.yml")])
        if r.returncode != 3:
            raise h.SetupError("import serverless.yml: %d\n%s" % (r.returncode, r.stderr))
        fx.sls[api] = (r.stdout, r.stderr, write_conf(env, r.stdout, "sls-" + api))
    fx.ports = {}
    for name, conf in ([(k, v[2]) for k, v in fx.sam.items()] + [("openapi", fx.openapi[2])]
                       + [("sls-" + k, v[2]) for k, v in fx.sls.items()]):
        bridge = h.start_bridge(env, conf)
        fx.ports[name] = h.start_nginx(env, bridge.sock).port
    return fx


def echo(r):
    h.status_is(r, 200)
    return r.json()


@G.test
def sam_configs_pass_check(fx):
    for api, (_, _, conf) in sorted(fx.sam.items()):
        check(conf)
    check(fx.openapi[2])


@G.test
def sam_warnings_name_file_and_line(fx):
    text, err, _ = fx.sam["ServerlessRestApi"]
    want = "%s:217: event 'Jobs' of type 'SQS' is no API event" % fx.env.path("sam-app.yaml")
    h.ok(want in err, "stderr: " + err)
    h.ok("#   " + want in text, "no comment for it in the output")
    # ProdOnlyFunction's Condition is false with Stage=dev: not imported
    h.ok("ProdOnlyFunction" not in text and "/prod-only" not in text, text)


@G.test
def sam_implicit_rest_api(fx):
    port = fx.ports["ServerlessRestApi"]
    body = echo(h.http(port, "GET", "/Prod/hello?x=1"))
    ev = body["event"]
    h.eq(body["function"], "HelloWorldFunction")
    h.eq(ev["resource"], "/hello")
    h.eq(ev["path"], "/hello")
    h.eq(ev["requestContext"]["stage"], "Prod")
    h.eq(ev["stageVariables"], {"env": "dev"})
    h.eq(ev["queryStringParameters"], {"x": "1"})
    # Globals.Function's variables merged with the function's, intrinsics resolved
    h.eq(body["env"], "Hi-local-dev-us-east-1")
    ev = echo(h.http(port, "POST", "/Prod/items/42", body="{}"))["event"]
    h.eq(ev["resource"], "/items/{id}")
    h.eq(ev["httpMethod"], "POST")
    h.eq(ev["pathParameters"], {"id": "42"})
    # a route the template does not declare: REST's 403
    h.status_is(h.http(port, "GET", "/Prod/nothing"), 403)


@G.test
def sam_intrinsics_in_environment(fx):
    port = fx.ports["ServerlessRestApi"]
    want = {"MODE": "development", "JOINED": "a-dev-y", "DEBUG": "true",
            "GREETING": "Hi", "LOG_LEVEL": "debug",
            "ARN": "arn:aws:lambda:us-east-1:123456789012:function:HelloWorldFunction"}
    for name, value in sorted(want.items()):
        r = echo(h.http(port, "GET", "/Prod/env?do=env&name=" + name))
        h.eq(r.get("value"), value, name)


@G.test
def sam_rest_api_authorizer_and_responses(fx):
    port = fx.ports["OrdersApi"]
    r = h.http(port, "GET", "/dev/orders")
    h.status_is(r, 401)
    h.eq(r.body, b'{"msg":"Unauthorized"}')
    h.eq(r.header("X-Reason"), "auth")
    ev = echo(h.http(port, "GET", "/dev/orders", [("Authorization", "allow")]))["event"]
    h.eq(ev["requestContext"]["stage"], "dev")
    h.eq(ev["resource"], "/orders")
    h.ok("authorizer" in ev["requestContext"], "no authorizer context: %r" % ev["requestContext"])
    h.status_is(h.http(port, "GET", "/dev/orders", [("Authorization", "deny")]), 403)
    # Auth: {Authorizer: NONE} opts out of the DefaultAuthorizer
    echo(h.http(port, "GET", "/dev/orders/public"))


@G.test
def sam_http_api(fx):
    port = fx.ports["ChatApi"]
    ev = echo(h.http(port, "POST", "/messages/r1", body="hi"))["event"]
    h.eq(ev["version"], "1.0")
    h.eq(ev["resource"], "/messages/{room}")
    h.eq(ev["pathParameters"], {"room": "r1"})
    h.eq(ev["stageVariables"], {"color": "blue"})
    ev = echo(h.http(port, "GET", "/any/thing"))["event"]
    h.eq(ev["version"], "2.0")
    h.eq(ev["routeKey"], "$default")
    # CorsConfiguration: the gateway's headers; a preflight goes to the
    # $default route, as on AWS when there is one
    r = h.http(port, "OPTIONS", "/messages/r1",
               [("Origin", "https://app.example"), ("Access-Control-Request-Method", "POST")])
    h.eq(echo(r)["event"]["routeKey"], "$default")
    h.eq(r.header("access-control-allow-origin"), "https://app.example")
    r = h.http(port, "POST", "/messages/r1", [("Origin", "https://elsewhere.example")])
    h.eq(r.header("access-control-allow-origin"), None)
    # the provided.al2023 function: its unmodified bootstrap behind the shim
    r = h.http(port, "GET", "/greet")
    h.status_is(r, 200)
    h.eq(r.body, b"Hi from a custom runtime\n")  # GREETING: !Ref Greeting, --param


@G.test
def sam_several_apis_need_api(fx):
    r = run_import([fx.env.path("sam-app.yaml")])
    h.eq(r.returncode, 1, r.stderr)
    for api in ("ServerlessRestApi", "OrdersApi", "ChatApi"):
        h.ok(api in r.stderr, "%s not listed: %s" % (api, r.stderr))
    r = run_import(["--api", "Nope", fx.env.path("sam-app.yaml")])
    h.eq(r.returncode, 1)
    h.ok("no API 'Nope'" in r.stderr, r.stderr)


@G.test
def openapi_http_api(fx):
    port = fx.ports["openapi"]
    ev = echo(h.http(port, "GET", "/pets"))["event"]
    h.eq(ev["routeKey"], "GET /pets")
    h.eq(h.http(port, "GET", "/pets/7").status, 401)
    h.status_is(h.http(port, "GET", "/pets/7", [("Authorization", "simple-false")]), 403)
    ev = echo(h.http(port, "GET", "/pets/7", [("Authorization", "simple-true")]))["event"]
    h.eq(ev["pathParameters"], {"petId": "7"})
    h.ok("lambda" in ev["requestContext"]["authorizer"], repr(ev["requestContext"]))
    # the $default route with payload 1.0 (x-amazon-apigateway-any-method)
    ev = echo(h.http(port, "DELETE", "/pets/7"))["event"]
    h.eq(ev["version"], "1.0")
    h.eq(ev["resource"], "$default")
    r = h.http(port, "GET", "/pets", [("Origin", "https://shop.example")])
    h.eq(r.header("access-control-allow-origin"), "https://shop.example")
    text, err, _ = fx.openapi
    want = ":38: DELETE /pets/{petId}: integration type 'http_proxy' is not Lambda proxy"
    h.ok(want in err and want in text, err)


@G.test
def serverless_rest_api(fx):
    port = fx.ports["sls-ApiGatewayRestApi"]
    body = echo(h.http(port, "GET", "/dev/hello"))
    h.eq(body["function"], "hello")
    h.eq(body["env"], "Hey-shop-dev")  # ${self:custom.greeting}-${self:service}-${sls:stage}
    h.eq(body["event"]["resource"], "/hello")
    ev = echo(h.http(port, "PATCH", "/dev/items/5"))["event"]
    h.eq(ev["resource"], "/items/{id}")
    h.eq(ev["pathParameters"], {"id": "5"})
    # private: true, and provider.apiKeys' key
    h.status_is(h.http(port, "GET", "/dev/private"), 403)
    echo(h.http(port, "GET", "/dev/private", [("x-api-key", "pk-0123456789abcdef0123")]))
    # authorizer: auth (a function of the service: TOKEN)
    h.status_is(h.http(port, "GET", "/dev/secured"), 401)
    echo(h.http(port, "GET", "/dev/secured", [("Authorization", "allow")]))
    text, err, _ = fx.sls["ApiGatewayRestApi"]
    h.ok(":53: event 'sqs' is no API event" in err, err)
    check(fx.sls["ApiGatewayRestApi"][2])


@G.test
def serverless_http_api(fx):
    port = fx.ports["sls-HttpApi"]
    ev = echo(h.http(port, "GET", "/v2/hello"))["event"]
    h.eq(ev["routeKey"], "GET /v2/hello")
    h.eq(ev["version"], "2.0")
    ev = echo(h.http(port, "POST", "/else", body="x"))["event"]
    h.eq(ev["routeKey"], "$default")  # httpApi: '*'
    r = h.http(port, "GET", "/v2/hello", [("Origin", "https://any.example")])
    h.eq(r.header("access-control-allow-origin"), "*")  # provider.httpApi.cors: true
    check(fx.sls["HttpApi"][2])


@G.test
def exit_status_and_errors(fx):
    clean = fx.env.path("clean.yaml")
    with open(clean, "w") as f:
        f.write("Transform: AWS::Serverless-2016-10-31\nResources:\n"
                "  Fn:\n    Type: AWS::Serverless::Function\n"
                "    Properties: {Runtime: provided.al2, CodeUri: provided/, Handler: function.handler,\n"
                "      Events: {E: {Type: HttpApi, Properties: {Path: /x, Method: get}}}}\n")
    r = run_import([clean])
    h.eq(r.returncode, 0, r.stderr)
    h.eq(r.stderr, "")
    h.ok('route = "GET /x"' in r.stdout and 'code_dir = "provided/"' in r.stdout, r.stdout)
    check(write_conf(fx.env, r.stdout, "clean"))
    bad = fx.env.path("bad.yaml")
    with open(bad, "w") as f:
        f.write("Resources:\n  A: [1, 2\n  B: x\n")
    r = run_import([bad])
    h.eq(r.returncode, 1)
    h.ok(re.search(re.escape(bad) + r":\d+: ", r.stderr), r.stderr)
    h.eq(r.stdout, "")
    h.eq(run_import(["--format", "nope", bad]).returncode, 2)


@G.test
def json_template(fx):
    """A template written as JSON, in the long intrinsic forms."""
    tpl = {"AWSTemplateFormatVersion": "2010-09-09",
           "Transform": "AWS::Serverless-2016-10-31",
           "Parameters": {"Env": {"Type": "String", "Default": "qa"}},
           "Resources": {
               "Api": {"Type": "AWS::Serverless::Api",
                       "Properties": {"StageName": {"Ref": "Env"},
                                      "BinaryMediaTypes": ["image~1png"]}},
               "Fn": {"Type": "AWS::Serverless::Function",
                      "Metadata": {"lambdabridge": {"module": "handlers/integ_fn.so",
                                                    "handler": "integ_echo"}},
                      "Properties": {
                          "Runtime": "python3.12", "Handler": "app.handler",
                          "Environment": {"Variables": {"INTEG_VALUE": {
                              "Fn::Sub": ["${A}-${Env}", {"A": {"Fn::Join": ["", ["x", "y"]]}}]}}},
                          "Events": {"Get": {"Type": "Api", "Properties": {
                              "RestApiId": {"Ref": "Api"}, "Path": "/j", "Method": "get"}}}}}}}
    path = fx.env.path("tpl.json")
    with open(path, "w") as f:
        json.dump(tpl, f)
    r = run_import([path])
    h.eq(r.returncode, 0, r.stderr)
    h.ok('stage = "qa";' in r.stdout, r.stdout)
    h.ok('binary_media_types = [ "image/png" ];' in r.stdout, r.stdout)
    h.ok('INTEG_VALUE = "xy-qa";' in r.stdout, r.stdout)
    check(write_conf(fx.env, r.stdout, "json"))


def import_case(fx, folder):
    """Imports a shared case with what its EXPECTED.json says it needs:
    a --runtime for each language runtime (/bin/cat: only `check` runs
    it), a --function for each function without a runtime, a --param for
    each parameter without a Default; returns (result, expected, dir)."""
    with open(os.path.join(folder, "EXPECTED.json")) as f:
        exp = json.load(f)
    src = [p for p in glob.glob(os.path.join(folder, "*"))
           if not p.endswith(("EXPECTED.json", "SOURCE"))][0]
    args = []
    for fn in exp["functions"]:
        rt = fn.get("runtime")
        if rt is None:
            args += ["--function", "%s=handlers/integ_fn.so:integ_echo" % fn["name"]]
        elif not rt.startswith("provided"):
            args += ["--runtime", "%s=/bin/cat" % rt]
    args += ["--preflight", os.path.join(h.HANDLERS, "preflight.so")]
    r = run_import(args + [src])
    params = sorted(set(re.findall(r"give --param (\w+)=VALUE", r.stderr)))
    for p in params:
        args += ["--param", "%s=x" % p]
    out = []
    for api in exp["apis"]:
        r = run_import(args + ["--api", api["name"], src] if len(exp["apis"]) > 1 else args + [src])
        out.append((api, r))
    return src, exp, out


@G.test
def shared_cases_as_expected(fx):
    if not os.path.isdir(CASES):
        raise h.Skip("no import cases at %s (../shared/import-cases)" % CASES)
    seen = 0
    for folder in sorted(glob.glob(os.path.join(CASES, "*"))):
        if not os.path.isfile(os.path.join(folder, "EXPECTED.json")):
            continue
        src, exp, results = import_case(fx, folder)
        name = os.path.basename(folder)
        for api, r in results:
            h.ok(r.returncode in (0, 3), "%s: %d %s" % (name, r.returncode, r.stderr))
            text = r.stdout
            h.ok('api = "%s";' % api["type"] in text, "%s: type %s" % (name, api["type"]))
            h.ok('stage = "%s";' % (api["stage"] or "$default") in text, "%s: stage" % name)
            got = routes_of(text)
            # a REST API's CORS: OPTIONS routes to the preflight handler
            pre = {k: v for k, v in got.items() if v[1].startswith("CorsPreflight")}
            got = {k: v for k, v in got.items() if k not in pre}
            if api["cors"] and api["type"] == "rest":
                h.ok(pre and all(k.startswith("OPTIONS ") for k in pre),
                     "%s: preflight routes %r" % (name, sorted(pre)))
            h.eq(len(got), len(api["routes"]), "%s: routes %r" % (name, sorted(got)))
            for rt in api["routes"]:
                key = "%s %s" % (rt["method"], rt["path"])
                h.ok(key in got, "%s: no route %s in %r" % (name, key, sorted(got)))
                commented, fn, auth, key_req = got[key]
                h.eq(fn, rt["function"], "%s %s function" % (name, key))
                h.eq(key_req, rt["api_key_required"], "%s %s api key" % (name, key))
                if rt["authorizer"] == "AWS_IAM":
                    # not emulated: left commented out, and said so
                    h.ok(commented and "AWS_IAM" in r.stderr, "%s %s: IAM" % (name, key))
                else:
                    h.ok(not commented, "%s %s commented out:\n%s" % (name, key, text))
                    h.eq(auth, rt["authorizer"], "%s %s authorizer" % (name, key))
            for a in api["authorizers"]:
                h.ok('{ name = "%s";' % a in text, "%s: authorizer %s" % (name, a))
            if api["cors"] and api["type"] == "http":
                h.ok("cors = {" in text, "%s: cors" % name)
            funcs = functions_of(text)
            for fn in exp["functions"]:
                h.ok(fn["name"] in funcs, "%s: function %s" % (name, fn["name"]))
                block = funcs[fn["name"]]
                for key, conf in (("timeout", "timeout"), ("memory", "memory")):
                    if fn[key] is not None:
                        h.ok("%s = %s;" % (conf, fn[key]) in block,
                             "%s %s: %s in %s" % (name, fn["name"], key, block))
                if fn["handler"] is not None and fn["runtime"] is not None:
                    h.ok('handler = "%s";' % fn["handler"] in block, block)
            # beside the template's code directories, the result passes check
            d = fx.env.path("case-" + name)
            os.makedirs(d, exist_ok=True)
            for m in re.finditer(r'code_dir = "([^"]*)"', text):
                os.makedirs(os.path.join(d, m.group(1)), exist_ok=True)
            if not os.path.exists(os.path.join(d, "handlers")):
                os.symlink(h.TEST_HANDLERS, os.path.join(d, "handlers"))
            conf_text = text
            ok = re.search(r'^  user = "nobody";.*$', conf_text, re.M)
            conf = os.path.join(d, "%s.conf" % api["name"])
            user, group = h.unprivileged_user()
            with open(conf, "w") as f:
                f.write(conf_text[:ok.start()] + '  user = "%s"; group = "%s";\n' % (user, group)
                        + conf_text[ok.end() + 1:])
            check(conf)
        seen += 1
    h.ok(seen > 0, "no case in " + CASES)


# ---------------------------------------------------------------- REST CORS, built-in runtimes

def import_and_serve(fx, name, args, want_rc=0):
    """Imports with `args`, checks the result and serves it behind nginx:
    (nginx port, the configuration text, stderr)."""
    r = run_import(args)
    h.eq(r.returncode, want_rc, "import %s: %s" % (" ".join(args), r.stderr))
    conf = write_conf(fx.env, r.stdout, name)
    check(conf)
    bridge = h.start_bridge(fx.env, conf)
    return h.start_nginx(fx.env, bridge.sock).port, r.stdout, r.stderr


PREFLIGHT = [("Origin", "https://app.example"), ("Access-Control-Request-Method", "POST"),
             ("Access-Control-Request-Headers", "content-type")]


@G.test
def sam_rest_cors_preflights(fx):
    """SAM's Cors on a REST API: each path answers OPTIONS through the
    shipped preflight handler with the template's values (Allow-Methods:
    the path's methods and OPTIONS; every method for ANY), without the
    default authorizer the other methods need."""
    shutil.copy(os.path.join(TEMPLATES, "sam-rest-cors.yaml"), fx.env.path("sam-rest-cors.yaml"))
    port, text, _ = import_and_serve(
        fx, "rest-cors", ["--preflight", os.path.join(h.HANDLERS, "preflight.so"),
                          fx.env.path("sam-rest-cors.yaml")])
    h.ok('{ route = "OPTIONS /items"; function = "CorsPreflight"; }' in text, text)
    r = h.http(port, "OPTIONS", "/dev/items", PREFLIGHT)
    h.status_is(r, 200)
    h.eq(r.header("Access-Control-Allow-Origin"), "https://app.example")
    h.eq(r.header("Access-Control-Allow-Methods"), "GET,OPTIONS,POST")
    h.eq(r.header("Access-Control-Allow-Headers"), "Content-Type,Authorization")
    h.eq(r.header("Access-Control-Max-Age"), "300")
    h.eq(r.header("Access-Control-Allow-Credentials"), None)
    r = h.http(port, "OPTIONS", "/dev/items/7", PREFLIGHT)
    h.status_is(r, 200)
    h.eq(r.header("Access-Control-Allow-Methods"), "DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT")
    # the methods themselves keep the API's default authorizer
    h.status_is(h.http(port, "POST", "/dev/items", body="{}"), 401)
    ev = echo(h.http(port, "POST", "/dev/items", [("Authorization", "allow")], body="{}"))
    h.eq(ev["event"]["resource"], "/items")


@G.test
def serverless_rest_cors(fx):
    """serverless.yml's `cors: true` on http events: the framework's
    origin and header list, the methods of the path's events with cors;
    a path without cors has no OPTIONS (REST's 403 for no route)."""
    path = fx.env.path("sls-cors.yml")
    with open(path, "w") as f:
        f.write("service: cors\nprovider: {name: aws, stage: v1}\n"
                "functions:\n  api:\n    handler: h.api\n    events:\n"
                "      - http: {path: things, method: get, cors: true}\n"
                "      - http: {path: things, method: delete, cors: true}\n"
                "      - http: {path: plain, method: get}\n")
    port, _, _ = import_and_serve(
        fx, "sls-cors", ["--function", "api=handlers/integ_fn.so:integ_echo",
                         "--preflight", os.path.join(h.HANDLERS, "preflight.so"), path])
    r = h.http(port, "OPTIONS", "/v1/things", PREFLIGHT)
    h.status_is(r, 200)
    h.eq(r.header("Access-Control-Allow-Origin"), "*")
    h.eq(r.header("Access-Control-Allow-Methods"), "DELETE,GET,OPTIONS")
    h.eq(r.header("Access-Control-Allow-Headers"),
         "Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token,"
         "X-Amz-User-Agent,X-Amzn-Trace-Id")
    h.status_is(h.http(port, "OPTIONS", "/v1/plain", PREFLIGHT), 403)
    echo(h.http(port, "GET", "/v1/plain"))


NODE_SAM = """Transform: AWS::Serverless-2016-10-31
Resources:
  NodeFunction:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      CodeUri: node/
      Handler: index.handler
      MemorySize: 512
      Events:
        Hello: {Type: HttpApi, Properties: {Path: /node, Method: get}}
  PyFunction:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: node/
      Handler: app.handler
"""


@G.test
def node_runtime_without_runtime_option(fx):
    """A nodejs20.x function imported without --runtime runs through AWS's
    Node.js runtime interface client where --ric-dir says it is installed
    (here: where scripts/install-deps ric put it), behind nginx."""
    ric = os.environ.get("LB_RIC_DIR", "/opt/lambdabridge-test/ric")
    if not os.path.exists(os.path.join(ric, "node_modules", "aws-lambda-ric", "index.mjs")) \
            or not os.path.exists("/usr/bin/node"):
        raise h.Skip("AWS's Node.js runtime interface client is not installed in %s "
                     "(scripts/install-deps ric)" % ric)
    d = fx.env.path("ricdir")
    os.mkdir(d)
    os.symlink(ric, os.path.join(d, "node"))
    tpl = fx.env.path("node-sam.yaml")
    with open(tpl, "w") as f:
        f.write(NODE_SAM.split("  PyFunction:")[0])
    if not os.path.exists(fx.env.path("node")):
        os.symlink(os.path.join(h.REPO, "tests", "runtimes", "node"), fx.env.path("node"))
    port, text, err = import_and_serve(fx, "node", ["--ric-dir", d, tpl])
    h.eq(err, "", "warnings")
    h.ok("bootstrap = [ \"/usr/bin/node\", \"%s/node/node_modules/aws-lambda-ric/index.mjs\" ];"
         % d in text, text)
    body = echo(h.http(port, "GET", "/node?x=1"))
    h.eq(body["function"], "NodeFunction")
    h.eq(body["event"]["routeKey"], "GET /node")
    h.eq(body["event"]["queryStringParameters"], {"x": "1"})


@G.test
def missing_runtime_says_what_to_install(fx):
    """Where the runtime interface clients are not installed, the import
    still maps the functions, and says (exit 3) what to install where."""
    tpl = fx.env.path("node-py.yaml")
    with open(tpl, "w") as f:
        f.write(NODE_SAM)
    r = run_import(["--ric-dir", "/nonexistent/ric", tpl])
    h.eq(r.returncode, 3, r.stderr)
    h.ok("%s:4: function 'NodeFunction' (nodejs20.x): AWS's Node.js runtime interface "
         "client '/nonexistent/ric/node/node_modules/aws-lambda-ric/index.mjs' is not "
         "installed here: npm install --prefix /nonexistent/ric/node aws-lambda-ric" % tpl
         in r.stderr, r.stderr)
    h.ok("function 'PyFunction' (python3.12): AWS's Python runtime interface client" in r.stderr
         and "pip install awslambdaric" in r.stderr, r.stderr)
    h.ok('"-m", "awslambdaric", "app.handler" ];' in r.stdout, r.stdout)
    # --runtime still wins over the built-in table
    r = run_import(["--ric-dir", "/nonexistent/ric", "--runtime", "nodejs20.x=/bin/cat",
                    "--runtime", "python3.12=/bin/cat", tpl])
    h.eq((r.returncode, r.stderr), (0, ""), "with --runtime for both")
    h.ok('bootstrap = [ "/bin/cat" ];' in r.stdout, r.stdout)
