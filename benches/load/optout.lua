-- wrk script: visitors opting out of Carbon Ads with the no-JavaScript form
-- (a 303 back to the policy page); prints the JSON summary line at the end.
function init(args)
  body = "return_to=%2Fprivacy"
  req = wrk.format("POST", "/optout/carbon", {
    ["Host"] = "octoprint.org",
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Content-Length"] = tostring(#body),
  }, body)
end

function request()
  return req
end

dofile("benches/load/report.lua")
