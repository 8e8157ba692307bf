/*
 * test_import.c - `lambdabridge import` (bridge/import/): one test per
 * mapping rule of docs/migrating.md: the YAML loader (short tags, anchors,
 * YAML 1.1 booleans, JSON), the intrinsics, SAM's Globals, events, APIs,
 * authorizers and runtimes, OpenAPI's extensions, the warnings with their
 * lines, and a configuration that config.c loads.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "import/import.h"
#include "test.h"

void lb_test_suite_import(void);

#define MAXKV 8

struct args {
	struct lb_import_kv params[MAXKV], functions[MAXKV], runtimes[MAXKV];
	struct lb_import_opts o;
	struct lb_import_result r;
	int rc;
};

/* o.installed: nothing is installed; only what is under /usr/bin */
static int
installed_none(const char *path)
{
	(void)path;
	return 0;
}

static int
installed_usr_bin(const char *path)
{
	return strncmp(path, "/usr/bin/", 9) == 0;
}

/* Imports `text` with options "p:K=V", "f:NAME=MOD", "r:RT=ARGV",
 * "api:NAME", "stage:NAME", "pf:PREFLIGHT", "ric:DIR", "inst:none" or
 * "inst:usr-bin" (NULL-terminated). */
static struct args *
run(const char *text, ...)
{
	struct args *a = calloc(1, sizeof(*a));
	const char *opt;
	va_list ap;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	a->o.file = "t.yaml";
	a->o.params = a->params;
	a->o.functions = a->functions;
	a->o.runtimes = a->runtimes;
	va_start(ap, text);
	while ((opt = va_arg(ap, const char *)) != NULL) {
		struct lb_import_kv *kv = NULL;
		const char *eq = strchr(opt, '=');
		char *name;

		if (strncmp(opt, "api:", 4) == 0) {
			a->o.api = opt + 4;
			continue;
		}
		if (strncmp(opt, "stage:", 6) == 0) {
			a->o.stage = opt + 6;
			continue;
		}
		if (strncmp(opt, "pf:", 3) == 0) {
			a->o.preflight = opt + 3;
			continue;
		}
		if (strncmp(opt, "ric:", 4) == 0) {
			a->o.ric_dir = opt + 4;
			continue;
		}
		if (strncmp(opt, "inst:", 5) == 0) {
			a->o.installed = strcmp(opt + 5, "none") == 0
			    ? installed_none
			    : installed_usr_bin;
			continue;
		}
		if (opt[0] == 'p')
			kv = &a->params[a->o.nparams++];
		else if (opt[0] == 'f')
			kv = &a->functions[a->o.nfunctions++];
		else
			kv = &a->runtimes[a->o.nruntimes++];
		name = strndup(opt + 2, (size_t)(eq - opt - 2));
		kv->name = name;
		kv->value = eq + 1;
	}
	va_end(ap);
	a->rc = lb_import(text, strlen(text), &a->o, &a->r);
	return a;
}

static void
done(struct args *a)
{
	for (size_t i = 0; i < a->o.nparams; i++)
		free((char *)a->params[i].name);
	for (size_t i = 0; i < a->o.nfunctions; i++)
		free((char *)a->functions[i].name);
	for (size_t i = 0; i < a->o.nruntimes; i++)
		free((char *)a->runtimes[i].name);
	lb_import_result_free(&a->r);
	free(a);
}

static int
has(const struct args *a, const char *s)
{
	int yes = a->r.config != NULL && strstr(a->r.config, s) != NULL;

	if (!yes)
		fprintf(stderr, "\nmissing: %s\nin:\n%s\n%s\n", s,
		    a->r.config != NULL ? a->r.config : "(none)",
		    a->r.error != NULL ? a->r.error : "");
	return yes;
}

static int
warned(const struct args *a, const char *s)
{
	int yes = a->r.warnings != NULL && strstr(a->r.warnings, s) != NULL;

	if (!yes)
		fprintf(stderr, "\nno warning: %s\nin:\n%s\n", s,
		    a->r.warnings != NULL ? a->r.warnings : "(none)");
	return yes;
}

#define SAM "Transform: AWS::Serverless-2016-10-31\n"
/* a function on the implicit HTTP API, mapped by Metadata */
#define FN(name, extra) \
	"  " name ":\n    Type: AWS::Serverless::Function\n" \
	"    Metadata: {lambdabridge: {module: m.so, handler: h}}\n" \
	"    Properties:\n" extra

static void
test_yaml_tags_anchors_booleans(void)
{
	struct args *a =
	    run(SAM "Parameters: {P: {Type: String, Default: pv}}\n"
	            "Resources:\n" FN("F",
	                "      Environment:\n"
	                "        Variables: &vars\n"
	                "          A: !Ref P\n"
	                "          B: !Sub 'x-${P}-${!Lit}'\n"
	                "          C: yes\n"
	                "          D: Off\n"
	                "          E: \"yes\"\n"
	                "          G: !GetAtt F.Arn\n"
	                "      Events: {E: {Type: HttpApi}}\n")
	                FN("F2", "      Environment: {Variables: *vars}\n"),
	        NULL);

	CU_ASSERT_EQUAL(a->rc, 0);
	CU_ASSERT(has(a,
	    "A = \"pv\"; B = \"x-pv-${Lit}\"; C = \"true\"; "
	    "D = \"false\"; E = \"yes\"; G = "
	    "\"arn:aws:lambda:us-east-1:123456789012:function:F\";"));
	/* the alias is the same map */
	CU_ASSERT(has(a, "{ name = \"F2\";"));
	CU_ASSERT_EQUAL(a->r.nwarnings, 0);
	done(a);
}

static void
test_json_and_errors(void)
{
	struct args *a =
	    run("{\"Transform\": \"AWS::Serverless-2016-10-31\","
	        "\"Resources\": {\"F\": {\"Type\": "
	        "\"AWS::Serverless::Function\", \"Properties\": "
	        "{\"Runtime\": \"provided.al2\", \"Handler\": \"h\","
	        "\"Timeout\": 7}}}}",
	        NULL);

	CU_ASSERT_EQUAL(a->rc, 0);
	CU_ASSERT(has(a, "runtime = \"provided\"; code_dir = \".\";"));
	CU_ASSERT(has(a, "timeout = 7;"));
	done(a);

	a = run("Resources:\n  A: [1, 2\n  B: x\n", NULL);
	CU_ASSERT_EQUAL(a->rc, -1);
	CU_ASSERT_PTR_NULL(a->r.config);
	CU_ASSERT(a->r.error != NULL &&
	    strcmp(a->r.error,
	        "t.yaml:4: flow sequence without a closing bracket") == 0);
	done(a);

	a = run("just: text\n", NULL);
	CU_ASSERT_EQUAL(a->rc, -1);
	CU_ASSERT(a->r.error != NULL && strstr(a->r.error, "--format") != NULL);
	done(a);

	/* a second document: read the first, say so */
	a = run(SAM "Resources: {}\n---\nx: 1\n", NULL);
	CU_ASSERT_EQUAL(a->rc, 0);
	CU_ASSERT(warned(a, "t.yaml:1: 2 YAML documents"));
	done(a);
}

