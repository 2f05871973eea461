-- wrk script for bench/pages.sh: counts answers other than 200 (a lost session would answer
-- 302) and prints one machine-readable line:
--   RESULT <requests> <requests/s> <p50 ms> <p95 ms> <p99 ms> <non-200> <socket errors>
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  not_ok = 0
end

function response(status, headers, body)
  if status ~= 200 then
    not_ok = not_ok + 1
  end
end

function done(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do
    failed = failed + thread:get("not_ok")
  end
  local errors = summary.errors
  local socket_errors = errors.connect + errors.read + errors.write + errors.timeout
  io.write(string.format("RESULT %d %.1f %.1f %.1f %.1f %d %d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, failed, socket_errors))
end
