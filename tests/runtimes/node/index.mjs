// A Node.js function for AWS's runtime interface client (aws-lambda-ric,
// installed by `scripts/install-deps ric`), handler "index.handler".  What
// it does is chosen by the query parameter `do`, as bootstrap_curl.c does:
//
//   echo (default)  200 {"pid", "request_id", "function", "env", "event",
//                   "count", "remaining_ms", "arn"}
//   error           throws an Error named NodeError
//   sleep&ms=N      waits N ms, then like echo
//   print&tag=T     console.log / console.error a line naming T
//   exit&code=N     process.exit(N) in the middle of the invocation
//
// `count` is the invocations this process served: module state survives
// between the invocations of a warm environment.

let count = 0;

class NodeError extends Error {
  constructor(message) {
    super(message);
    this.name = "NodeError";
  }
}

export const handler = async (event, context) => {
  count++;
  const q = (event && event.queryStringParameters) || {};
  const what = q.do || "echo";
  if (what === "error") {
    throw new NodeError("asked to fail");
  }
  if (what === "exit") {
    process.exit(Number(q.code || 3));
  }
  if (what === "sleep") {
    await new Promise((resolve) => setTimeout(resolve, Number(q.ms || 1000)));
  }
  if (what === "print") {
    console.log("NODE-STDOUT " + (q.tag || "-"));
    console.error("NODE-STDERR " + (q.tag || "-"));
  }
  return {
    statusCode: 200,
    headers: { "Content-Type": "application/json", "X-Runtime": "node" },
    body: JSON.stringify({
      pid: process.pid,
      request_id: context.awsRequestId,
      function: context.functionName,
      env: process.env.INTEG_VALUE || null,
      event: event,
      count: count,
      remaining_ms: context.getRemainingTimeInMillis(),
      arn: context.invokedFunctionArn,
    }),
  };
};