static void
test_intrinsics(void)
{
	struct args *a = run(SAM
	    "Parameters:\n"
	    "  Stage: {Type: String, Default: dev}\n"
	    "  NoDefault: {Type: String}\n"
	    "Conditions:\n"
	    "  IsProd: !Equals [!Ref Stage, prod]\n"
	    "  Both: !And [!Condition IsProd, {Fn::Not: [{Condition: "
	    "IsProd}]}]\n"
	    "  Either: {Fn::Or: [{Condition: IsProd}, !Equals [a, a]]}\n"
	    "Mappings: {M: {prod: {Size: 512}, dev: {Size: 256}}}\n"
	    "Resources:\n" FN("F",
	        "      MemorySize: !FindInMap [M, !Ref Stage, Size]\n"
	        "      Environment:\n"
	        "        Variables:\n"
	        "          IF: !If [IsProd, p, np]\n"
	        "          BOTH: !If [Both, y, n]\n"
	        "          EITHER: !If [Either, y, n]\n"
	        "          JOIN: !Join [':', [a, !Ref Stage, !Ref "
	        "AWS::Region]]\n"
	        "          SEL: !Select [2, !Split ['/', 'a/b/c']]\n"
	        "          SUB2: !Sub ['${x}.${AWS::AccountId}', {x: !Ref "
	        "Stage}]\n"
	        "          LONG: {Fn::Sub: "
	        "'${AWS::Partition}-${AWS::URLSuffix}'}\n"
	        "          ND: !Ref NoDefault\n"
	        "          IMP: !ImportValue shared\n"
	        "          NOV: !Ref AWS::NoValue\n"),
	    "p:Stage=prod", "p:AWS::Region=eu-west-1", NULL);

	CU_ASSERT_EQUAL(a->rc, 0);
	CU_ASSERT(has(a, "memory = 512;"));
	CU_ASSERT(has(a,
	    "IF = \"p\"; BOTH = \"n\"; EITHER = \"y\"; "
	    "JOIN = \"a:prod:eu-west-1\"; SEL = \"c\"; "
	    "SUB2 = \"prod.123456789012\"; "
	    "LONG = \"aws-amazonaws.com\"; ND = \"\"; IMP = \"\";"));
	CU_ASSERT(a->r.config != NULL && strstr(a->r.config, "NOV") == NULL);
	CU_ASSERT(warned(a,
	    "t.yaml:25: parameter 'NoDefault' has no Default: "
	    "give --param NoDefault=VALUE"));
	CU_ASSERT(warned(a,
	    "t.yaml:26: intrinsic 'Fn::ImportValue' is not "
	    "supported offline"));
	done(a);
}

static void
test_globals_merge(void)
{
	struct args *a = run(SAM
	    "Globals:\n"
	    "  Function:\n"
	    "    Timeout: 5\n"
	    "    MemorySize: 512\n"
	    "    Environment: {Variables: {A: g, B: g}}\n"
	    "  Api:\n"
	    "    BinaryMediaTypes: [image~1png]\n"
	    "    Variables: {v: g}\n"
	    "Resources:\n"
	    "  Api:\n"
	    "    Type: AWS::Serverless::Api\n"
	    "    Properties:\n"
	    "      StageName: s1\n"
	    "      BinaryMediaTypes: [application~1octet-stream]\n" FN("F",
	        "      Timeout: 9\n"
	        "      Environment: {Variables: {B: l, C: l}}\n"
	        "      Events:\n"
	        "        E: {Type: Api, Properties: {RestApiId: !Ref Api, "
	        "Path: /x, "
	        "Method: get}}\n"),
	    NULL);

	CU_ASSERT_EQUAL(a->rc, 0);
	CU_ASSERT(has(a, "timeout = 9; memory = 512;"));
	CU_ASSERT(
	    has(a, "environment = { A = \"g\"; B = \"l\"; C = \"l\"; };"));
	/* lists concatenate, global first; ~1 is / */
	CU_ASSERT(has(a,
	    "binary_media_types = [ \"image/png\", "
	    "\"application/octet-stream\" ];"));
	CU_ASSERT(has(a, "stage = \"s1\";"));
	CU_ASSERT(has(a, "stage_variables = { v = \"g\"; };"));
	done(a);
}

static void
test_events_and_implicit_apis(void)
{
	struct args *a =
	    run(SAM "Resources:\n" FN("F",
	            "      Events:\n"
	            "        A: {Type: Api, Properties: {Path: /a, "
	            "Method: any}}\n"
	            "        B: {Type: Api, Properties: {Path: 'b/{id}', "
	            "Method: Post}}\n"
	            "        C: {Type: Api, Properties: {Path: /a, "
	            "Method: ANY}}\n"
	            "        D: {Type: Api, Properties: {RestApiId: "
	            "Nope, Path: /d, Method: get}}\n"
	            "        S: {Type: S3}\n"
	            "        H: {Type: HttpApi}\n"
	            "        H2: {Type: HttpApi, Properties: {Path: "
	            "/h, Method: get, PayloadFormatVersion: '1.0'}}\n"),
	        "api:ServerlessRestApi", NULL);

	CU_ASSERT_EQUAL(a->rc, 0);
	CU_ASSERT(has(a, "api = \"rest\";"));
	CU_ASSERT(has(a, "stage = \"Prod\";"));
	CU_ASSERT(has(a,
	    "{ route = \"ANY /a\"; function = \"F\"; },\n"
	    "  { route = \"POST /b/{id}\"; function = \"F\"; }\n"));
	CU_ASSERT(warned(a, "route 'ANY /a' is declared twice"));
	CU_ASSERT(warned(a, "event names RestApiId 'Nope'"));
	CU_ASSERT(warned(a, "event 'S' of type 'S3' is no API event"));
	done(a);

	a = run(SAM "Resources:\n" FN("F",
	            "      Events:\n"
	            "        H: {Type: HttpApi}\n"
	            "        H2: {Type: HttpApi, Properties: {Path: /h, "
	            "Method: get, "
	            "PayloadFormatVersion: '1.0'}}\n"),
	    "stage:beta", NULL);
	CU_ASSERT_EQUAL(a->rc, 0);
	CU_ASSERT(has(a, "api = \"http\";"));
	CU_ASSERT(has(a, "stage = \"beta\";"));
	CU_ASSERT(has(a,
	    "{ route = \"$default\"; function = \"F\"; },\n"
	    "  { route = \"GET /h\"; function = \"F\"; "
	    "payload_format = \"1.0\"; }\n"));
	CU_ASSERT_EQUAL(a->r.nwarnings, 0);
	done(a);
}

