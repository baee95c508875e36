-- wrk script: POST /v1/score with real transactions (templates written by bench/http_load.py).
-- Each wrk thread owns every FF_THREADS-th customer and stamps its requests with a simulated
-- clock that only moves forward (FF_BASE + n * FF_STEP seconds, naive IST), so every customer's
-- transactions arrive in time order whatever the number of connections. With FF_RESEND=1 each
-- thread sends one transaction over and over (a client retrying): the service scores it once and
-- answers every resend with the first result. With FF_LIMIT=n each thread stops after n answers
-- and says so on stdout (a fixed amount of work, whose wall time a benchmark round measures).
-- A thread's connections are many (8 of 16), so a customer's next transaction could overtake its
-- previous one on another connection, and the service refuses a transaction older than the
-- customer's last: a thread never has two of a customer's transactions in flight. An answer
-- names its transaction (the service's do; the bare app's, one fixed body, do not: there the
-- oldest request in flight is taken as answered, which costs the same and needs no order).
counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  nthreads = tonumber(os.getenv("FF_THREADS"))
  base = tonumber(os.getenv("FF_BASE"))
  step = tonumber(os.getenv("FF_STEP"))
  first_id = tonumber(os.getenv("FF_FIRST_ID"))
  resend = os.getenv("FF_RESEND") == "1"
  limit = tonumber(os.getenv("FF_LIMIT") or "0")
  answered = 0
  local templates = dofile(os.getenv("FF_TEMPLATES"))
  mine = {}
  for i = tid + 1, #templates, nthreads do
    mine[#mine + 1] = templates[i]
  end
  cursor = 0 -- the last customer (index in mine) sent to
  busy = {} -- customers with a request in flight
  pending = {} -- request id -> its customer, while in flight
  sent_ids, oldest, newest = {}, 1, 0 -- ids in the order sent
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  local key = os.getenv("FF_KEY")
  if key ~= nil and key ~= "" then
    wrk.headers["X-API-Key"] = key
  end
end

function request()
  -- the next customer in turn with nothing in flight (one is free: #mine is far above the
  -- thread's connections; if none were, the next in turn)
  local slot = cursor % #mine + 1
  for _ = 1, #mine do
    if not busy[slot] then
      break
    end
    slot = slot % #mine + 1
  end
  cursor = slot
  local template = mine[slot]
  local n = counter * nthreads + tid
  if resend then
    template = mine[1]
    n = tid
  else
    local id = first_id + n
    busy[slot], pending[id] = true, slot
    newest = newest + 1
    sent_ids[newest] = id
  end
  counter = counter + 1
  local body = string.format(template, first_id + n, os.date("!%Y-%m-%dT%H:%M:%S", base + n * step))
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  answered = answered + 1
  if not resend then
    local id = tonumber(string.match(body, '^{"transaction_id":(%d+)'))
    if id == nil or pending[id] == nil then
      -- an answer that names no request in flight: the oldest one still in flight
      while oldest <= newest and pending[sent_ids[oldest]] == nil do
        sent_ids[oldest], oldest = nil, oldest + 1
      end
      id = sent_ids[oldest]
    end
    if id ~= nil and pending[id] ~= nil then
      busy[pending[id]], pending[id] = nil, nil
    end
  end
  if limit > 0 and answered == limit then
    -- wrk's main thread sleeps out its -d duration: tell bench/http_load.py, which interrupts it
    io.write("thread done\n")
    io.stdout:flush()
    wrk.thread:stop()
  end
  if status ~= 200 then
    failed = (failed or 0) + 1
    if first_failure == nil then
      first_failure = status .. " " .. string.sub(body, 1, 300)
    end
  end
end

function done(summary, latency, requests)
  -- the highest clock step any thread used: the next run must start after it
  local last = 0
  for _, thread in ipairs(threads) do
    local used = (thread:get("counter") - 1) * thread:get("nthreads") + thread:get("tid")
    if used > last then
      last = used
    end
  end
  io.write("last step: ", last, "\n")
  for _, thread in ipairs(threads) do
    local failure = thread:get("first_failure")
    if failure ~= nil then
      io.write("first failure: ", failure, "\n")
    end
  end
end
