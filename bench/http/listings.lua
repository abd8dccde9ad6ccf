-- wrk script for listing writes: each request creates a new listing (ids
-- PREFIX-THREAD-N; run wrk with -t N -c N).
-- One title in five carries a brand from brands.txt (so some writes are held).
local token = os.getenv("TOKEN")
local prefix = os.getenv("PREFIX") or "b"
local brands = {}
for line in io.lines(os.getenv("BRANDS") or "brands.txt") do brands[#brands + 1] = line end
local words = { "running", "shoes", "leather", "case", "phone", "black", "cotton", "shirt",
  "gift", "set", "kids", "women", "men", "size", "new", "original", "charger", "watch" }
local categories = { "Phones & Electronics", "Shoes", "Clothing", "Beauty", "Toys", "Food" }
local counter = 0
local threads = {}
local n = 0

function setup(thread)
  n = n + 1
  thread:set("tid", n)
  table.insert(threads, thread)
end

local function body(extra)
  counter = counter + 1
  local t = {}
  for i = 1, 7 do t[i] = words[math.random(#words)] end
  if counter % 5 == 0 then t[3] = brands[math.random(#brands)] end
  local title = table.concat(t, " "):gsub('"', "")
  local desc = "Brand new, " .. table.concat(t, ", ") .. ". Ships in two days; returns within 30 days."
  return string.format('{%s"title":"%s","description":"%s","category":"%s","price":{"minor_units":%d,"currency":"USD"}}',
    extra, title, desc, categories[math.random(#categories)], math.random(100, 99999))
end

local headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. (token or "") }

function request()
  return wrk.format("POST", "/api/v1/listings", headers,
    body(string.format('"id":"%s-%d-%d",', prefix, tid, counter + 1)))
end