static void
test_rest_api_auth_keys_responses(void)
{
	struct args *a = run(SAM
	    "Resources:\n"
	    "  Api:\n"
	    "    Type: AWS::Serverless::Api\n"
	    "    Properties:\n"
	    "      StageName: v1\n"
	    "      Cors: \"'*'\"\n"
	    "      Auth:\n"
	    "        DefaultAuthorizer: Tok\n"
	    "        ApiKeyRequired: true\n"
	    "        UsagePlan: {CreateUsagePlan: PER_API, Quota: {Limit: 100, "
	    "Period: DAY}, Throttle: {RateLimit: 5, BurstLimit: 10}}\n"
	    "        Authorizers:\n"
	    "          Tok:\n"
	    "            FunctionArn: !GetAtt Auth.Arn\n"
	    "            Identity: {Header: X-Token, ValidationExpression: "
	    "'^t.*$', ReauthorizeEvery: 60}\n"
	    "          Req:\n"
	    "            FunctionArn: !GetAtt Auth.Arn\n"
	    "            FunctionPayloadType: REQUEST\n"
	    "            Identity: {Headers: [H1], QueryStrings: [q], "
	    "StageVariables: [s], Context: [identity.sourceIp]}\n"
	    "          Pool: {UserPoolArn: arn:aws:cognito-idp:x}\n"
	    "      GatewayResponses:\n"
	    "        DEFAULT_4XX:\n"
	    "          StatusCode: 418\n"
	    "          ResponseParameters: {Headers: {X-A: \"'v'\", X-B: "
	    "method.request.header.x}}\n"
	    "          ResponseTemplates: {application/json: '{\"m\":1}'}\n"
	    "        WAF_FILTERED: {StatusCode: 403}\n"
	    "      MethodSettings:\n"
	    "        - {ResourcePath: /*, HttpMethod: '*', "
	    "ThrottlingRateLimit: 50, "
	    "ThrottlingBurstLimit: 20}\n"
	    "        - {ResourcePath: /~1b, HttpMethod: GET, "
	    "ThrottlingRateLimit: "
	    "1, ThrottlingBurstLimit: 2}\n" FN("Auth", "") FN("F",
	        "      Events:\n"
	        "        A: {Type: Api, Properties: {RestApiId: !Ref Api, "
	        "Path: /a, "
	        "Method: get}}\n"
	        "        B: {Type: Api, Properties: {RestApiId: !Ref Api, "
	        "Path: /b, "
	        "Method: get, Auth: {Authorizer: Req, ApiKeyRequired: "
	        "false}}}\n"
	        "        C: {Type: Api, Properties: {RestApiId: !Ref Api, "
	        "Path: /c, "
	        "Method: get, Auth: {Authorizer: NONE}}}\n"
	        "        D: {Type: Api, Properties: {RestApiId: !Ref Api, "
	        "Path: /d, "
	        "Method: get, Auth: {Authorizer: Pool}}}\n"
	        "        I: {Type: Api, Properties: {RestApiId: !Ref Api, "
	        "Path: /i, "
	        "Method: get, Auth: {Authorizer: AWS_IAM}}}\n"),
	    NULL);

	CU_ASSERT_EQUAL(a->rc, 0);
	CU_ASSERT(
	    has(a, "throttling_rate_limit = 50; throttling_burst_limit = 20;"));
	CU_ASSERT(has(a,
	    "{ name = \"Tok\"; type = \"TOKEN\"; function = \"Auth\";\n"
	    "    identity_source = [ "
	    "\"method.request.header.X-Token\" ];\n"
	    "    validation_expression = \"^t.*$\";\n"
	    "    ttl = 60;\n"));
	CU_ASSERT(has(a,
	    "{ name = \"Req\"; type = \"REQUEST\"; function = "
	    "\"Auth\";\n    identity_source = [ "
	    "\"method.request.header.H1\", "
	    "\"method.request.querystring.q\", \"stageVariables.s\", "
	    "\"context.identity.sourceIp\" ];\n"));
	CU_ASSERT(has(a, "# { name = \"Pool\";"));
	CU_ASSERT(warned(a, "Cognito user pool authorizers are not emulated"));
	CU_ASSERT(has(a,
	    "{ route = \"GET /a\"; function = \"F\"; authorizer = "
	    "\"Tok\"; api_key_required = true; },"));
	CU_ASSERT(has(a,
	    "{ route = \"GET /b\"; function = \"F\"; authorizer = "
	    "\"Req\"; throttling_rate_limit = 1; "
	    "throttling_burst_limit = 2; },"));
	CU_ASSERT(has(a,
	    "{ route = \"GET /c\"; function = \"F\"; "
	    "api_key_required = true; }"));
	CU_ASSERT(has(a, "# { route = \"GET /d\";"));
	CU_ASSERT(has(a, "# { route = \"GET /i\";"));
	CU_ASSERT(warned(a, "AWS_IAM (SigV4) authorization is not emulated"));
	CU_ASSERT(has(a,
	    "DEFAULT_4XX = { status = 418; body = \"{\\\"m\\\":1}\"; "
	    "headers = { X-A = \"v\"; }; };"));
	CU_ASSERT(warned(a, "header 'X-B' maps 'method.request.header.x'"));
	CU_ASSERT(warned(a, "gateway response type 'WAF_FILTERED'"));
	/* no preflight handler given: the CORS is not carried over */
	CU_ASSERT(warned(a,
	    "t.yaml:4: API 'Api': its CORS needs the "
	    "preflight handler (give --preflight MODULE)"));
	CU_ASSERT(has(a,
	    "#     throttling_rate_limit = 5; "
	    "throttling_burst_limit = 10;\n"
	    "#     quota_limit = 100; quota_period = \"DAY\";"));
	done(a);
}

static void
test_http_api_jwt_cors_settings(void)
{
	struct args *a = run(SAM
	    "Globals: {HttpApi: {CorsConfiguration: true}}\n"
	    "Resources:\n"
	    "  H:\n"
	    "    Type: AWS::Serverless::HttpApi\n"
	    "    Properties:\n"
	    "      StageName: live\n"
	    "      StageVariables: {k: v}\n"
	    "      DefaultRouteSettings: {ThrottlingRateLimit: 9, "
	    "ThrottlingBurstLimit: 3}\n"
	    "      RouteSettings: {'GET /s': {ThrottlingRateLimit: 1, "
	    "ThrottlingBurstLimit: 1}}\n"
	    "      Auth:\n"
	    "        DefaultAuthorizer: Jwt\n"
	    "        Authorizers:\n"
	    "          Jwt:\n"
	    "            IdentitySource: $request.header.Authorization\n"
	    "            AuthorizationScopes: [read]\n"
	    "            JwtConfiguration: {issuer: 'https://idp.example', "
	    "audience: [app]}\n"
	    "          Lam:\n"
	    "            FunctionArn: !GetAtt F.Arn\n"
	    "            AuthorizerPayloadFormatVersion: '2.0'\n"
	    "            EnableSimpleResponses: true\n"
	    "            Identity: {Headers: [Authorization]}\n" FN("F",
	        "      Events:\n"
	        "        S: {Type: HttpApi, Properties: {ApiId: !Ref H, Path: "
	        "/s, "
	        "Method: get}}\n"
	        "        W: {Type: HttpApi, Properties: {ApiId: !Ref H, Path: "
	        "/w, "
	        "Method: get, Auth: {Authorizer: Jwt, AuthorizationScopes: "
	        "[write]}}}\n"
	        "        L: {Type: HttpApi, Properties: {ApiId: !Ref H, Path: "
	        "/l, "
	        "Method: get, Auth: {Authorizer: Lam}}}\n"),
	    NULL);

	CU_ASSERT_EQUAL(a->rc, 0);
	CU_ASSERT(has(a, "stage = \"live\";"));
	CU_ASSERT(has(a, "stage_variables = { k = \"v\"; };"));
	CU_ASSERT(
	    has(a, "throttling_rate_limit = 9; throttling_burst_limit = 3;"));
	CU_ASSERT(has(a, "allow_origins = [ \"*\" ];"));
	CU_ASSERT(has(a,
	    "{ name = \"Jwt\"; type = \"JWT\";\n"
	    "    identity_source = [ \"$request.header.Authorization\" "
	    "];\n    issuer = \"https://idp.example\"; audience = [ "
	    "\"app\" ];\n"));
	CU_ASSERT(has(a,
	    "{ name = \"Lam\"; type = \"REQUEST\"; function = \"F\";\n"
	    "    identity_source = [ \"$request.header.Authorization\" "
	    "];\n    payload_format = \"2.0\";\n    simple_responses = "
	    "true;\n"));
	CU_ASSERT(has(a,
	    "{ route = \"GET /s\"; function = \"F\"; authorizer = "
	    "\"Jwt\"; authorization_scopes = [ \"read\" ]; "
	    "throttling_rate_limit = 1; throttling_burst_limit = 1; },"));
	CU_ASSERT(has(a,
	    "{ route = \"GET /w\"; function = \"F\"; authorizer = "
	    "\"Jwt\"; authorization_scopes = [ \"write\" ]; },"));
	CU_ASSERT(has(a,
	    "{ route = \"GET /l\"; function = \"F\"; authorizer = "
	    "\"Lam\"; }"));
	done(a);
}

