-- wrk script of bench/ratings.py (--driver wrk): POST /api/ratings/ as a random one of the
-- bench's users, 80% of votes on random songs of the catalog, 20% on the hot songs.
--
--   wrk --latency -s bench/ratings_wrk.lua http://127.0.0.1:PORT -- TOKENS SONGS HOT SEED
--
-- TOKENS: one bearer token a line. SONGS: the catalog's song ids as "first last" ranges of
-- consecutive ids, one a line (1M ids would cost every thread a large table). HOT: one song
-- id a line. done() prints one line, "ratings-wrk {...}", that the bench parses.

local threads = {}
local next_id = 0

function setup(thread)
   thread:set("id", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

local tokens, hot = {}, {}
local range_first, range_ends = {}, {}
local song_count = 0
-- Global, not local: done() reads it from each thread with thread:get.
statuses = {}

local function read_lines(path)
   local lines = {}
   for line in io.lines(path) do
      if line ~= "" then
         table.insert(lines, line)
      end
   end
   return lines
end

function init(args)
   tokens = read_lines(args[1])
   for _, line in ipairs(read_lines(args[2])) do
      local first, last = line:match("^(%d+) (%d+)$")
      first, last = tonumber(first), tonumber(last)
      song_count = song_count + last - first + 1
      table.insert(range_first, first)
      -- Cumulative count of ids up to the end of this range, for the binary search.
      table.insert(range_ends, song_count)
   end
   for _, line in ipairs(read_lines(args[3])) do
      table.insert(hot, tonumber(line))
   end
   math.randomseed(tonumber(args[4] or "7") * 1000 + id)
end

local function random_song()
   local n = math.random(song_count)
   local lo, hi = 1, #range_ends
   while lo < hi do
      local mid = math.floor((lo + hi) / 2)
      if range_ends[mid] < n then
         lo = mid + 1
      else
         hi = mid
      end
   end
   local before = lo > 1 and range_ends[lo - 1] or 0
   return range_first[lo] + (n - before - 1)
end

function request()
   local song
   if math.random() < 0.2 then
      song = hot[math.random(#hot)]
   else
      song = random_song()
   end
   local body = string.format('{"song": %d, "score": %d}', song, math.random(5))
   return wrk.format("POST", "/api/ratings/", {
      ["Content-Type"] = "application/json",
      ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)],
   }, body)
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local totals = {}
   for _, thread in ipairs(threads) do
      local counts = thread:get("statuses")
      for status, count in pairs(counts or {}) do
         totals[status] = (totals[status] or 0) + count
      end
   end
   local parts = {}
   for status, count in pairs(totals) do
      table.insert(parts, string.format('"%d": %d', status, count))
   end
   local errors = summary.errors
   io.write(string.format(
      'ratings-wrk {"duration_us": %d, "requests": %d, "statuses": {%s}, '
         .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
         .. '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d}\n',
      summary.duration, summary.requests, table.concat(parts, ", "),
      errors.connect, errors.read, errors.write, errors.status, errors.timeout,
      latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max
   ))
end
