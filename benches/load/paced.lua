-- wrk: each connection waits about PACE_MS (default 20; drawn evenly from
-- half to one and a half times that, so that the connections do not fall
-- into step and arrive in bursts) after every answer before its next
-- request, as a visitor reading a page does, so that the servers
-- are measured below saturation: the latency is then the time a request
-- takes, not the queue behind it. wrk starts a request's clock when it is
-- written, so the pause is not counted. Reports like report.lua.
dofile("benches/load/report.lua")

local pace = tonumber(os.getenv("PACE_MS") or "20")

function delay()
  return math.random(math.floor(pace / 2), math.floor(pace * 3 / 2))
end