static void
test_runtimes(void)
{
	struct args *a = run(SAM
	    "Resources:\n"
	    "  P:\n    Type: AWS::Serverless::Function\n"
	    "    Properties: {Runtime: provided.al2023, CodeUri: build/, "
	    "Handler: bootstrap.handler}\n"
	    "  N:\n    Type: AWS::Serverless::Function\n"
	    "    Properties: {Runtime: nodejs20.x, CodeUri: src/, Handler: "
	    "index.handler, MemorySize: 1024}\n"
	    "  Y:\n    Type: AWS::Serverless::Function\n"
	    "    Properties: {Runtime: python3.12, Handler: app.handler}\n"
	    "  C:\n    Type: AWS::Serverless::Function\n"
	    "    Properties: {Runtime: python3.12, Handler: my_handler, "
	    "AutoPublishAlias: live, ProvisionedConcurrencyConfig: "
	    "{ProvisionedConcurrentExecutions: 2}, "
	    "ReservedConcurrentExecutions: "
	    "4}\n"
	    "  S:\n    Type: AWS::Serverless::Function\n"
	    "    Properties: {Runtime: java21, Handler: a.B, CodeUri: {Bucket: "
	    "b, "
	    "Key: k}}\n",
	    "r:nodejs20.x=/usr/bin/node  /opt/ric/index.mjs", "f:C=lib/c.so",
	    "f:S=s.so:sym", NULL);

	CU_ASSERT_EQUAL(a->rc, 0);
	CU_ASSERT(has(a,
	    "{ name = \"P\";  # provided.al2023\n"
	    "    runtime = \"provided\"; code_dir = \"build/\";\n"
	    "    handler = \"bootstrap.handler\";\n"));
	CU_ASSERT(has(a,
	    "{ name = \"N\";  # nodejs20.x\n"
	    "    runtime = \"provided\"; code_dir = \"src/\";\n"
	    "    bootstrap = [ \"/usr/bin/node\", "
	    "\"/opt/ric/index.mjs\" ];\n"
	    "    handler = \"index.handler\";\n"));
	CU_ASSERT(has(a, "memory = 1024;"));
	CU_ASSERT(has(a, "# { name = \"Y\";  # python3.12\n"));
	CU_ASSERT(
	    warned(a, "function 'Y': runtime 'python3.12' has no mapping"));
	/* --function: the template's Handler when it is a C identifier */
	CU_ASSERT(has(a, "module = \"lib/c.so\"; handler = \"my_handler\";"));
	CU_ASSERT(has(a, "reserved_concurrency = 4; provisioned = 2;"));
	CU_ASSERT(has(a, "# note: AutoPublishAlias ignored"));
	CU_ASSERT(has(a, "module = \"s.so\"; handler = \"sym\";"));
	CU_ASSERT(warned(a, "CodeUri is an S3 location"));
	done(a);
}

static void
test_several_apis(void)
{
	const char *t = SAM
	    "Resources:\n"
	    "  A: {Type: AWS::Serverless::Api, Properties: {StageName: a}}\n"
	    "  B: {Type: AWS::Serverless::HttpApi}\n" FN("F",
	        "      Events:\n"
	        "        A: {Type: Api, Properties: {RestApiId: !Ref A, Path: "
	        "/a, "
	        "Method: get}}\n"
	        "        B: {Type: HttpApi, Properties: {ApiId: !Ref B, Path: "
	        "/b, "
	        "Method: get}}\n") FN("G", "");
	struct args *a = run(t, NULL);

	CU_ASSERT_EQUAL(a->rc, -1);
	CU_ASSERT(a->r.error != NULL &&
	    strstr(a->r.error, "declares 2 APIs") != NULL &&
	    strstr(a->r.error, "A (REST API, 1 routes)") != NULL &&
	    strstr(a->r.error, "B (HTTP API, 1 routes)") != NULL);
	done(a);
	a = run(t, "api:B", NULL);
	CU_ASSERT_EQUAL(a->rc, 0);
	CU_ASSERT(has(a, "route = \"GET /b\""));
	CU_ASSERT(a->r.config != NULL && strstr(a->r.config, "/a\"") == NULL);
	/* G belongs to no API: it is kept */
	CU_ASSERT(has(a, "{ name = \"G\";"));
	done(a);
	a = run(t, "api:C", NULL);
	CU_ASSERT_EQUAL(a->rc, -1);
	done(a);
}

static void
test_openapi_swagger2_rest(void)
{
	struct args *a = run(
	    "swagger: 2.0\n"
	    "info: {title: shop}\n"
	    "basePath: /v1\n"
	    "x-amazon-apigateway-api-key-source: AUTHORIZER\n"
	    "x-amazon-apigateway-binary-media-types: [image/png, '*/*']\n"
	    "x-amazon-apigateway-request-validators: {all: "
	    "{validateRequestBody: "
	    "true}}\n"
	    "x-amazon-apigateway-gateway-responses:\n"
	    "  UNAUTHORIZED:\n"
	    "    statusCode: 401\n"
	    "    responseParameters: {gatewayresponse.header.X-A: \"'1'\"}\n"
	    "    responseTemplates: {application/json: '{\"e\":1}'}\n"
	    "securityDefinitions:\n"
	    "  tok:\n"
	    "    type: apiKey\n"
	    "    name: Authorization\n"
	    "    in: header\n"
	    "    x-amazon-apigateway-authtype: custom\n"
	    "    x-amazon-apigateway-authorizer:\n"
	    "      type: token\n"
	    "      authorizerUri: "
	    "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
	    "arn:aws:lambda:us-east-1:123456789012:function:auth:live/"
	    "invocations\n"
	    "      identityValidationExpression: '^x'\n"
	    "      authorizerResultTtlInSeconds: 30\n"
	    "  key: {type: apiKey, name: x-api-key, in: header}\n"
	    "  pool:\n"
	    "    type: apiKey\n"
	    "    name: Authorization\n"
	    "    in: header\n"
	    "    x-amazon-apigateway-authorizer: {type: cognito_user_pools}\n"
	    "paths:\n"
	    "  /items:\n"
	    "    get:\n"
	    "      security: [{tok: []}, {key: []}]\n"
	    "      x-amazon-apigateway-integration:\n"
	    "        type: aws_proxy\n"
	    "        httpMethod: POST\n"
	    "        uri: {Fn::Sub: "
	    "'arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/"
	    "functions/"
	    "${Items.Arn}/invocations'}\n"
	    "    post:\n"
	    "      x-amazon-apigateway-integration: {type: mock}\n"
	    "    put:\n"
	    "      security: [{pool: []}]\n"
	    "      x-amazon-apigateway-integration: {type: aws_proxy, uri: "
	    "'arn:aws:lambda:us-east-1:1:function:Items'}\n"
	    "  /{proxy+}:\n"
	    "    x-amazon-apigateway-any-method:\n"
	    "      x-amazon-apigateway-integration: {type: AWS_PROXY, uri: "
	    "'arn:aws:apigateway:r:lambda:path/2015-03-31/functions/"
	    "${stageVariables.fn}/invocations'}\n",
	    "f:Items=items.so:items", "f:auth=auth.so:auth", NULL);

	CU_ASSERT_EQUAL(a->rc, 0);
	CU_ASSERT(has(a, "from\n#   t.yaml (Swagger 2), API 'shop'"));
	CU_ASSERT(has(a, "api = \"rest\";"));
	CU_ASSERT(has(a, "# note: basePath '/v1' ignored"));
	CU_ASSERT(has(a, "binary_media_types = [ \"image/png\", \"*/*\" ];"));
	CU_ASSERT(has(a, "api_key_source = \"AUTHORIZER\";"));
	CU_ASSERT(has(a,
	    "{ name = \"tok\"; type = \"TOKEN\"; function = "
	    "\"auth\";\n    identity_source = [ "
	    "\"method.request.header.Authorization\" ];\n"
	    "    validation_expression = \"^x\";\n    ttl = 30;\n"));
	CU_ASSERT(has(a,
	    "{ route = \"GET /items\"; function = \"Items\"; "
	    "authorizer = \"tok\"; api_key_required = true; }"));
	CU_ASSERT(has(a, "# { route = \"PUT /items\""));
	CU_ASSERT(warned(a,
	    "t.yaml:38: POST /items: integration type 'mock' is "
	    "not Lambda proxy"));
	CU_ASSERT(warned(a,
	    "t.yaml:44: cannot find a Lambda function in "
	    "'arn:aws:apigateway:r:lambda:path/2015-03-31/"
	    "functions/${stageVariables.fn}/invocations'"));
	CU_ASSERT(warned(a, "request validation is not emulated"));
	CU_ASSERT(has(a,
	    "UNAUTHORIZED = { status = 401; body = "
	    "\"{\\\"e\\\":1}\"; headers = { X-A = \"1\"; }; };"));
	done(a);
}

