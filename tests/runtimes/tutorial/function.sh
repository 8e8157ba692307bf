# The tutorial's function.sh (handler "function.handler"): logs the event to
# stderr and answers an API Gateway proxy response.  $REQUEST_ID is the
# bootstrap's variable, $$ the bootstrap's pid (the same while the
# environment is warm).
function handler () {
  EVENT_DATA=$1
  echo "$EVENT_DATA" 1>&2;
  RESPONSE="{\"statusCode\": 200, \"headers\": {\"Content-Type\": \"text/plain\", \"X-Tutorial\": \"function.sh\"}, \"body\": \"Hello from Lambda! request $REQUEST_ID pid $$\"}"

  echo $RESPONSE
}
