# The `logs` group's custom-runtime function, run by handlers/provided/bootstrap
# (AWS's tutorial runtime): logs a JSON line per level and a plain one to
# stderr, and answers with the logging variables Lambda set.
handler () {
	echo '{"level":"DEBUG","message":"sh-debug-line"}' >&2
	echo '{"level":"ERROR","message":"sh-error-line"}' >&2
	echo 'sh-plain-line' >&2
	printf '{"statusCode":200,"body":"%s %s"}' \
		"$AWS_LAMBDA_LOG_FORMAT" "${AWS_LAMBDA_LOG_LEVEL:-unset}"
}