static void
test_openapi3_http(void)
{
	struct args *a = run(
	    "openapi: 3.0.1\n"
	    "info: {title: h}\n"
	    "x-amazon-apigateway-cors: {allowOrigins: ['https://a.example'], "
	    "allowCredentials: true, exposeHeaders: [x-n], maxAge: 10}\n"
	    "components:\n"
	    "  securitySchemes:\n"
	    "    jwt:\n"
	    "      type: oauth2\n"
	    "      x-amazon-apigateway-authorizer:\n"
	    "        type: jwt\n"
	    "        identitySource: $request.header.Authorization\n"
	    "        jwtConfiguration: {issuer: 'https://i.example', audience: "
	    "[a, b]}\n"
	    "  x-amazon-apigateway-integrations:\n"
	    "    fn: {type: aws_proxy, uri: "
	    "'arn:aws:lambda:us-east-1:1:function:fn', payloadFormatVersion: "
	    "'2.0'}\n"
	    "paths:\n"
	    "  /me:\n"
	    "    get:\n"
	    "      security: [{jwt: [profile]}]\n"
	    "      x-amazon-apigateway-integration: {$ref: "
	    "'#/components/x-amazon-apigateway-integrations/fn'}\n"
	    "  /open:\n"
	    "    get:\n"
	    "      x-amazon-apigateway-integration: {$ref: '#/nothing'}\n",
	    "f:fn=fn.so:h", NULL);

	CU_ASSERT_EQUAL(a->rc, 0);
	CU_ASSERT(has(a, "api = \"http\";"));
	CU_ASSERT(has(a,
	    "allow_origins = [ \"https://a.example\" ];\n"
	    "    expose_headers = [ \"x-n\" ];\n    max_age = 10;\n"
	    "    allow_credentials = true;\n"));
	CU_ASSERT(has(a,
	    "{ name = \"jwt\"; type = \"JWT\";\n    identity_source = "
	    "[ \"$request.header.Authorization\" ];\n    issuer = "
	    "\"https://i.example\"; audience = [ \"a\", \"b\" ];\n"));
	CU_ASSERT(has(a,
	    "{ route = \"GET /me\"; function = \"fn\"; authorizer = "
	    "\"jwt\"; authorization_scopes = [ \"profile\" ]; }"));
	CU_ASSERT(warned(a, "$ref '#/nothing' points at nothing"));
	done(a);
}

static void
test_serverless(void)
{
	const char *t =
	    "service: shop\n"
	    "custom: {greeting: \"${env:GREETING, 'Hello'}\"}\n"
	    "provider:\n"
	    "  name: aws\n"
	    "  runtime: nodejs20.x\n"
	    "  stage: ${opt:stage, 'dev'}\n"
	    "  memorySize: 512\n"
	    "  environment: {A: p, G: '${self:custom.greeting}-${sls:stage}', "
	    "R: '${aws:region}'}\n"
	    "  apiGateway: {binaryMediaTypes: ['image/*']}\n"
	    "  apiKeys: [{name: k1, value: pk-0123456789abcdef0123}]\n"
	    "  httpApi:\n"
	    "    cors: {allowedOrigins: ['https://a.example'], allowedMethods: "
	    "[GET], maxAge: 5}\n"
	    "    authorizers:\n"
	    "      jwt: {type: jwt, identitySource: "
	    "$request.header.Authorization, "
	    "issuerUrl: 'https://i.example', audience: [x]}\n"
	    "      fn: {type: request, functionName: auth, "
	    "enableSimpleResponses: "
	    "true}\n"
	    "functions:\n"
	    "  hello:\n"
	    "    handler: h.hello\n"
	    "    timeout: 9\n"
	    "    environment: {A: f, M: '${self:nope}'}\n"
	    "    events:\n"
	    "      - http: GET hello/\n"
	    "      - http: {path: 'i/{id}', method: '*', private: true, "
	    "authorizer: {name: auth, type: request, identitySource: "
	    "'method.request.header.A, method.request.querystring.q'}}\n"
	    "      - http: {path: m, method: get, integration: mock}\n"
	    "      - http: {path: iam, method: get, authorizer: aws_iam}\n"
	    "      - httpApi: 'GET /v2'\n"
	    "      - httpApi: {method: get, path: /me, authorizer: {name: jwt, "
	    "scopes: [read]}}\n"
	    "      - httpApi: {method: get, path: /fn, authorizer: fn}\n"
	    "      - httpApi: '*'\n"
	    "      - schedule: rate(1 minute)\n"
	    "  auth:\n"
	    "    handler: a.auth\n";
	struct args *a = run(t, "api:ApiGatewayRestApi", "p:GREETING=Hey",
	    "f:hello=h.so:hello", "f:auth=a.so:auth", NULL);

	CU_ASSERT_EQUAL(a->rc, 0);
	CU_ASSERT(has(a, "api = \"rest\";"));
	CU_ASSERT(has(a, "stage = \"dev\";"));
	CU_ASSERT(has(a, "binary_media_types = [ \"image/*\" ];"));
	/* provider values inherited, the function's win; 6 s is the
	 * framework's default, 512 the provider's */
	CU_ASSERT(has(a,
	    "{ name = \"hello\";  # nodejs20.x\n"
	    "    module = \"h.so\"; handler = \"hello\";\n"
	    "    timeout = 9; memory = 512;\n"
	    "    environment = { G = \"Hey-dev\"; R = "
	    "\"us-east-1\"; A = \"f\"; M = \"\"; };\n"));
	CU_ASSERT(has(a, "timeout = 6; memory = 512;"));
	CU_ASSERT(warned(a, "variable '${self:nope}' has no value"));
	CU_ASSERT(has(a, "{ route = \"GET /hello\"; function = \"hello\"; },"));
	CU_ASSERT(has(a,
	    "{ route = \"ANY /i/{id}\"; function = \"hello\"; "
	    "authorizer = \"auth\"; api_key_required = true; }"));
	CU_ASSERT(has(a,
	    "{ name = \"auth\"; type = \"REQUEST\"; function = "
	    "\"auth\";\n    identity_source = [ "
	    "\"method.request.header.A\", "
	    "\"method.request.querystring.q\" ];\n"));
	CU_ASSERT(has(a, "# { route = \"GET /m\""));
	CU_ASSERT(warned(a, "integration 'mock' is not Lambda proxy"));
	CU_ASSERT(has(a, "# { route = \"GET /iam\""));
	CU_ASSERT(warned(a, "event 'schedule' is no API event"));
	CU_ASSERT(has(a,
	    "api_keys = (\n  { name = \"k1\"; value = "
	    "\"pk-0123456789abcdef0123\"; }\n);"));
	done(a);

	a = run(t, "api:HttpApi", "p:stage=prod", "f:hello=h.so:hello",
	    "f:auth=a.so:auth", NULL);
	CU_ASSERT_EQUAL(a->rc, 0);
	CU_ASSERT(has(a, "api = \"http\";"));
	CU_ASSERT(has(a, "stage = \"$default\";"));
	CU_ASSERT(has(a, "G = \"Hello-prod\";"));
	CU_ASSERT(has(a,
	    "allow_origins = [ \"https://a.example\" ];\n"
	    "    allow_methods = [ \"GET\" ];\n    max_age = 5;\n"));
	CU_ASSERT(has(a,
	    "{ route = \"GET /v2\"; function = \"hello\"; },\n"
	    "  { route = \"GET /me\"; function = \"hello\"; "
	    "authorizer = \"jwt\"; authorization_scopes = [ "
	    "\"read\" ]; },\n"
	    "  { route = \"GET /fn\"; function = \"hello\"; "
	    "authorizer = \"fn\"; },\n"
	    "  { route = \"$default\"; function = \"hello\"; }\n"));
	CU_ASSERT(has(a,
	    "{ name = \"fn\"; type = \"REQUEST\"; function = "
	    "\"auth\";\n"));
	done(a);
}

