-- wrk script: POST the benchmark's page query (bench/page-query.json).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
local file = assert(io.open(os.getenv("QUERY_FILE") or "bench/page-query.json", "r"))
wrk.body = file:read("*a")
file:close()
