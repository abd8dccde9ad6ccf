-- wrk script for complaint reads: GET /api/v1/complaints/{id} over the ids
-- in $IDS (one per line), each thread starting at its own offset, as the
-- bearer of $TOKEN.
local token = os.getenv("TOKEN")
local ids = {}
for line in io.lines(os.getenv("IDS")) do ids[#ids + 1] = line end
local n = 0
local headers = { ["Authorization"] = "Bearer " .. (token or "") }
local i = 0

function setup(thread)
  n = n + 1
  thread:set("offset", n * 97)
end

function request()
  i = i + 1
  local id = ids[((offset or 0) + i) % #ids + 1]
  return wrk.format("GET", "/api/v1/complaints/" .. id, headers)
end