/* an AWS::Serverless::Api's inline DefinitionBody adds its routes */
static void
test_definition_body(void)
{
	struct args *a =
	    run(SAM "Resources:\n"
	            "  Api:\n"
	            "    Type: AWS::Serverless::Api\n"
	            "    Properties:\n"
	            "      StageName: v1\n"
	            "      DefinitionBody:\n"
	            "        swagger: '2.0'\n"
	            "        paths:\n"
	            "          /body:\n"
	            "            get:\n"
	            "              x-amazon-apigateway-integration:\n"
	            "                type: aws_proxy\n"
	            "                httpMethod: POST\n"
	            "                uri: !Sub "
	            "arn:aws:apigateway:${AWS::Region}:lambda:"
	            "path/2015-03-31/functions/${F.Arn}/invocations\n"
	            "  Other:\n"
	            "    Type: AWS::Serverless::Api\n"
	            "    Properties:\n"
	            "      StageName: v2\n"
	            "      DefinitionBody: {'Fn::Transform': {Name: "
	            "AWS::Include}}\n" FN("F",
	                "      Events:\n"
	                "        E: {Type: Api, Properties: {RestApiId: !Ref "
	                "Api, Path: "
	                "/event, Method: get}}\n"),
	        "api:Api", NULL);

	CU_ASSERT_EQUAL(a->rc, 0);
	CU_ASSERT(has(a,
	    "{ route = \"GET /body\"; function = \"F\"; },\n"
	    "  { route = \"GET /event\"; function = \"F\"; }\n"));
	CU_ASSERT(warned(a,
	    "t.yaml:20: DefinitionBody is not an inline OpenAPI "
	    "definition"));
	done(a);
}

static void
test_not_utf8(void)
{
	struct args *a = run("a: b\nc: \"\xff\"\n", NULL);

	CU_ASSERT_EQUAL(a->rc, -1);
	CU_ASSERT(a->r.error != NULL &&
	    strcmp(a->r.error, "t.yaml:2: not UTF-8 text (byte 10)") == 0);
	done(a);
}

