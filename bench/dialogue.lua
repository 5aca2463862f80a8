-- wrk script: every connection walks its own sessions of the ten-form script, one step at
-- a time, as a bot platform holding a keep-alive connection does. Used by bench/load.py.
--
-- Each wrk thread holds one connection (-t N -c N). The sessions come started and waiting
-- at their first form: the file named by env CUEBOOK_WRK_SESSIONS has one line per session
-- "<thread> <session id> <step token> <step id>"; a thread moves to its next session when
-- one ends. Env CUEBOOK_WRK_THINK_MS: mean pause before each step (exponential), 0 for
-- none; CUEBOOK_WRK_TOKEN: the bearer token. Env CUEBOOK_WRK_ANSWER: "form" (default) answers
-- the ten-form script; "unique" answers {"district": <a value never sent before>} and
-- "repeated" one of 20 values, for bench/integrations.py's loop (a service task after the
-- form: uncached and cached calls); "chat" sends free text to the sample chat-bot
-- (bench/dialogues.py). Only steps are sent, so wrk's latency figures are step latencies.

local counter = 0
local threads = {}

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local sessions, current, token, step, think_ms, auth
-- "chat": free text for the sample chat-bot (bpmn/chat_bot), as bench/dialogues.py sends:
-- a menu item in words at its main menu, "yes, one more question" anywhere else
local menu = {"баланс", "мой тариф", "balance", "тариф пожалуйста", "ballance",
  "сколько денег на счёте"}
local more = {"да", "ещё", "yes", "да, есть ещё вопрос"}

function init(args)
  sessions = {}
  local path = os.getenv("CUEBOOK_WRK_SESSIONS")
  for line in io.lines(path) do
    local t, sid, tok, st = line:match("^(%d+) (%S+) (%S+) (%S+)$")
    if tonumber(t) == index then
      table.insert(sessions, {sid, tok, st})
    end
  end
  current = 0
  think_ms = tonumber(os.getenv("CUEBOOK_WRK_THINK_MS") or "0")
  answer = os.getenv("CUEBOOK_WRK_ANSWER") or "form"
  sent = 0
  auth = "Bearer " .. os.getenv("CUEBOOK_WRK_TOKEN")
  math.randomseed(index * 7919 + 1)
  ended = 0
  failed = 0
  nextsession()
end

function nextsession()
  current = current + 1
  local s = sessions[current]
  if s == nil then
    -- out of sessions: start over at the first (answered as a retry: cheap, still a step)
    current = 1
    s = sessions[1]
  end
  sid, token, step = s[1], s[2], s[3]
end

function delay()
  -- Every step, the first included, follows an exponential pause: each connection's steps
  -- are then a Poisson stream from the start, and together they offer the rate asked for
  -- from the first second. (When the first step went at once, 500 connections sent 500
  -- steps in the same instant: a burst no paced load has, whose queue made the run's p99.)
  if think_ms <= 0 then
    return 0
  end
  return -think_ms * math.log(1 - math.random())
end

function request()
  local body
  sent = sent + 1
  if answer == "unique" then
    body = string.format('{"step_token":"%s","answer":{"district":"u%d-%d"}}', token, index, sent)
  elseif answer == "repeated" then
    body = string.format('{"step_token":"%s","answer":{"district":"d%d"}}', token, sent % 20)
  elseif answer == "chat" then
    local said
    if step == "main_menu" then
      said = menu[sent % #menu + 1]
    else
      said = more[sent % #more + 1]
    end
    body = string.format('{"step_token":"%s","text":"%s"}', token, said)
  else
    local n = step:match("(%d+)$") or "1"
    body = string.format(
      '{"step_token":"%s","answer":{"answer%s":"reply","count%s":3,"mood%s":"calm"}}',
      token, n, n, n)
  end
  return wrk.format("POST", "/api/v1/sessions/" .. sid .. "/steps",
    {["Content-Type"] = "application/json", ["Authorization"] = auth}, body)
end

function response(status, headers, body)
  if status ~= 200 then
    failed = failed + 1
    nextsession()
    return
  end
  local st = body:match('"status":"(%w+)"')
  if st ~= "waiting" then
    ended = ended + 1
    nextsession()
    return
  end
  token = body:match('"step_token":"([^"]+)"')
  step = body:match('"step":{"id":"([^"]*)"') or body:match('"step_id":"([^"]*)"')
end

function done(summary, latency, requests)
  local failures = 0
  for _, thread in ipairs(threads) do
    failures = failures + (thread:get("failed") or 0)
  end
  io.write(string.format(
    "WRK requests=%d seconds=%.3f p50=%.3f p90=%.3f p99=%.3f max=%.3f mean=%.3f " ..
    "errors_status=%d errors_connect=%d errors_read=%d errors_timeout=%d failed=%d\n",
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000,
    summary.errors.status, summary.errors.connect, summary.errors.read,
    summary.errors.timeout, failures))
end
