-- Replays pre-signed deliveries (make_requests.py), each once, in order, across threads:
--   THREADS=2 REQUESTS=standard.tsv wrk -t2 -c32 -d20s -s bench/webhooks/replay.lua URL
-- Each thread reads the file and takes every THREADS-th line, so no delivery is sent twice.
local counter = 1

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  requests = {}
  local n, step = 0, tonumber(os.getenv("THREADS") or "2")
  local i = 0
  for line in io.lines(os.getenv("REQUESTS")) do
    i = i + 1
    if (i - id) % step == 0 then
      local fields = {}
      for f in string.gmatch(line, "[^\t]+") do table.insert(fields, f) end
      local headers = {}
      for h = 2, #fields - 1 do
        local k, v = string.match(fields[h], "^([^:]+): (.*)$")
        headers[k] = v
      end
      n = n + 1
      requests[n] = wrk.format("POST", fields[1], headers, fields[#fields])
    end
  end
  next_request = 1
  non_2xx = 0
end

function request()
  local r = requests[next_request]
  if r == nil then
    -- Out of fresh deliveries: the run was longer than the file.
    r = requests[#requests]
  end
  next_request = next_request + 1
  return r
end

function response(status, headers, body)
  if status < 200 or status > 299 then non_2xx = non_2xx + 1 end
end