/* The output is a configuration config.c loads: strings escaped. */
static void
test_output_loads(void)
{
	char path[4200], dir[4096];
	struct lb_config *cfg;
	char err[1024];
	FILE *f;
	struct args *a = run(SAM "Resources:\n"
	                         "  Fn:\n"
	                         "    Type: AWS::Serverless::Function\n"
	                         "    Properties:\n"
	                         "      Runtime: go1.x\n"
	                         "      Handler: main\n"
	                         "      Environment: {Variables: {Q: \"a "
	                         "\\\"b\\\" \\\\ c\\n\\td\"}}\n"
	                         "      Events: {E: {Type: Api, Properties: "
	                         "{Path: '/q/{x}', Method: "
	                         "get}}}\n",
	    "r:go1.x=/bin/true", NULL);

	CU_ASSERT_EQUAL_FATAL(a->rc, 0);
	CU_ASSERT(has(a, "Q = \"a \\\"b\\\" \\\\ c\\n\\td\";"));
	lb_test_build_path("", dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/test_import.conf", dir);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(a->r.config, f);
	fclose(f);
	cfg = lb_config_load(path, NULL, err, sizeof(err));
	if (cfg == NULL)
		fprintf(stderr, "\n%s\n", err);
	CU_ASSERT_PTR_NOT_NULL(cfg);
	if (cfg != NULL) {
		CU_ASSERT_EQUAL(cfg->nroutes, 1);
		CU_ASSERT_EQUAL(cfg->nfunctions, 1);
	}
	lb_config_free(cfg);
	unlink(path);
	done(a);
}

/* A REST API's Cors (SAM): an OPTIONS route per path to a preflight
 * function with the headers' values; AllowMethods absent: the path's own
 * methods and OPTIONS, sorted (every method for ANY); a path that has its
 * own OPTIONS keeps it; the DefaultAuthorizer and the API key go to the
 * preflights unless Auth says otherwise. */
static void
test_rest_cors_sam(void)
{
	const char *t = SAM
	    "Resources:\n"
	    "  Api:\n"
	    "    Type: AWS::Serverless::Api\n"
	    "    Properties:\n"
	    "      StageName: v1\n"
	    "      Cors:\n"
	    "        AllowOrigin: \"'https://app.example'\"\n"
	    "        AllowHeaders: \"'Content-Type,X-Token'\"\n"
	    "        MaxAge: \"'600'\"\n"
	    "        AllowCredentials: true\n"
	    "      Auth:\n"
	    "        DefaultAuthorizer: Tok\n"
	    "        ApiKeyRequired: true\n"
	    "        Authorizers: {Tok: {FunctionArn: !GetAtt Auth.Arn}}\n"
	    "  Api2:\n"
	    "    Type: AWS::Serverless::Api\n"
	    "    Properties:\n"
	    "      StageName: v2\n"
	    "      Cors: \"'*'\"\n"
	    "      Auth:\n"
	    "        DefaultAuthorizer: Tok\n"
	    "        AddDefaultAuthorizerToCorsPreflight: false\n"
	    "        Authorizers: {Tok: {FunctionArn: !GetAtt Auth.Arn}}\n"
	    "  Api3:\n"
	    "    Type: AWS::Serverless::Api\n"
	    "    Properties: {StageName: v3, Cors: {AllowOrigin: bare}}\n" FN(
	        "Auth", "") FN("F",
	        "      Events:\n"
	        "        A: {Type: Api, Properties: {RestApiId: !Ref Api, "
	        "Path: /items, Method: post}}\n"
	        "        B: {Type: Api, Properties: {RestApiId: !Ref Api, "
	        "Path: /items, Method: get}}\n"
	        "        C: {Type: Api, Properties: {RestApiId: !Ref Api, "
	        "Path: '/items/{id}', Method: any}}\n"
	        "        D: {Type: Api, Properties: {RestApiId: !Ref Api, "
	        "Path: /own, Method: get}}\n"
	        "        E: {Type: Api, Properties: {RestApiId: !Ref Api, "
	        "Path: /own, Method: options}}\n"
	        "        G: {Type: Api, Properties: {RestApiId: !Ref Api2, "
	        "Path: /g, Method: get}}\n"
	        "        H: {Type: Api, Properties: {RestApiId: !Ref Api3, "
	        "Path: /h, Method: get}}\n");
	struct args *a = run(t, "api:Api", "pf:/x/preflight.so", NULL);

	CU_ASSERT_EQUAL(a->rc, 0);
	/* Api3's two (below) and the API keys' values */
	CU_ASSERT_EQUAL(a->r.nwarnings, 3);
	CU_ASSERT(has(a,
	    "  { name = \"CorsPreflight\";\n"
	    "    module = \"/x/preflight.so\"; handler = "
	    "\"preflight_handler\";\n"
	    "    environment = { CORS_ALLOW_ORIGIN = \"https://app.example\"; "
	    "CORS_ALLOW_METHODS = \"GET,OPTIONS,POST\"; CORS_ALLOW_HEADERS = "
	    "\"Content-Type,X-Token\"; CORS_MAX_AGE = \"600\"; "
	    "CORS_ALLOW_CREDENTIALS = \"true\"; };\n"));
	CU_ASSERT(has(a,
	    "  { name = \"CorsPreflight2\";\n"
	    "    module = \"/x/preflight.so\"; handler = "
	    "\"preflight_handler\";\n"
	    "    environment = { CORS_ALLOW_ORIGIN = \"https://app.example\"; "
	    "CORS_ALLOW_METHODS = "
	    "\"DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT\";"));
	CU_ASSERT(has(a,
	    "{ route = \"OPTIONS /items\"; function = \"CorsPreflight\"; "
	    "authorizer = \"Tok\"; api_key_required = true; },\n"
	    "  { route = \"OPTIONS /items/{id}\"; function = "
	    "\"CorsPreflight2\"; authorizer = \"Tok\"; api_key_required = "
	    "true; }\n"));
	/* /own has the template's OPTIONS */
	CU_ASSERT(has(a, "{ route = \"OPTIONS /own\"; function = \"F\";"));
	CU_ASSERT(a->r.config == NULL ||
	    strstr(a->r.config, "CorsPreflight3") == NULL);
	done(a);

	/* the string form is AllowOrigin alone: no Allow-Headers ("") and
	 * the path's methods; AddDefaultAuthorizerToCorsPreflight: false */
	a = run(t, "api:Api2", "pf:/x/preflight.so", NULL);
	CU_ASSERT_EQUAL(a->rc, 0);
	CU_ASSERT(has(a,
	    "environment = { CORS_ALLOW_ORIGIN = \"*\"; CORS_ALLOW_METHODS = "
	    "\"GET,OPTIONS\"; CORS_ALLOW_HEADERS = \"\"; };\n"));
	CU_ASSERT(has(a,
	    "{ route = \"GET /g\"; function = \"F\"; authorizer "
	    "= \"Tok\"; },\n"
	    "  { route = \"OPTIONS /g\"; function = "
	    "\"CorsPreflight\"; }\n"));
	done(a);

	/* values must be '...' literals, as SAM requires */
	a = run(t, "api:Api3", "pf:/x/preflight.so", NULL);
	CU_ASSERT(warned(a, "header 'AllowOrigin' maps 'bare', not a static"));
	CU_ASSERT(warned(a, "Cors needs AllowOrigin"));
	CU_ASSERT(
	    a->r.config == NULL || strstr(a->r.config, "OPTIONS") == NULL);
	done(a);

	/* the preflight handler is checked like the runtimes' programs */
	a = run(t, "api:Api2", "pf:/x/preflight.so", "inst:none", NULL);
	CU_ASSERT_EQUAL(a->r.nwarnings, 3);
	CU_ASSERT(warned(a,
	    "CORS: the preflight handler '/x/preflight.so' is "
	    "not installed here: make install, or give "
	    "--preflight MODULE"));
	done(a);
}

/* serverless.yml's cors on http events (per event: the methods of the
 * path's events with cors), and x-amazon-apigateway-cors on a REST
 * OpenAPI definition */
static void
test_rest_cors_serverless_openapi(void)
{
	struct args *a =
	    run("service: s\nprovider: {name: aws}\n"
	        "functions:\n"
	        "  f:\n"
	        "    handler: f.h\n"
	        "    events:\n"
	        "      - http: {path: a, method: get, cors: true}\n"
	        "      - http: {path: a, method: put, cors: true}\n"
	        "      - http: {path: a, method: delete}\n"
	        "      - http: {path: b, method: get, cors: "
	        "{origins: ['https://x.example', "
	        "'https://y.example'], headers: [X-A], "
	        "allowCredentials: true, maxAge: 86400}}\n"
	        "      - http: {path: c, method: get}\n",
	        "f:f=f.so", "pf:p.so", NULL);

	CU_ASSERT_EQUAL(a->rc, 0);
	CU_ASSERT(has(a,
	    "environment = { CORS_ALLOW_ORIGIN = \"*\"; CORS_ALLOW_METHODS = "
	    "\"GET,OPTIONS,PUT\"; CORS_ALLOW_HEADERS = \"Content-Type,"
	    "X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token,"
	    "X-Amz-User-Agent,X-Amzn-Trace-Id\"; };\n"));
	CU_ASSERT(has(a,
	    "environment = { CORS_ALLOW_ORIGIN = \"https://x.example\"; "
	    "CORS_ALLOW_METHODS = \"GET,OPTIONS\"; CORS_ALLOW_HEADERS = "
	    "\"X-A\"; CORS_MAX_AGE = \"86400\"; CORS_ALLOW_CREDENTIALS = "
	    "\"true\"; };\n"));
	CU_ASSERT(warned(a,
	    "CORS of '/b': a REST API's preflight answers one "
	    "origin: 'https://x.example' is kept"));
	CU_ASSERT(has(a,
	    "{ route = \"OPTIONS /a\"; function = "
	    "\"CorsPreflight\"; },\n"
	    "  { route = \"OPTIONS /b\"; function = "
	    "\"CorsPreflight2\"; }\n"));
	CU_ASSERT(
	    a->r.config == NULL || strstr(a->r.config, "OPTIONS /c") == NULL);
	done(a);

	a = run(
	    "swagger: '2.0'\ninfo: {title: t}\n"
	    "x-amazon-apigateway-cors: {allowOrigins: ['https://s.example'], "
	    "allowMethods: [GET, POST], maxAge: 10}\n"
	    "paths:\n"
	    "  /p:\n"
	    "    get:\n"
	    "      x-amazon-apigateway-integration: {type: aws_proxy, uri: "
	    "'arn:aws:lambda:us-east-1:1:function:Fn'}\n",
	    "f:Fn=fn.so", "pf:p.so", NULL);
	CU_ASSERT_EQUAL(a->rc, 0);
	CU_ASSERT(has(a, "api = \"rest\";"));
	CU_ASSERT(has(a,
	    "environment = { CORS_ALLOW_ORIGIN = \"https://s.example\"; "
	    "CORS_ALLOW_METHODS = \"GET,POST\"; CORS_ALLOW_HEADERS = \"\"; "
	    "CORS_MAX_AGE = \"10\"; };\n"));
	CU_ASSERT(has(a,
	    "{ route = \"OPTIONS /p\"; function = "
	    "\"CorsPreflight\"; }\n"));
	done(a);
	/* the same written out: OPTIONS methods with mock integrations
	 * answering static headers (what the console's "Enable CORS" and
	 * SAM write); another mock is still not carried over */
	a = run("swagger: '2.0'\ninfo: {title: t}\n"
	        "paths:\n"
	        "  /p:\n"
	        "    get:\n"
	        "      x-amazon-apigateway-integration: {type: aws_proxy, uri: "
	        "'arn:aws:lambda:us-east-1:1:function:Fn'}\n"
	        "    options:\n"
	        "      x-amazon-apigateway-integration:\n"
	        "        type: mock\n"
	        "        responses:\n"
	        "          default:\n"
	        "            statusCode: '200'\n"
	        "            responseParameters:\n"
	        "              method.response.header.Access-Control-Allow-"
	        "Methods: \"'GET,OPTIONS'\"\n"
	        "              method.response.header.Access-Control-Allow-"
	        "Origin: \"'https://m.example'\"\n"
	        "              method.response.header.Access-Control-Allow-"
	        "Headers: \"'Content-Type'\"\n"
	        "  /q:\n"
	        "    options:\n"
	        "      x-amazon-apigateway-integration: {type: mock}\n",
	    "f:Fn=fn.so", "pf:p.so", NULL);
	CU_ASSERT(has(a,
	    "environment = { CORS_ALLOW_ORIGIN = \"https://m.example\"; "
	    "CORS_ALLOW_METHODS = \"GET,OPTIONS\"; CORS_ALLOW_HEADERS = "
	    "\"Content-Type\"; };\n"));
	CU_ASSERT(has(a,
	    "{ route = \"OPTIONS /p\"; function = "
	    "\"CorsPreflight\"; }\n"));
	CU_ASSERT(warned(a,
	    "OPTIONS /q: integration type 'mock' is not "
	    "Lambda proxy"));
	done(a);
}

/* Lambda's Node.js and Python runtimes through AWS's runtime interface
 * clients under the --ric-dir; --runtime still wins; what is not
 * installed gets a warning saying what to install */
static void
test_runtime_defaults(void)
{
	const char *t = SAM "Resources:\n"
	                    "  N:\n    Type: AWS::Serverless::Function\n"
	                    "    Properties: {Runtime: nodejs22.x, CodeUri: "
	                    "src/, Handler: index.handler}\n"
	                    "  Y:\n    Type: AWS::Serverless::Function\n"
	                    "    Properties: {Runtime: python3.12, CodeUri: "
	                    "py/, Handler: app.handler}\n"
	                    "  J:\n    Type: AWS::Serverless::Function\n"
	                    "    Properties: {Runtime: java21, Handler: a.B}\n";
	struct args *a = run(t, "ric:/ric", NULL);

	CU_ASSERT(has(a,
	    "{ name = \"N\";  # nodejs22.x\n"
	    "    runtime = \"provided\"; code_dir = \"src/\";\n"
	    "    bootstrap = [ \"/usr/bin/node\", "
	    "\"/ric/node/node_modules/aws-lambda-ric/index.mjs\" ];\n"
	    "    handler = \"index.handler\";\n"));
	CU_ASSERT(has(a,
	    "{ name = \"Y\";  # python3.12\n"
	    "    runtime = \"provided\"; code_dir = \"py/\";\n"
	    "    bootstrap = [ \"/ric/python/bin/python3\", \"-m\", "
	    "\"awslambdaric\", \"app.handler\" ];\n"
	    "    handler = \"app.handler\";\n"));
	CU_ASSERT(has(a, "# { name = \"J\";  # java21\n"));
	CU_ASSERT(warned(a, "function 'J': runtime 'java21' has no mapping"));
	CU_ASSERT_EQUAL(a->r.nwarnings, 1);
	done(a);

	/* on a machine with node in /usr/bin and no client */
	a = run(t, "ric:/ric", "inst:usr-bin", NULL);
	CU_ASSERT(warned(a,
	    "t.yaml:4: function 'N' (nodejs22.x): AWS's Node.js runtime "
	    "interface client "
	    "'/ric/node/node_modules/aws-lambda-ric/index.mjs' "
	    "is not installed here: npm install --prefix /ric/node "
	    "aws-lambda-ric"));
	CU_ASSERT(warned(a,
	    "t.yaml:7: function 'Y' (python3.12): AWS's Python runtime "
	    "interface client "
	    "'/ric/python/lib/python3*/site-packages/awslambdaric' is not "
	    "installed here: python3 -m venv /ric/python && "
	    "/ric/python/bin/pip install awslambdaric"));
	CU_ASSERT(a->r.warnings == NULL ||
	    strstr(a->r.warnings, "Node.js '/usr/bin/node'") == NULL);
	CU_ASSERT_EQUAL(a->r.nwarnings, 3);
	done(a);

	/* nothing installed: node too; --runtime replaces the built-in one
	 * and is checked as well */
	a = run(
	    t, "ric:/ric", "inst:none", "r:python3.12=/opt/py/boot x", NULL);
	CU_ASSERT(warned(a,
	    "function 'N' (nodejs22.x): Node.js "
	    "'/usr/bin/node' is not installed here: apt-get "
	    "install nodejs"));
	CU_ASSERT(has(a, "bootstrap = [ \"/opt/py/boot\", \"x\" ];"));
	CU_ASSERT(warned(a,
	    "function 'Y' (python3.12): the bootstrap "
	    "'/opt/py/boot' is not installed here: install it, "
	    "or change --runtime python3.12"));
	done(a);
}

void
lb_test_suite_import(void)
{
	static CU_TestInfo tests[] = {
		{ "yaml: short tags, anchors, 1.1 booleans",
		    test_yaml_tags_anchors_booleans },
		{ "json, errors, documents", test_json_and_errors },
		{ "intrinsics and conditions", test_intrinsics },
		{ "Globals merge", test_globals_merge },
		{ "events and implicit APIs", test_events_and_implicit_apis },
		{ "REST API: auth, keys, responses",
		    test_rest_api_auth_keys_responses },
		{ "HTTP API: JWT, CORS, settings",
		    test_http_api_jwt_cors_settings },
		{ "runtimes", test_runtimes },
		{ "REST API: SAM's Cors", test_rest_cors_sam },
		{ "REST API: serverless.yml and OpenAPI CORS",
		    test_rest_cors_serverless_openapi },
		{ "runtimes: the built-in ones", test_runtime_defaults },
		{ "several APIs", test_several_apis },
		{ "OpenAPI: Swagger 2 REST", test_openapi_swagger2_rest },
		{ "OpenAPI 3: HTTP API", test_openapi3_http },
		{ "serverless.yml", test_serverless },
		{ "SAM DefinitionBody", test_definition_body },
		{ "input that is not UTF-8", test_not_utf8 },
		{ "the output loads", test_output_loads },
		CU_TEST_INFO_NULL,
	};

	LB_TEST_SUITE("import", tests);
}
