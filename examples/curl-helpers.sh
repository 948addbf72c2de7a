# Sourced by the curl examples (curl-tour.sh, datainfo.sh, selection.sh): the bearer token from
# KMT_TOKEN and two ways to print a heading, then an answer. Any answer that is not 2xx stops the
# calling script (curl --fail-with-body still prints the error envelope; set -e does the rest).
AUTH=()
[[ -n ${KMT_TOKEN:-} ]] && AUTH=(-H "authorization: Bearer $KMT_TOKEN")

# call <title> <curl arguments...>: prints the heading, then the answer.
call() {
  local title=$1
  shift
  printf '\n== %s\n' "$title"
  curl -sS --fail-with-body --max-time 30 "$@"
  printf '\n'
}

# post <title> <url> <JSON body>: a JSON POST with the token, if any.
post() {
  local title=$1 url=$2 body=$3
  call "$title" -X POST -H 'content-type: application/json' ${AUTH[@]+"${AUTH[@]}"} --data "$body" "$url"
}
