-- wrk script: the hot set of bench/wrk/hot-snapshot.lua, plus a summary line with the tail
-- percentiles wrk's --latency does not print (p99.9) and every error count, as JSON.
-- Usage (from the repository root): wrk -t1 -c50 -d30s --timeout 10s -s bench/faults/hot-percentiles.lua http://127.0.0.1:9000
dofile("bench/wrk/hot-snapshot.lua")

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'SUMMARY {"requests":%d,"duration_us":%d,"non2xx":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max))
end
