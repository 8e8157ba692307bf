# The function of handlers/provided/bootstrap (handler = "function.handler").
# $1 is the API Gateway event (JSON); what it prints is the response.
handler() {
	EVENT_DATA=$1
	echo "greet: ${#EVENT_DATA} bytes of event" >&2 # into the function's log
	printf '{"statusCode":200,"headers":{"content-type":"text/plain"},"body":"%s from a custom runtime\\n"}' \
		"${GREETING:-Hello}"
}
